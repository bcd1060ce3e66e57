//! The engine: selects checks from the catalog and runs them over objects,
//! then applies what the team decided about the findings: severity
//! overrides, exemptions from the config file, and waivers written in the
//! objects themselves (`kaegis.dev/ignore`).

use std::collections::{HashMap, HashSet};

use crate::check::{Check, Context, LATEST_PSS_MINOR, Profile, Scope};
use crate::finding::{Finding, FixProposal, Location, Severity, Violation};
use crate::inventory::{Inventory, namespace_key};
use crate::object::{Object, Origin};
use crate::selector::{LabelSelector, Labels};
use crate::settings::Settings;

/// The annotation that waives checks for one object.
pub const IGNORE_ANNOTATION: &str = "kaegis.dev/ignore";
/// The annotation that says why.
pub const IGNORE_REASON_ANNOTATION: &str = "kaegis.dev/ignore-reason";

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
    /// Severity overrides by code or slug.
    pub severities: Vec<(String, Severity)>,
    /// Exemptions (from the config file).
    pub exemptions: Vec<Exemption>,
    /// Check parameters.
    pub settings: Settings,
}

impl Default for Selection {
    fn default() -> Self {
        Self {
            profile: Profile::All,
            pss_minor: LATEST_PSS_MINOR,
            enable: Vec::new(),
            disable: Vec::new(),
            severities: Vec::new(),
            exemptions: Vec::new(),
            settings: Settings::default(),
        }
    }
}

/// A decision that some checks do not apply to some objects, with its
/// reason. Every non-empty filter must match; an empty one matches all.
#[derive(Clone, Debug, Default)]
pub struct Exemption {
    /// Checks (slug or code) it exempts; empty: every check.
    pub checks: Vec<String>,
    /// Namespace globs.
    pub namespaces: Vec<String>,
    /// Object name globs.
    pub names: Vec<String>,
    /// Kinds.
    pub kinds: Vec<String>,
    /// A label selector on the object's labels.
    pub labels: Option<LabelSelector>,
    /// Why (required by the config loader).
    pub reason: String,
}

impl Exemption {
    fn applies(&self, obj: &Object, labels: &Labels, check: &Finding) -> bool {
        (self.checks.is_empty()
            || self
                .checks
                .iter()
                .any(|c| c == check.check.slug || c.eq_ignore_ascii_case(check.check.code)))
            && (self.namespaces.is_empty()
                || self.namespaces.iter().any(|g| glob(g, namespace_key(obj))))
            && (self.names.is_empty() || self.names.iter().any(|g| glob(g, &obj.id.name)))
            && (self.kinds.is_empty() || self.kinds.contains(&obj.id.kind))
            && self.labels.as_ref().is_none_or(|s| s.matches(labels))
    }
}

/// Shell-style glob: `*` any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Why a selection could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    /// A code or slug that no check has.
    #[error("unknown check `{0}`: `kaegis checks` lists the catalog")]
    UnknownCheck(String),
    /// A profile that selects no check in this version of kaegis.
    #[error(
        "profile `{0}` selects no checks in this version of kaegis: use pss-baseline, pss-restricted, production, nsa or all"
    )]
    EmptyProfile(&'static str),
    /// A version newer than kaegis knows.
    #[error(
        "Pod Security Standards version v1.{0} is newer than the latest kaegis knows (v1.{LATEST_PSS_MINOR})"
    )]
    FutureVersion(u32),
}

/// The findings of one object, and how many were waived or exempted.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Findings that stand.
    pub findings: Vec<Finding>,
    /// Findings waived by annotation or exempted by the config file.
    pub suppressed: usize,
}

/// What the inventory-scope checks of a selection report on.
enum KeptKinds {
    /// Some check reports on any kind.
    Any,
    /// The union of their kinds.
    These(HashSet<&'static str>),
}

/// The selected checks and their context, ready to run.
pub struct Engine {
    checks: Vec<&'static dyn Check>,
    /// `None` when no selected check needs the inventory.
    kept_kinds: Option<KeptKinds>,
    pss_minor: u32,
    settings: Settings,
    severities: HashMap<&'static str, Severity>,
    exemptions: Vec<Exemption>,
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
        let names = sel
            .enable
            .iter()
            .chain(&sel.disable)
            .chain(sel.severities.iter().map(|(n, _)| n))
            .chain(sel.exemptions.iter().flat_map(|e| &e.checks));
        for name in names {
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
        let mut severities = HashMap::new();
        for (name, sev) in &sel.severities {
            for c in catalog.iter().filter(|c| matches(**c, name)) {
                severities.insert(c.meta().slug, *sev);
            }
        }
        let mut kept_kinds = None;
        for m in checks.iter().map(|c| c.meta()) {
            if m.scope != Scope::Inventory {
                continue;
            }
            kept_kinds = match (kept_kinds, m.kinds.is_empty()) {
                (Some(KeptKinds::Any), _) | (_, true) => Some(KeptKinds::Any),
                (Some(KeptKinds::These(mut kinds)), false) => {
                    kinds.extend(m.kinds.iter().copied());
                    Some(KeptKinds::These(kinds))
                }
                (None, false) => Some(KeptKinds::These(m.kinds.iter().copied().collect())),
            };
        }
        Ok(Self {
            checks,
            kept_kinds,
            pss_minor: sel.pss_minor,
            settings: sel.settings.clone(),
            severities,
            exemptions: sel.exemptions.clone(),
        })
    }

    /// The selected checks.
    pub fn checks(&self) -> &[&'static dyn Check] {
        &self.checks
    }

    /// The Pod Security Standards version checks run with.
    pub fn pss_minor(&self) -> u32 {
        self.pss_minor
    }

    /// The check parameters.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// True when some selected check needs the inventory of the scan.
    pub fn needs_inventory(&self) -> bool {
        self.kept_kinds.is_some()
    }

    /// True when some selected inventory-scope check may report on `obj`:
    /// the objects a scan keeps for its second pass.
    pub fn keeps(&self, obj: &Object) -> bool {
        match &self.kept_kinds {
            None => false,
            Some(KeptKinds::Any) => true,
            Some(KeptKinds::These(kinds)) => kinds.contains(obj.id.kind.as_str()),
        }
    }

    /// The severity a check's findings get, after overrides.
    pub fn severity_of(&self, check: &dyn Check) -> Severity {
        let m = check.meta();
        self.severities.get(m.slug).copied().unwrap_or(m.severity)
    }

    /// Runs every selected check on one object, with an inventory made of the
    /// object alone (checks that need other objects say nothing).
    pub fn run(&self, obj: &Object) -> Vec<Finding> {
        self.run_all(obj, &Inventory::build([obj])).findings
    }

    /// Runs every selected check on one object with the scan's inventory.
    pub fn run_all(&self, obj: &Object, inventory: &Inventory) -> Outcome {
        self.execute(obj, None, Some(inventory))
    }

    /// Runs the object-scope checks: what can run as soon as an object is
    /// parsed.
    pub fn run_object(&self, obj: &Object) -> Outcome {
        self.execute(obj, Some(Scope::Object), None)
    }

    /// Runs the inventory-scope checks, once the whole scan is read.
    pub fn run_inventory(&self, obj: &Object, inventory: &Inventory) -> Outcome {
        self.execute(obj, Some(Scope::Inventory), Some(inventory))
    }

    fn execute(
        &self,
        obj: &Object,
        scope: Option<Scope>,
        inventory: Option<&Inventory>,
    ) -> Outcome {
        let mut out = Outcome::default();
        let mut violations: Vec<Violation> = Vec::new();
        let (file, document) = match &obj.origin {
            Origin::File { path, document, .. } => (Some(path.clone()), *document),
            Origin::Other(_) => (None, 0),
        };
        let waiver = Waiver::of(obj);
        let mut labels = None;
        for check in &self.checks {
            let meta = check.meta();
            if scope.is_some_and(|s| s != meta.scope) || !meta.applies_to(&obj.id.kind) {
                continue;
            }
            let ctx = Context {
                pss_minor: self.pss_minor,
                settings: &self.settings,
                inventory: if meta.scope == Scope::Inventory {
                    inventory
                } else {
                    None
                },
            };
            violations.clear();
            check.check(obj, &ctx, &mut violations);
            for v in violations.drain(..) {
                let pos = obj.locate(&v.path);
                let finding = Finding {
                    check: meta,
                    severity: self.severity_of(*check),
                    object: obj.id.clone(),
                    path: v.path,
                    location: Location {
                        file: file.clone(),
                        document,
                        pos,
                    },
                    message: v.message,
                    snippet: None,
                    fix: v.fix.and_then(|fix| {
                        let json_patch = fix.json_patch(&obj.root)?;
                        Some(Box::new(FixProposal {
                            fix: *fix,
                            json_patch,
                            object_pos: obj.root.pos,
                            replacement: None,
                        }))
                    }),
                };
                if waiver.covers(meta.slug, meta.code) {
                    out.suppressed += 1;
                    continue;
                }
                if !self.exemptions.is_empty() {
                    let labels =
                        labels.get_or_insert_with(|| Labels::of_metadata(obj.root.get("metadata")));
                    if self
                        .exemptions
                        .iter()
                        .any(|e| e.applies(obj, labels, &finding))
                    {
                        out.suppressed += 1;
                        continue;
                    }
                }
                out.findings.push(finding);
            }
        }
        out
    }
}

/// The checks an object waives for itself. A waiver without a reason waives
/// nothing (and the `waiver` check reports it).
#[derive(Debug, Default)]
pub struct Waiver {
    /// Names listed in `kaegis.dev/ignore`.
    pub names: Vec<String>,
    /// The non-empty `kaegis.dev/ignore-reason`.
    pub reason: Option<String>,
}

impl Waiver {
    /// Reads an object's waiver annotations.
    pub fn of(obj: &Object) -> Self {
        let names = obj
            .annotation(IGNORE_ANNOTATION)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let reason = obj
            .annotation(IGNORE_REASON_ANNOTATION)
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        Self { names, reason }
    }

    /// True when the waiver has a reason and names this check. The waiver
    /// check itself cannot be waived.
    pub fn covers(&self, slug: &str, code: &str) -> bool {
        slug != "waiver"
            && self.reason.is_some()
            && self
                .names
                .iter()
                .any(|n| n == slug || n.eq_ignore_ascii_case(code))
    }
}

/// True when any finding is at or above `threshold`.
pub fn fails(findings: &[Finding], threshold: Severity) -> bool {
    findings.iter().any(|f| f.severity >= threshold)
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("kube-*", "kube-system"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*-canary-*", "web-canary-1"));
        assert!(!glob("kube-*", "default"));
        assert!(glob("exact", "exact"));
    }
}
