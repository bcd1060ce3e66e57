//! Findings: what a check reports, with everything a reporter needs.

use std::path::Path;
use std::sync::Arc;

use crate::check::CheckMeta;
use crate::fix::Fix;
use crate::node::Pos;
use crate::object::ObjectId;
use crate::path::JsonPath;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; not a weakness by itself.
    Info,
    /// Hardening that is missing.
    Low,
    /// A weakness an attacker can use with other steps.
    Medium,
    /// A direct path to privilege or data.
    High,
    /// Node or cluster compromise as configured.
    Critical,
}

impl Severity {
    /// All severities, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lower-case name used in flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a lower-case name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding is in a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The file (`<stdin>` for standard input), if the object came from one.
    pub file: Option<Arc<Path>>,
    /// 0-based document index in the file.
    pub document: u32,
    /// Line and column of the value the finding is about (or of its nearest
    /// existing parent when the value is missing).
    pub pos: Pos,
}

/// One violation of one check by one object.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The check that raised it.
    pub check: &'static CheckMeta,
    /// Severity after configuration.
    pub severity: Severity,
    /// The object to change.
    pub object: ObjectId,
    /// The exact value (or missing field) at fault.
    pub path: JsonPath,
    /// Where that is.
    pub location: Location,
    /// What is wrong, in one sentence about this object.
    pub message: String,
    /// The source line at `location`, for reporters that show it.
    pub snippet: Option<String>,
    /// The mechanical fix, when there is one.
    pub fix: Option<Box<FixProposal>>,
}

/// A fix for one finding, ready for reporters and `kaegis fix`.
#[derive(Clone, Debug, PartialEq)]
pub struct FixProposal {
    /// What the check proposes.
    pub fix: Fix,
    /// The same as an RFC 6902 JSON Patch against the object as scanned.
    pub json_patch: serde_json::Value,
    /// Where the object starts in its file (its document may hold a `List`).
    pub object_pos: Pos,
    /// The same as one replacement of the file's text, when the caller
    /// computed it (for SARIF `fixes`).
    pub replacement: Option<TextReplacement>,
}

/// A change to a file's text: `[start, end)` replaced by `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextReplacement {
    /// First replaced character.
    pub start: Pos,
    /// The character after the last one replaced (`start` for an insertion).
    pub end: Pos,
    /// The new text.
    pub text: String,
}

/// What a check reports before the engine resolves location and severity.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The value (or missing field) at fault.
    pub path: JsonPath,
    /// One sentence about this object.
    pub message: String,
    /// The mechanical fix, when there is one.
    pub fix: Option<Box<Fix>>,
}

impl Violation {
    /// A violation at `path`.
    pub fn new(path: JsonPath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
            fix: None,
        }
    }

    /// The violation with a mechanical fix.
    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(Box::new(fix));
        self
    }
}
