//! The engine: selects checks from the catalog and runs them over objects.

use std::collections::HashSet;

use crate::check::{Check, Context, LATEST_PSS_MINOR, Profile};
use crate::finding::{Finding, Location, Severity};
use crate::object::{Object, Origin};

/// Which checks run, and how.
#[derive(Clone, Debug)]
pub struct Selection {
    /// The profile (`--profile`).
    pub profile: Profile,
    /// The Pod Security Standards version (`--pss-version v1.<minor>`).
    pub pss_minor: u32,
    /// Checks added by code or slug on top of the profile.
    pub enable: Vec<String>,
    /// Checks removed by code or slug.
    pub disable: Vec<String>,
}

impl Default for Selection {
    fn default() -> Self {
        Self {
            profile: Profile::All,
            pss_minor: LATEST_PSS_MINOR,
            enable: Vec::new(),
            disable: Vec::new(),
        }
    }
}

/// Why a selection could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    /// A code or slug that no check has.
    #[error("unknown check `{0}`: `kaegis checks` lists the catalog")]
    UnknownCheck(String),
    /// A profile that selects no check in this version of kaegis.
    #[error(
        "profile `{0}` selects no checks in this version of kaegis: use pss-baseline, pss-restricted, production or all"
    )]
    EmptyProfile(&'static str),
    /// A version newer than kaegis knows.
    #[error(
        "Pod Security Standards version v1.{0} is newer than the latest kaegis knows (v1.{LATEST_PSS_MINOR})"
    )]
    FutureVersion(u32),
}

/// The selected checks and their context, ready to run.
pub struct Engine {
    checks: Vec<&'static dyn Check>,
    ctx: Context,
}

fn matches(check: &dyn Check, name: &str) -> bool {
    let m = check.meta();
    m.slug == name || m.code.eq_ignore_ascii_case(name)
}

impl Engine {
    /// Selects checks from `catalog`.
    pub fn new(catalog: &[&'static dyn Check], sel: &Selection) -> Result<Self, SelectionError> {
        if sel.pss_minor > LATEST_PSS_MINOR {
            return Err(SelectionError::FutureVersion(sel.pss_minor));
        }
        for name in sel.enable.iter().chain(&sel.disable) {
            if !catalog.iter().any(|c| matches(*c, name)) {
                return Err(SelectionError::UnknownCheck(name.clone()));
            }
        }
        let mut checks: Vec<&'static dyn Check> = catalog
            .iter()
            .copied()
            .filter(|c| {
                let m = c.meta();
                let wanted = m.in_profile(sel.profile) || sel.enable.iter().any(|n| matches(*c, n));
                let disabled = sel.disable.iter().any(|n| matches(*c, n));
                let exists = m.pss.is_none_or(|p| p.since <= sel.pss_minor);
                wanted && !disabled && exists
            })
            .collect();
        // A restricted control that replaces a baseline one (from a version on)
        // removes it, exactly as Pod Security Admission evaluates levels.
        let overridden: HashSet<&str> = checks
            .iter()
            .filter_map(|c| c.meta().pss)
            .flat_map(|p| p.overrides.iter())
            .filter(|(_, since)| *since <= sel.pss_minor)
            .map(|(slug, _)| *slug)
            .collect();
        checks.retain(|c| !overridden.contains(c.meta().slug));
        if checks.is_empty() && sel.enable.is_empty() {
            return Err(SelectionError::EmptyProfile(sel.profile.as_str()));
        }
        Ok(Self {
            checks,
            ctx: Context {
                pss_minor: sel.pss_minor,
            },
        })
    }

    /// The selected checks.
    pub fn checks(&self) -> &[&'static dyn Check] {
        &self.checks
    }

    /// The context checks run with.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Runs every selected check on one object.
    pub fn run(&self, obj: &Object) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut violations = Vec::new();
        let (file, document) = match &obj.origin {
            Origin::File { path, document, .. } => (Some(path.clone()), *document),
            Origin::Other(_) => (None, 0),
        };
        for check in &self.checks {
            violations.clear();
            check.check(obj, &self.ctx, &mut violations);
            let meta = check.meta();
            for v in violations.drain(..) {
                let pos = obj.locate(&v.path);
                findings.push(Finding {
                    check: meta,
                    severity: meta.severity,
                    object: obj.id.clone(),
                    path: v.path,
                    location: Location {
                        file: file.clone(),
                        document,
                        pos,
                    },
                    message: v.message,
                    snippet: None,
                });
            }
        }
        findings
    }
}

/// True when any finding is at or above `threshold`.
pub fn fails(findings: &[Finding], threshold: Severity) -> bool {
    findings.iter().any(|f| f.severity >= threshold)
}
