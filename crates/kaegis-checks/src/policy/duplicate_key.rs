//! KG002: a mapping must not have the same key twice.
use std::collections::HashSet;

use kaegis_core::{Area, Context, JsonPath, Node, Object, Profile, Severity, Value, Violation};

use crate::macros::declare_check;
use crate::refs::k8s;

declare_check! {
    /// ## What
    /// Fires for every key that appears more than once in the same mapping
    /// of an object, anywhere in it (`securityContext` twice in a container,
    /// `privileged` twice in a securityContext), at the occurrence that
    /// takes effect: the last one, as kubectl's YAML reader keeps it. YAML
    /// merge keys (`<<`) are not duplicates: the mapping's own keys override
    /// merged ones by design.
    ///
    /// ## Why
    /// YAML says keys are unique, but parsers differ on what to do when they
    /// are not: most keep the last value, some the first, strict ones
    /// refuse the document (the API server's strict field validation
    /// rejects duplicate fields). A reviewer reading the first
    /// `privileged: false` may approve a pod that runs with the second,
    /// `privileged: true` — a known way to slip a setting past review and
    /// past scanners that read the other occurrence.
    ///
    /// ## How to fix
    /// Keep one occurrence of each key:
    /// ```yaml
    /// securityContext:
    ///   privileged: false
    ///   allowPrivilegeEscalation: false
    /// ```
    pub struct DuplicateKey {
        code: "KG002",
        slug: "duplicate-key",
        title: "Mappings have no duplicate keys",
        severity: Severity::High,
        area: Area::Policy,
        profiles: &[Profile::PssBaseline, Profile::PssRestricted, Profile::Cis, Profile::Nsa, Profile::Production],
        references: &[k8s(
            "Field validation (duplicate fields)",
            "https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation",
        )],
    }
}

/// A step from the object root, kept on a stack while walking so that a
/// path is only built for a finding.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn path_of(steps: &[Step<'_>]) -> JsonPath {
    steps.iter().fold(JsonPath::root(), |p, s| match s {
        Step::Key(k) => p.key(k),
        Step::Index(i) => p.index(*i),
    })
}

fn report(entries: &[kaegis_core::Entry], steps: &[Step<'_>], out: &mut Vec<Violation>) {
    let mut dup: Vec<&str> = Vec::new();
    let mut seen = HashSet::with_capacity(entries.len());
    for e in entries {
        if !seen.insert(&*e.key) && !dup.contains(&&*e.key) {
            dup.push(&e.key);
        }
    }
    let path = path_of(steps);
    for key in dup {
        let count = entries.iter().filter(|e| &*e.key == key).count();
        let message = if path.is_root() {
            format!("key `{key}` appears {count} times in the object; only the last counts")
        } else {
            format!("key `{key}` appears {count} times in `{path}`; only the last counts")
        };
        out.push(Violation::new(path.key(key), message));
    }
}

fn has_duplicates(entries: &[kaegis_core::Entry]) -> bool {
    if entries.len() > 16 {
        let mut seen = HashSet::with_capacity(entries.len());
        return !entries.iter().all(|e| seen.insert(&*e.key));
    }
    entries
        .iter()
        .enumerate()
        .any(|(i, e)| entries[i + 1..].iter().any(|x| x.key == e.key))
}

fn walk<'a>(node: &'a Node, steps: &mut Vec<Step<'a>>, out: &mut Vec<Violation>) {
    match &node.value {
        Value::Map(entries) => {
            if entries.len() > 1 && has_duplicates(entries) {
                report(entries, steps, out);
            }
            for e in entries {
                if matches!(e.value.value, Value::Map(_) | Value::Seq(_)) {
                    steps.push(Step::Key(&e.key));
                    walk(&e.value, steps, out);
                    steps.pop();
                }
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                if matches!(item.value, Value::Map(_) | Value::Seq(_)) {
                    steps.push(Step::Index(i));
                    walk(item, steps, out);
                    steps.pop();
                }
            }
        }
        _ => {}
    }
}

impl DuplicateKey {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        walk(&obj.root, &mut Vec::with_capacity(16), out);
    }
}
