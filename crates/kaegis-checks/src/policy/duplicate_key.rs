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

fn walk(node: &Node, path: &JsonPath, out: &mut Vec<Violation>) {
    match &node.value {
        Value::Map(entries) => {
            if entries.len() > 1 {
                let mut dup: Vec<&str> = Vec::new();
                if entries.len() <= 16 {
                    for (i, e) in entries.iter().enumerate() {
                        if entries[i + 1..].iter().any(|x| x.key == e.key)
                            && !dup.contains(&&*e.key)
                        {
                            dup.push(&e.key);
                        }
                    }
                } else {
                    let mut seen = HashSet::with_capacity(entries.len());
                    for e in entries {
                        if !seen.insert(&*e.key) && !dup.contains(&&*e.key) {
                            dup.push(&e.key);
                        }
                    }
                }
                for key in dup {
                    let count = entries.iter().filter(|e| &*e.key == key).count();
                    let at = path.key(key);
                    let message = if path.is_root() {
                        format!(
                            "key `{key}` appears {count} times in the object; only the last counts"
                        )
                    } else {
                        format!(
                            "key `{key}` appears {count} times in `{path}`; only the last counts"
                        )
                    };
                    out.push(Violation::new(at, message));
                }
            }
            for e in entries {
                if matches!(e.value.value, Value::Map(_) | Value::Seq(_)) {
                    walk(&e.value, &path.key(&e.key), out);
                }
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                if matches!(item.value, Value::Map(_) | Value::Seq(_)) {
                    walk(item, &path.index(i), out);
                }
            }
        }
        _ => {}
    }
}

impl DuplicateKey {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        walk(&obj.root, &JsonPath::root(), out);
    }
}
