//! Reading log files through a pipeline: once (`kaegis detect --audit-log
//! …`) or followed (`--follow`), with checkpoints in the store when there
//! is one. A checkpoint is taken only after the sinks were flushed, and it
//! records the alert file's length: on restart the alert file is cut back
//! to it and reading resumes at the saved positions, so alerts and the
//! stateful rules' memory agree with what was read — exactly once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::input::{LogFile, Notice};
use crate::pipeline::{Pipeline, PipelineError};
use crate::state::State;
use crate::store::{Checkpoint, Store, StoreError};

/// How often a followed log is polled when idle.
const POLL: Duration = Duration::from_millis(200);
/// The longest time between checkpoints while events flow.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Something the user should see, with its file and line when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// A line that is not an audit event.
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: u64,
        /// Why.
        message: String,
    },
    /// Rotation, truncation, a resume that could not continue, a line too
    /// long.
    Notice(Notice),
    /// A file that could not be read (the others go on).
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Report::Malformed {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            Report::Unreadable { path, message } => {
                write!(f, "{}: cannot read: {message}", path.display())
            }
            Report::Notice(Notice::Rotated(p)) => {
                write!(f, "{}: rotated; reading the new file", p.display())
            }
            Report::Notice(Notice::Truncated(p)) => {
                write!(f, "{}: truncated; reading from the start", p.display())
            }
            Report::Notice(Notice::Restarted(p, why)) => {
                write!(f, "{}: reading from the start: {why}", p.display())
            }
            Report::Notice(Notice::Resumed(p, line)) => {
                write!(f, "{}: resuming after line {line}", p.display())
            }
            Report::Notice(Notice::TooLong(p, line)) => write!(
                f,
                "{}:{line}: line longer than {} bytes skipped",
                p.display(),
                crate::input::MAX_LINE
            ),
        }
    }
}

/// A fatal error of a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A sink failed.
    #[error(transparent)]
    Sink(PipelineError),
}

/// Log files read through a pipeline.
pub struct FileRun {
    logs: Vec<LogFile>,
    store: Option<Store>,
    output: Option<PathBuf>,
    observer: Option<Observer>,
}

/// Watches the pipeline after each batch of lines (metrics).
type Observer = Box<dyn FnMut(&Pipeline)>;

impl FileRun {
    /// Opens the logs, resuming from the store's checkpoint when there is
    /// one, and returns the state the detector must start from. When the
    /// checkpoint knows the alert file, alerts written after it are cut.
    pub fn open(
        paths: &[PathBuf],
        store: Option<Store>,
        output: Option<&Path>,
        reports: &mut dyn FnMut(Report),
    ) -> Result<(Self, State), RunError> {
        let saved = match &store {
            Some(s) => s.load()?,
            None => None,
        };
        let fresh = saved.is_none();
        let checkpoint = saved.unwrap_or_default();
        if let (Some(out), Some((saved, len))) = (output, &checkpoint.output)
            && out == saved
            && let Ok(f) = std::fs::OpenOptions::new().write(true).open(out)
            && f.metadata().is_ok_and(|m| m.len() > *len)
        {
            // Alerts of events that will be read again.
            let _ = f.set_len(*len);
        }
        let mut notices = Vec::new();
        let logs = paths
            .iter()
            .map(|p| LogFile::open(p, checkpoint.position(p), &mut notices))
            .collect();
        for n in notices {
            reports(Report::Notice(n));
        }
        let run = Self {
            logs,
            store,
            output: output.map(Path::to_path_buf),
            observer: None,
        };
        if fresh && let Some(store) = &run.store {
            // A first checkpoint before anything is read: a crash before
            // the next one must still cut the alert file back.
            store.save(&run.snapshot(State::default()))?;
        }
        Ok((run, checkpoint.state))
    }

    /// Calls `f` with the pipeline after each batch of lines (for metrics).
    pub fn set_observer(&mut self, f: impl FnMut(&Pipeline) + 'static) {
        self.observer = Some(Box::new(f));
    }

    /// Reads every log once to its end (in the order given), or follows
    /// them until `stop` is set. Returns after a final checkpoint.
    pub fn run(
        &mut self,
        pipeline: &mut Pipeline,
        follow: bool,
        stop: &AtomicBool,
        reports: &mut dyn FnMut(Report),
    ) -> Result<(), RunError> {
        let mut last_checkpoint = Instant::now();
        let mut dirty = false;
        loop {
            let mut read_any = false;
            for i in 0..self.logs.len() {
                loop {
                    let mut notices = Vec::new();
                    let mut sink_error = None;
                    let log = &mut self.logs[i];
                    let path = log.path().to_path_buf();
                    let outcome = log.read_available(follow, &mut notices, &mut |line| {
                        if sink_error.is_some() {
                            return;
                        }
                        match pipeline.line(line.bytes) {
                            Ok(_) => {}
                            Err(PipelineError::Decode(e)) => reports(Report::Malformed {
                                path: path.clone(),
                                line: line.number,
                                message: e.to_string(),
                            }),
                            Err(e) => sink_error = Some(e),
                        }
                    });
                    for n in notices {
                        reports(Report::Notice(n));
                    }
                    if let Some(e) = sink_error {
                        return Err(RunError::Sink(e));
                    }
                    let outcome = match outcome {
                        Ok(o) => o,
                        Err(e) => {
                            reports(Report::Unreadable {
                                path: path.clone(),
                                message: e.to_string(),
                            });
                            break;
                        }
                    };
                    if outcome.lines > 0 {
                        read_any = true;
                        dirty = true;
                        if let Some(observe) = self.observer.as_mut() {
                            observe(pipeline);
                        }
                    }
                    if dirty && last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
                        self.checkpoint(pipeline)?;
                        dirty = false;
                        last_checkpoint = Instant::now();
                    }
                    if outcome.at_end || stop.load(Ordering::SeqCst) {
                        break;
                    }
                }
            }
            if !follow || stop.load(Ordering::SeqCst) {
                break;
            }
            if !read_any {
                if dirty {
                    self.checkpoint(pipeline)?;
                    dirty = false;
                    last_checkpoint = Instant::now();
                }
                std::thread::sleep(POLL);
            }
        }
        self.checkpoint(pipeline)
    }

    /// Flushes the sinks, then saves positions, state and the alert file's
    /// length together.
    pub fn checkpoint(&mut self, pipeline: &mut Pipeline) -> Result<(), RunError> {
        pipeline.flush().map_err(RunError::Sink)?;
        let Some(store) = &self.store else {
            return Ok(());
        };
        store.save(&self.snapshot(pipeline.detector().state().clone()))?;
        Ok(())
    }

    /// A checkpoint of `state` with the logs' positions and the alert
    /// file's length now (0 when it does not exist yet).
    fn snapshot(&self, state: State) -> Checkpoint {
        Checkpoint {
            positions: self.logs.iter().map(LogFile::position).collect(),
            state,
            output: self.output.as_ref().map(|p| {
                let len = std::fs::metadata(p).map_or(0, |m| m.len());
                (p.clone(), len)
            }),
        }
    }
}
