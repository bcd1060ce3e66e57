//! Baselines: a saved JSON report (`--baseline previous.json`) lists the
//! findings a team has accepted for now; a scan then reports only what is
//! new. Findings match on their check, the object's identity and the JSON
//! path inside it — never on line numbers, so moving objects around a file
//! or adding lines above them changes nothing. Matching counts: when the
//! baseline has a finding once and the scan has it twice, one is new.

use std::collections::HashMap;
use std::path::Path;

use kaegis_core::Finding;
use serde::Deserialize;

/// What identifies a finding across scans.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    check: String,
    api_version: String,
    kind: String,
    namespace: Option<String>,
    name: String,
    path: String,
}

impl Fingerprint {
    /// The fingerprint of a finding of this scan.
    pub fn of(f: &Finding) -> Self {
        Self {
            check: f.check.slug.to_owned(),
            api_version: f.object.api_version.clone(),
            kind: f.object.kind.clone(),
            namespace: f.object.namespace.clone(),
            name: f.object.name.clone(),
            path: f.path.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct SavedReport {
    #[serde(rename = "schemaVersion")]
    schema_version: String,
    findings: Vec<SavedFinding>,
}

#[derive(Deserialize)]
struct SavedFinding {
    check: SavedCheck,
    object: SavedObject,
    path: String,
}

#[derive(Deserialize)]
struct SavedCheck {
    slug: String,
}

#[derive(Deserialize)]
struct SavedObject {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    namespace: Option<String>,
    name: String,
}

/// The accepted findings, with how many times each was seen.
#[derive(Debug, Default)]
pub struct Baseline {
    accepted: HashMap<Fingerprint, usize>,
}

/// Why a baseline could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("{0}: cannot read the baseline: {1}")]
    Read(String, std::io::Error),
    /// Not a kaegis JSON report.
    #[error(
        "{0}: not a kaegis JSON report ({1}); write one with `kaegis scan … --format json -o {0}`"
    )]
    Format(String, String),
}

impl Baseline {
    /// Reads a JSON report written by `kaegis scan --format json`.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let name = path.display().to_string();
        let text = std::fs::read(path).map_err(|e| BaselineError::Read(name.clone(), e))?;
        Self::parse(&text).map_err(|e| BaselineError::Format(name, e))
    }

    /// Parses a JSON report's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let saved: SavedReport = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if !saved.schema_version.starts_with("kaegis.dev/report/") {
            return Err(format!("schemaVersion is `{}`", saved.schema_version));
        }
        let mut accepted = HashMap::new();
        for f in saved.findings {
            let fp = Fingerprint {
                check: f.check.slug,
                api_version: f.object.api_version,
                kind: f.object.kind,
                namespace: f.object.namespace,
                name: f.object.name,
                path: f.path,
            };
            *accepted.entry(fp).or_insert(0) += 1;
        }
        Ok(Self { accepted })
    }

    /// Keeps only the findings the baseline does not account for, and
    /// returns how many it removed.
    pub fn filter(&self, findings: &mut Vec<Finding>) -> usize {
        let mut left = self.accepted.clone();
        let before = findings.len();
        findings.retain(|f| match left.get_mut(&Fingerprint::of(f)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
        before - findings.len()
    }
}
