//! Running a control-plane server so that it never outlives the test process.
//!
//! Each server (etcd, kube-apiserver) runs as the child of a small bash
//! supervisor whose stdin — the *lifeline* — is a pipe whose only write end
//! is held by the test process. The supervisor waits for whichever comes
//! first: the server exiting (the supervisor then exits with its status), or
//! the lifeline reaching end-of-file. End-of-file comes when [`Supervised`]
//! is dropped *and* when the test process ends in any way at all — normal
//! exit with the cluster still in a `static`, a panic, `std::process::exit`,
//! SIGKILL — because the kernel closes a dead process's descriptors. The
//! supervisor then sends SIGTERM, waits up to 10 s, sends SIGKILL, reaps the
//! server and (for etcd, the last to stop) deletes the cluster's folder.
//!
//! Why not something else: `prctl(PR_SET_PDEATHSIG)` needs `unsafe` (this
//! workspace forbids it) and fires on the death of the spawning *thread*, not
//! the process; an `atexit` hook does not run on SIGKILL or a panic abort;
//! a watchdog polling `kill -0 $PPID` wakes up every interval and can be
//! fooled by PID reuse. The supervisor signals only its own child, which it
//! has not reaped yet, so it can never hit a recycled PID.
//!
//! The write end of the pipe is close-on-exec (std creates every pipe so),
//! so no other child of the test process — kubectl, the other server —
//! inherits it and keeps the lifeline open.
//!
//! Order: kube-apiserver must stop before etcd (without etcd its graceful
//! shutdown hangs until the SIGKILL, 10 s later). A drop can stop them one
//! after the other, but at process exit both lifelines close at once. So
//! the apiserver's supervisor is given a copy of etcd's lifeline as its
//! stderr and keeps it open, and its server inherits it: etcd's lifeline
//! ends only once the test process *and* the apiserver are gone.

use std::fs::File;
use std::io::{self, PipeWriter};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// `bash -c` script: `$1` is a folder to delete once the server is gone
/// (empty: keep it); the rest is the server's command line. Stdin is the
/// lifeline, stdout the log; stderr is kept open as fd 4 for as long as
/// the supervisor and its server run (the lifeline of a server this one
/// needs, or the log again). The server and the lifeline reader are its
/// only jobs, so `wait -n` returns when either ends. Ctrl-C (SIGINT to the
/// whole foreground group) is ignored so the supervisor survives to clean
/// up once the test process has died; SIGTERM to the supervisor stops the
/// server like a closed lifeline.
const SCRIPT: &str = r#"exec 4>&2 2>&1
set -u
trap '' INT QUIT HUP
trap ':' TERM
remove=$1; shift
name=${1##*/}
exec 3<&0 0</dev/null
"$@" 3<&- &
server=$!
{ while read -r -u 3 _; do :; done; } 4>&- &
lifeline=$!
exec 3<&-
wait -n
if kill -0 "$server" 2>/dev/null; then
  echo "kaegis-testcluster: stopping $name (pid $server): SIGTERM" >&2
  kill -TERM "$server" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$server" 2>/dev/null; then
    echo "kaegis-testcluster: $name ignored SIGTERM for 10 s: SIGKILL" >&2
    kill -KILL "$server" 2>/dev/null
  fi
fi
kill -KILL "$lifeline" 2>/dev/null
wait "$lifeline" 2>/dev/null
wait "$server"; status=$?
echo "kaegis-testcluster: $name exited with status $status" >&2
if [ -n "$remove" ]; then rm -rf -- "$remove"; fi
exit "$status"
"#;

/// How long [`Supervised::stop`] waits for the supervisor: its own 10 s
/// SIGTERM grace period plus margin.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A server running under a supervisor; dropping it stops the server.
#[derive(Debug)]
pub(crate) struct Supervised {
    name: &'static str,
    supervisor: Child,
    lifeline: Option<PipeWriter>,
    log: PathBuf,
}

impl Supervised {
    /// Starts `program args…` under a supervisor, stdout and stderr (the
    /// supervisor's notes included) appended to `log`. `remove` is deleted
    /// by the supervisor once the server has exited. `needs` is a server
    /// that must keep running until this one has stopped.
    pub(crate) fn spawn(
        name: &'static str,
        program: &Path,
        args: &[String],
        log: &Path,
        remove: Option<&Path>,
        needs: Option<&Supervised>,
    ) -> io::Result<Supervised> {
        let out = File::options().create(true).append(true).open(log)?;
        let held: Stdio = match needs.and_then(|n| n.lifeline.as_ref()) {
            Some(lifeline) => lifeline.try_clone()?.into(),
            None => out.try_clone()?.into(),
        };
        let (reader, writer) = io::pipe()?;
        let supervisor = Command::new("bash")
            .arg("-c")
            .arg(SCRIPT)
            .arg("kaegis-testcluster-supervisor")
            .arg(remove.map(Path::as_os_str).unwrap_or_default())
            .arg(program)
            .args(args)
            .stdin(reader)
            .stdout(out)
            .stderr(held)
            .spawn()?;
        Ok(Supervised {
            name,
            supervisor,
            lifeline: Some(writer),
            log: log.to_path_buf(),
        })
    }

    /// The server's exit status if it has exited (the supervisor exits
    /// with it).
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.supervisor.try_wait().ok().flatten()
    }

    /// The log file.
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// Stops the server: closes the lifeline and waits for the supervisor
    /// (SIGTERM, up to 10 s, SIGKILL). Idempotent.
    pub(crate) fn stop(&mut self) {
        drop(self.lifeline.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match self.supervisor.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => sleep(Duration::from_millis(20)),
            }
        }
        // Unreachable unless bash itself hangs; do not leave it behind.
        eprintln!(
            "kaegis-testcluster: the {} supervisor did not exit in {STOP_TIMEOUT:?}; killing it",
            self.name
        );
        let _ = self.supervisor.kill();
        let _ = self.supervisor.wait();
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}
