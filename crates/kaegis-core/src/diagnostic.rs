//! Diagnostics about inputs: what could not be read, and what was skipped.

use std::path::Path;
use std::sync::Arc;

use crate::node::Pos;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DiagnosticLevel {
    /// Something skipped on purpose (not a Kubernetes file, an unrendered
    /// template). Does not change the exit code.
    Note,
    /// Input kaegis could not read: broken YAML, binary file, unreadable
    /// path. The scan goes on; the exit code is 2.
    Error,
}

/// A message about an input, with file and position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Note or error.
    pub level: DiagnosticLevel,
    /// The file it is about.
    pub file: Arc<Path>,
    /// Where in the file, when known.
    pub pos: Option<Pos>,
    /// What happened and what to do.
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(p) = self.pos {
            write!(f, ":{}:{}", p.line, p.col)?;
        }
        write!(f, ": {}", self.message)
    }
}
