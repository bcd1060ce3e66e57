//! One audit over a whole cluster's objects (listed live or read from a
//! `kubectl get -A -o yaml` dump): the inventory is complete — every kind the
//! catalog needs was listed — so cross-object checks speak everywhere; and
//! objects a controller owns roll up to their owner, since the owner's
//! template is what a user changes (the Deployment, not its 40 pods).

use std::collections::HashSet;
use std::sync::Arc;

use kaegis_core::{Diagnostic, Engine, Inventory, Location, Object, Pos};
use kaegis_report::{Checked, Report};

/// The kinds whose controlled instances roll up to their controller.
const ROLLED_UP: &[&str] = &["Pod", "ReplicaSet", "Job", "ControllerRevision"];

/// `(kind, namespace, name)` of every object, to tell whether an owner is
/// there.
fn present(objects: &[Object]) -> HashSet<(String, String, String)> {
    objects
        .iter()
        .map(|o| {
            (
                o.id.kind.clone(),
                o.id.namespace.clone().unwrap_or_default(),
                o.id.name.clone(),
            )
        })
        .collect()
}

/// The controller an object rolls up to, when that controller was listed.
pub fn controller(obj: &Object, present: &HashSet<(String, String, String)>) -> Option<String> {
    if !ROLLED_UP.contains(&obj.id.kind.as_str()) {
        return None;
    }
    let refs = obj.root.get_path(&["metadata", "ownerReferences"])?;
    refs.items().iter().find_map(|r| {
        if r.get("controller").and_then(kaegis_core::Node::as_bool) != Some(true) {
            return None;
        }
        let kind = r.get("kind")?.as_str()?;
        let name = r.get("name")?.as_str()?;
        let ns = obj.id.namespace.clone().unwrap_or_default();
        present
            .contains(&(kind.to_owned(), ns, name.to_owned()))
            .then(|| format!("{kind}/{name}"))
    })
}

/// Audits `objects` with `engine`. `notes` (what could not be listed) go
/// into the report's diagnostics. The inventory is complete: every kind
/// the catalog needs was listed.
pub fn audit(engine: &Engine, objects: &[Object], notes: Vec<Diagnostic>, profile: &str) -> Report {
    let mut inventory = Inventory::build(objects);
    inventory.complete = true;
    audit_with(engine, objects, &inventory, notes, profile)
}

/// Audits `objects` against `inventory` — the shared part of
/// [`audit`] and of `kaegis node`, whose objects (a node's components and
/// files) are not a whole cluster, so its inventory is not complete.
pub fn audit_with(
    engine: &Engine,
    objects: &[Object],
    inventory: &Inventory,
    notes: Vec<Diagnostic>,
    profile: &str,
) -> Report {
    let present = present(objects);
    let mut report = Report {
        diagnostics: notes,
        checks: engine.checks().iter().map(|c| c.meta()).collect(),
        profile: profile.to_owned(),
        pss_minor: engine.pss_minor(),
        ..Report::default()
    };
    let mut files = HashSet::new();
    for obj in objects {
        if controller(obj, &present).is_some() {
            continue;
        }
        report.objects += 1;
        let ns = kaegis_report::namespace_group(&obj.id);
        *report
            .objects_by_namespace
            .entry(ns.to_owned())
            .or_default() += 1;
        let file = obj.origin.path().map(Arc::from);
        if let Some(f) = &file {
            files.insert(Arc::clone(f));
        }
        let document = match &obj.origin {
            kaegis_core::Origin::File { document, .. } => *document,
            kaegis_core::Origin::Other(_) => 0,
        };
        report.checked.push(Checked {
            object: obj.id.clone(),
            location: Location {
                file,
                document,
                pos: if obj.root.pos == Pos::default() {
                    Pos::new(1, 1)
                } else {
                    obj.root.pos
                },
            },
        });
        let outcome = engine.run_all(obj, inventory);
        report.findings.extend(outcome.findings);
        report.suppressed += outcome.suppressed;
    }
    report.files = files.len();
    report.sort();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaegis_core::{Origin, Selection};

    fn obj(json: &str) -> Object {
        let root = kaegis_inputs::json::parse_json(json).unwrap();
        Object::from_root(root, Origin::Other(Arc::from("cluster"))).unwrap()
    }

    #[test]
    fn controlled_pods_roll_up_to_their_owner() {
        let rs = obj(
            r#"{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web-1","namespace":"a","ownerReferences":[{"kind":"Deployment","name":"web","controller":true}]},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}}}"#,
        );
        let dep = obj(
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"a"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}}}"#,
        );
        let pod = obj(
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1-x","namespace":"a","ownerReferences":[{"kind":"ReplicaSet","name":"web-1","controller":true}]},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}"#,
        );
        let orphan = obj(
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"lost","namespace":"a","ownerReferences":[{"kind":"ReplicaSet","name":"gone","controller":true}]},"spec":{"containers":[{"name":"c","image":"x","securityContext":{"privileged":true}}]}}"#,
        );
        let engine = Engine::new(
            &kaegis_checks_for_tests(),
            &Selection {
                profile: kaegis_core::Profile::PssBaseline,
                ..Selection::default()
            },
        )
        .unwrap();
        let report = audit(&engine, &[rs, dep, pod, orphan], Vec::new(), "pss-baseline");
        let flagged: Vec<String> = report
            .findings
            .iter()
            .map(|f| f.object.to_string())
            .collect();
        assert_eq!(flagged, ["Deployment a/web", "Pod a/lost"]);
        assert_eq!(report.objects, 2);
    }

    fn kaegis_checks_for_tests() -> Vec<&'static dyn kaegis_core::Check> {
        kaegis_checks::CATALOG.clone()
    }
}
