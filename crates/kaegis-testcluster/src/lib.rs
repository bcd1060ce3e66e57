//! kaegis-testcluster: a real Kubernetes control plane for end-to-end tests.
//!
//! [`TestCluster`] runs etcd and kube-apiserver on loopback ports in a
//! throw-away folder, with a static-token admin in `system:masters`, RBAC
//! authorization, and a kubeconfig for kubectl. There is no
//! controller-manager, scheduler or kubelet: objects are validated, admitted
//! (webhooks included) and stored, never reconciled — pods stay `Pending`,
//! namespaces never finish terminating, ServiceAccounts get no token Secret
//! and namespaces no `default` ServiceAccount (create the ServiceAccounts a
//! test needs; `TokenRequest` works with the apiserver alone).
//!
//! Starting one takes about 3–4 s, most of it kube-apiserver's own startup,
//! so a test binary normally shares one cluster between its tests and gives
//! each test its own namespace:
//!
//! ```no_run
//! use kaegis_testcluster::TestCluster;
//!
//! #[test]
//! fn pods_are_admitted() {
//!     let Some(k8s) = TestCluster::shared_or_skip() else { return };
//!     let ns = k8s.create_namespace("admitted");
//!     k8s.kubectl_ok(&["run", "p", "--image=registry.k8s.io/pause:3.10", "-n", &ns]);
//! }
//! ```
//!
//! A test that needs different apiserver flags (audit logging, a feature
//! gate) starts its own with [`TestCluster::builder`].
//!
//! [`audit`] makes synthetic audit traffic for detection tests and benchmarks.
//!
//! The binaries come from `$KAEGIS_K8S_BIN` or `~/.cache/kaegis/k8s-bin`;
//! when one is missing, `.ci/k8s-bins.sh` builds it. When that is not
//! possible (no Go, no network) starting returns
//! [`StartError::Unavailable`] and the `*_or_skip` helpers skip the test
//! with a notice — unless `CI` is set, where they fail it.
//!
//! Processes never outlive the test process, however it ends: see the
//! `supervisor` module (each server runs under a bash supervisor that stops
//! it when the test process's end of a pipe closes). `KAEGIS_K8S_KEEP=1`
//! keeps the folder (logs, kubeconfig, certificates) for inspection.
//!
//! Test support only: std, serde_json (the kubeconfig) and tempfile. No
//! async runtime and no Kubernetes client: tests drive the cluster with the
//! same kubectl a user would.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod audit;
mod binaries;
mod supervisor;

use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

use supervisor::Supervised;

/// How long kube-apiserver may take to report `/readyz` ok.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long etcd may take to listen.
const ETCD_TIMEOUT: Duration = Duration::from_secs(30);
/// Starts retried when a picked port was taken before the server bound it.
const ATTEMPTS: usize = 3;
/// Lines of a server's log quoted in an error.
const LOG_LINES: usize = 30;

/// Why a cluster did not start.
#[derive(Debug)]
pub enum StartError {
    /// The binaries are missing and could not be built (no Go, no network,
    /// no build script): tests skip, unless `CI` is set.
    Unavailable(String),
    /// The binaries are there but the cluster did not come up: always a
    /// test failure. The message quotes the server's log.
    Failed(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Unavailable(m) => write!(f, "no Kubernetes control plane available: {m}"),
            StartError::Failed(m) => write!(
                f,
                "the test Kubernetes cluster did not start (KAEGIS_K8S_KEEP=1 keeps its folder): {m}"
            ),
        }
    }
}

impl std::error::Error for StartError {}

/// A running etcd + kube-apiserver; dropping it stops both (apiserver
/// first) and deletes its folder.
#[derive(Debug)]
pub struct TestCluster {
    // Stopped in this order by `Drop`.
    apiserver: Supervised,
    etcd: Supervised,
    dir: tempfile::TempDir,
    bin_dir: PathBuf,
    server: String,
    token: String,
    kubeconfig: PathBuf,
    ca_file: PathBuf,
    /// Suffixes for namespaces and kubeconfig files.
    serial: AtomicU64,
}

/// Options for [`TestCluster::start`]: extra kube-apiserver flags and files.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    apiserver_args: Vec<String>,
    files: Vec<(String, String)>,
}

/// Flags the harness itself relies on; a builder may not replace them.
const FIXED_FLAGS: [&str; 5] = [
    "--etcd-servers",
    "--bind-address",
    "--secure-port",
    "--cert-dir",
    "--token-auth-file",
];

impl Builder {
    /// Adds a kube-apiserver flag, written `--name=value` (or `--name`).
    /// `{dir}` in it stands for the cluster's folder, e.g.
    /// `--audit-log-path={dir}/audit.log`. A flag the defaults also set
    /// (`--authorization-mode`, `--disable-admission-plugins`, …) replaces
    /// the default; the ports, `--cert-dir` and `--token-auth-file` cannot
    /// be replaced.
    pub fn apiserver_arg(mut self, arg: impl Into<String>) -> Self {
        self.apiserver_args.push(arg.into());
        self
    }

    /// Writes `contents` to `name` in the cluster's folder before the
    /// apiserver starts — a policy file for a flag that names `{dir}/name`.
    pub fn file(mut self, name: impl Into<String>, contents: impl Into<String>) -> Self {
        self.files.push((name.into(), contents.into()));
        self
    }

    /// Starts the cluster and waits until kube-apiserver is ready.
    pub fn start(self) -> Result<TestCluster, StartError> {
        for arg in &self.apiserver_args {
            if FIXED_FLAGS.contains(&flag_name(arg)) {
                return Err(StartError::Failed(format!(
                    "{arg}: the test harness sets {} itself",
                    flag_name(arg)
                )));
            }
            if !arg.starts_with("--") {
                return Err(StartError::Failed(format!(
                    "{arg}: write kube-apiserver flags as --name=value"
                )));
            }
        }
        let bin_dir = binaries::locate()?;
        let mut attempt = 1;
        loop {
            match self.try_start(&bin_dir) {
                Ok(cluster) => return Ok(cluster),
                Err(Attempt::PortTaken(why)) if attempt < ATTEMPTS => {
                    eprintln!("kaegis-testcluster: {why}; retrying with other ports");
                    attempt += 1;
                }
                Err(Attempt::PortTaken(why) | Attempt::Failed(why)) => {
                    return Err(StartError::Failed(why));
                }
            }
        }
    }

    /// [`Builder::start`], or `None` after a notice when the binaries are
    /// unavailable and `CI` is unset. Panics on any other failure.
    pub fn start_or_skip(self) -> Option<TestCluster> {
        match self.start() {
            Ok(cluster) => Some(cluster),
            Err(e) => skip_or_panic(&e),
        }
    }

    fn try_start(&self, bin_dir: &Path) -> Result<TestCluster, Attempt> {
        let started = Instant::now();
        let keep = std::env::var_os("KAEGIS_K8S_KEEP").is_some_and(|v| v == "1");
        let mut dir = tempfile::Builder::new()
            .prefix("kaegis-k8s.")
            .tempdir()
            .map_err(|e| Attempt::Failed(format!("cannot create a temporary folder: {e}")))?;
        dir.disable_cleanup(keep);
        let root = dir.path().to_path_buf();
        let io = |what: &str, e: std::io::Error| {
            Attempt::Failed(format!("{what} in {}: {e}", root.display()))
        };

        let [etcd_port, peer_port, api_port] = free_ports().map_err(|e| io("free ports", e))?;
        let token = random_token().map_err(|e| io("random token", e))?;
        // token,user,uid,"groups": the admin identity of the tests.
        fs::write(
            root.join("tokens.csv"),
            format!("{token},kaegis-admin,kaegis-admin,\"system:masters\"\n"),
        )
        .map_err(|e| io("writing tokens.csv", e))?;
        for (name, contents) in &self.files {
            fs::write(root.join(name), contents).map_err(|e| io(name, e))?;
        }

        let etcd_url = format!("http://127.0.0.1:{etcd_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let etcd_args = vec![
            "--name=kaegis".to_string(),
            format!("--data-dir={}", root.join("etcd").display()),
            format!("--listen-client-urls={etcd_url}"),
            format!("--advertise-client-urls={etcd_url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=kaegis={peer_url}"),
            // Test data: durability is not worth the fsync latency.
            "--unsafe-no-fsync".to_string(),
            "--log-level=warn".to_string(),
        ];
        // etcd stops last, so its supervisor deletes the folder — also when
        // the test process has died and no Drop runs.
        let remove = (!keep).then_some(root.as_path());
        let mut etcd = Supervised::spawn(
            "etcd",
            &bin_dir.join("etcd"),
            &etcd_args,
            &root.join("etcd.log"),
            remove,
            None,
        )
        .map_err(|e| io("starting etcd", e))?;
        wait_for_port(etcd_port, ETCD_TIMEOUT, &mut etcd)?;

        let certs = root.join("certs");
        let apiserver_args = self.apiserver_args(&root, &etcd_url, api_port);
        let apiserver = Supervised::spawn(
            "kube-apiserver",
            &bin_dir.join("kube-apiserver"),
            &apiserver_args,
            &root.join("apiserver.log"),
            None,
            Some(&etcd),
        )
        .map_err(|e| io("starting kube-apiserver", e))?;

        let server = format!("https://127.0.0.1:{api_port}");
        let ca_file = certs.join("apiserver.crt");
        let kubeconfig = root.join("kubeconfig");
        write_kubeconfig(&kubeconfig, &server, &ca_file, "kaegis-admin", &token)
            .map_err(|e| io("writing the kubeconfig", e))?;

        let cluster = TestCluster {
            apiserver,
            etcd,
            dir,
            bin_dir: bin_dir.to_path_buf(),
            server,
            token,
            kubeconfig,
            ca_file,
            serial: AtomicU64::new(0),
        };
        cluster_wait_ready(cluster, api_port, started)
    }

    /// The kube-apiserver command line: the flags `.ci/k8s-smoke.sh` proved,
    /// then the builder's (replacing defaults of the same name).
    fn apiserver_args(&self, root: &Path, etcd_url: &str, api_port: u16) -> Vec<String> {
        let dir = root.display().to_string();
        // kube-apiserver writes its self-signed serving certificate and key
        // into --cert-dir while completing its options, before it loads the
        // service-account keys; so its own key can sign and verify
        // ServiceAccount tokens and no openssl or Go program is needed to
        // make a key pair. (Checked with v1.37.2; if a release changes that
        // order, the start fails with the apiserver's error quoted.)
        let key = format!("{dir}/certs/apiserver.key");
        let defaults = [
            format!("--etcd-servers={etcd_url}"),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            format!("--secure-port={api_port}"),
            format!("--cert-dir={dir}/certs"),
            "--service-account-issuer=https://kubernetes.default.svc".into(),
            format!("--service-account-key-file={key}"),
            format!("--service-account-signing-key-file={key}"),
            format!("--token-auth-file={dir}/tokens.csv"),
            "--authorization-mode=Node,RBAC".into(),
            "--service-cluster-ip-range=10.0.0.0/24".into(),
            // No controller-manager creates `default` ServiceAccounts.
            "--disable-admission-plugins=ServiceAccount".into(),
            // No Endpoints for the `kubernetes` Service, nothing to reconcile.
            "--endpoint-reconciler-type=none".into(),
            // As kubeadm and managed clusters run it: privileged pods are a
            // policy question (admission), not refused outright.
            "--allow-privileged=true".into(),
        ];
        let extra: Vec<String> = self
            .apiserver_args
            .iter()
            .map(|a| a.replace("{dir}", &dir))
            .collect();
        let mut args: Vec<String> = defaults
            .into_iter()
            .filter(|d| !extra.iter().any(|e| flag_name(e) == flag_name(d)))
            .collect();
        args.extend(extra);
        args
    }
}

/// A failed start: retried with new ports, or given up.
enum Attempt {
    PortTaken(String),
    Failed(String),
}

/// `--name` of `--name=value`.
fn flag_name(arg: &str) -> &str {
    arg.split_once('=').map_or(arg, |(name, _)| name)
}

static SHARED: OnceLock<Result<TestCluster, StartError>> = OnceLock::new();

impl TestCluster {
    /// Starts a cluster with the default flags.
    pub fn start() -> Result<TestCluster, StartError> {
        Builder::default().start()
    }

    /// Options for a cluster with extra apiserver flags or files.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The cluster this test binary's tests share, started by the first
    /// caller. It is never dropped: its servers stop and its folder is
    /// deleted when the test process exits (see the crate docs). Give each
    /// test its own namespace ([`TestCluster::create_namespace`]).
    pub fn shared() -> Result<&'static TestCluster, &'static StartError> {
        SHARED.get_or_init(TestCluster::start).as_ref()
    }

    /// [`TestCluster::shared`], or `None` after a notice when the binaries
    /// are unavailable and `CI` is unset. Panics on any other failure.
    pub fn shared_or_skip() -> Option<&'static TestCluster> {
        match TestCluster::shared() {
            Ok(cluster) => Some(cluster),
            Err(e) => skip_or_panic(e),
        }
    }

    /// The admin kubeconfig (a JSON file; kubectl and client libraries read
    /// it like YAML).
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The API server's URL, `https://127.0.0.1:PORT`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The admin's bearer token (user `kaegis-admin`, group `system:masters`).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The PEM file to trust the API server's self-signed certificate with.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// The cluster's folder: `apiserver.log`, `etcd.log`, `kubeconfig`,
    /// `certs/`, files given to [`Builder::file`].
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A file in the binaries' folder: `bin("kubectl")`,
    /// `bin("kube-apiserver.stamp")` (the version it was built from).
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    /// Runs kubectl as the admin.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_as(&self.kubeconfig, args)
    }

    /// Runs kubectl with another kubeconfig, e.g. one from
    /// [`TestCluster::kubeconfig_with_token`].
    pub fn kubectl_as(&self, kubeconfig: &Path, args: &[&str]) -> Output {
        self.run_kubectl(kubeconfig, args, None)
    }

    /// Runs kubectl as the admin with `input` on its stdin (`-f -`).
    pub fn kubectl_input(&self, args: &[&str], input: &str) -> Output {
        self.run_kubectl(&self.kubeconfig, args, Some(input))
    }

    /// `kubectl apply -f -` of `yaml`, as the admin.
    pub fn kubectl_apply(&self, yaml: &str) -> Output {
        self.kubectl_input(&["apply", "-f", "-"], yaml)
    }

    /// Runs kubectl as the admin and returns its stdout; panics with the
    /// command, stdout and stderr if it fails.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        ok_or_panic(args, self.kubectl(args))
    }

    /// [`TestCluster::kubectl_apply`] that must succeed; returns stdout.
    pub fn kubectl_apply_ok(&self, yaml: &str) -> String {
        ok_or_panic(&["apply", "-f", "-"], self.kubectl_apply(yaml))
    }

    /// Creates a namespace named `prefix-N`, unique in this cluster, and
    /// returns its name.
    pub fn create_namespace(&self, prefix: &str) -> String {
        let name = format!("{prefix}-{}", self.serial.fetch_add(1, Ordering::Relaxed));
        self.kubectl_ok(&["create", "namespace", &name]);
        name
    }

    /// A bearer token for ServiceAccount `ns/name` (`kubectl create token`,
    /// the TokenRequest API). The ServiceAccount must exist: no controller
    /// creates any here.
    pub fn token_for_service_account(&self, ns: &str, name: &str) -> String {
        self.kubectl_ok(&["create", "token", name, "-n", ns])
            .trim()
            .to_string()
    }

    /// Writes a kubeconfig for this cluster that authenticates with
    /// `token`, and returns its path (in [`TestCluster::dir`]).
    pub fn kubeconfig_with_token(&self, token: &str) -> PathBuf {
        let n = self.serial.fetch_add(1, Ordering::Relaxed);
        let path = self.dir().join(format!("kubeconfig-{n}"));
        if let Err(e) = write_kubeconfig(&path, &self.server, &self.ca_file, "token-user", token) {
            panic!("cannot write {}: {e}", path.display());
        }
        path
    }

    fn run_kubectl(&self, kubeconfig: &Path, args: &[&str], input: Option<&str>) -> Output {
        let mut command = Command::new(self.bin("kubectl"));
        command
            .arg(format!("--kubeconfig={}", kubeconfig.display()))
            // Not ~/.kube/cache: a port of this run may have been another
            // cluster's, with other API groups, in an earlier one.
            .arg(format!(
                "--cache-dir={}",
                self.dir().join("kube-cache").display()
            ))
            .args(args)
            .env_remove("KUBECONFIG")
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let spawned = command.spawn().and_then(|mut child| {
            if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
                // Written from a thread so a large input cannot deadlock
                // against kubectl's output.
                let input = input.to_string();
                std::thread::spawn(move || stdin.write_all(input.as_bytes()));
            }
            child.wait_with_output()
        });
        match spawned {
            Ok(output) => output,
            Err(e) => panic!("cannot run {}: {e}", self.bin("kubectl").display()),
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        // The apiserver first: etcd going away under it only makes noise.
        self.apiserver.stop();
        self.etcd.stop();
    }
}

/// Polls `/readyz` until it answers `ok`, checking that neither server died.
fn cluster_wait_ready(
    mut cluster: TestCluster,
    api_port: u16,
    started: Instant,
) -> Result<TestCluster, Attempt> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let addr = SocketAddr::from(([127, 0, 0, 1], api_port));
    let mut last = String::from("kube-apiserver is not listening yet");
    loop {
        if let Some(status) = cluster.apiserver.exited() {
            return Err(exited("kube-apiserver", status, cluster.apiserver.log()));
        }
        if let Some(status) = cluster.etcd.exited() {
            return Err(exited("etcd", status, cluster.etcd.log()));
        }
        // Cheap checks first: kubectl costs a process and a TLS handshake.
        if cluster.ca_file.is_file()
            && TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
        {
            let out = cluster.kubectl(&["get", "--raw", "/readyz"]);
            if out.status.success() {
                eprintln!(
                    "kaegis-testcluster: kube-apiserver ready at {} in {:.1} s ({})",
                    cluster.server,
                    started.elapsed().as_secs_f64(),
                    cluster.dir().display()
                );
                return Ok(cluster);
            }
            last = format!(
                "kubectl get --raw /readyz: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if Instant::now() >= deadline {
            let verbose = cluster.kubectl(&["get", "--raw", "/readyz?verbose"]);
            return Err(Attempt::Failed(format!(
                "kube-apiserver at {} not ready after {READY_TIMEOUT:?}; last answer: {}\n\
                 /readyz?verbose:\n{}\n--- last lines of {}:\n{}",
                cluster.server,
                last.trim(),
                String::from_utf8_lossy(&verbose.stdout).trim(),
                cluster.apiserver.log().display(),
                log_tail(cluster.apiserver.log())
            )));
        }
        sleep(Duration::from_millis(200));
    }
}

/// Waits until etcd listens on `port`.
fn wait_for_port(port: u16, timeout: Duration, server: &mut Supervised) -> Result<(), Attempt> {
    let deadline = Instant::now() + timeout;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        if let Some(status) = server.exited() {
            return Err(exited("etcd", status, server.log()));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Attempt::Failed(format!(
                "etcd did not listen on 127.0.0.1:{port} in {timeout:?}; last lines of {}:\n{}",
                server.log().display(),
                log_tail(server.log())
            )));
        }
        sleep(Duration::from_millis(20));
    }
}

/// The error for a server that exited during startup; a port taken
/// between picking and binding it is worth another try.
fn exited(name: &str, status: std::process::ExitStatus, log: &Path) -> Attempt {
    let tail = log_tail(log);
    let message = format!(
        "{name} exited during startup ({status}); last lines of {}:\n{tail}",
        log.display()
    );
    if tail.contains("address already in use") {
        Attempt::PortTaken(message)
    } else {
        Attempt::Failed(message)
    }
}

/// Three distinct free loopback ports: bound together (so the kernel
/// hands out different ones), then released for the servers to take.
fn free_ports() -> std::io::Result<[u16; 3]> {
    let listeners = [
        TcpListener::bind("127.0.0.1:0")?,
        TcpListener::bind("127.0.0.1:0")?,
        TcpListener::bind("127.0.0.1:0")?,
    ];
    let mut ports = [0; 3];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr()?.port();
    }
    Ok(ports)
}

/// 128 random bits as hex, from the kernel.
fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A kubeconfig with one cluster, one token user and one context, as JSON
/// (a subset of YAML; no quoting rules to get wrong).
fn write_kubeconfig(
    path: &Path,
    server: &str,
    ca_file: &Path,
    user: &str,
    token: &str,
) -> std::io::Result<()> {
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": "kaegis-test",
            "cluster": {"server": server, "certificate-authority": ca_file},
        }],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{
            "name": "kaegis-test",
            "context": {"cluster": "kaegis-test", "user": user},
        }],
        "current-context": "kaegis-test",
    });
    let text = serde_json::to_string_pretty(&config).map_err(std::io::Error::other)?;
    fs::write(path, text)
}

/// The last [`LOG_LINES`] lines of a log file.
fn log_tail(path: &Path) -> String {
    match fs::read(path) {
        Ok(bytes) => last_lines(&String::from_utf8_lossy(&bytes), LOG_LINES),
        Err(e) => format!("(cannot read it: {e})"),
    }
}

/// The last `n` lines of `text`.
pub(crate) fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Stdout of a successful kubectl run; otherwise a panic that shows it all.
fn ok_or_panic(args: &[&str], output: Output) -> String {
    if !output.status.success() {
        panic!(
            "kubectl {} failed ({}):\n--- stdout:\n{}\n--- stderr:\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Skips (a notice, `None`) when the control plane is unavailable outside
/// CI; panics otherwise.
fn skip_or_panic<T>(error: &StartError) -> Option<T> {
    match error {
        StartError::Unavailable(_) if std::env::var_os("CI").is_none() => {
            let test = std::thread::current().name().unwrap_or("?").to_string();
            eprintln!("SKIPPED {test} (with CI set it would fail): {error}");
            None
        }
        _ => panic!("{error}"),
    }
}
