//! kaegis-inputs: everything between bytes on disk and [`kaegis_core::Object`]s.
//!
//! - [`discover`]: which files a scan reads (recursion, `.gitignore`, `--exclude`, stdin);
//! - [`yaml`] and [`json`]: parsers into the source-mapped [`kaegis_core::Node`] tree;
//! - [`edit`]: format-preserving edits of YAML/JSON text (`kaegis fix`);
//! - [`load`]: from a file's bytes to objects (`List` kinds unpacked) and
//!   diagnostics (broken YAML with file:line:column, non-Kubernetes files noted).
//!
//! This crate depends on kaegis-core only; it never runs checks or reports.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod discover;
pub mod edit;
pub mod json;
pub mod load;
pub mod skim;
pub mod yaml;

pub use discover::{Input, discover};
pub use kaegis_core::{Diagnostic, DiagnosticLevel};
pub use load::{LoadedFile, Syntax, load};

use kaegis_core::Pos;

/// A syntax error at a position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {message}")]
pub struct ParseError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// What it expected or found.
    pub message: String,
}
