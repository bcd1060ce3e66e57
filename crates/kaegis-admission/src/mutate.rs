//! Secure defaults the mutating webhook adds, as one RFC 6902 JSON Patch:
//! only fields the user left unset, never a value the user wrote, and never a
//! combination the API server would reject.
//!
//! - `seccompProfile: RuntimeDefault` for the pod when it sets none;
//! - `allowPrivilegeEscalation: false` for each container that sets none and
//!   is neither privileged nor adds `SYS_ADMIN` (the API rejects both
//!   combinations);
//! - `capabilities.drop: [ALL]` when a container drops nothing (its `add`
//!   list, if any, still applies);
//! - `runAsNonRoot: true` where the user is known not to be root: a
//!   non-zero `runAsUser` on the container or the pod (without it, the
//!   image's user decides, which admission cannot see).
//!
//! Windows pods are left alone; ephemeral containers are added through a
//! subresource the webhook does not mutate.

use std::collections::BTreeMap;

use kaegis_core::fix::pointer;
use kaegis_core::path::Segment;
use kaegis_core::{ContainerKind, JsonPath, Node, Object, PodSpecView, Value};
use serde_json::{Value as Json, json};

/// The JSON Patch operations (empty when there is nothing to add).
pub fn secure_defaults(obj: &Object) -> Vec<Json> {
    let Some(pod) = PodSpecView::of(obj) else {
        return Vec::new();
    };
    if pod.is_windows() {
        return Vec::new();
    }
    let unset = |n: Option<&Node>| n.is_none_or(Node::is_null);
    let mut sets: Vec<(JsonPath, Json)> = Vec::new();
    if unset(pod.sc("seccompProfile")) {
        sets.push((
            pod.security_context_path("seccompProfile").key("type"),
            json!("RuntimeDefault"),
        ));
    }
    let pod_user = pod.sc("runAsUser").and_then(Node::as_i64);
    let pod_non_root = pod.sc("runAsNonRoot");
    for c in pod
        .containers()
        .filter(|c| c.kind != ContainerKind::Ephemeral)
    {
        let privileged = c.sc("privileged").and_then(Node::as_bool) == Some(true);
        let caps = c.sc("capabilities");
        let sys_admin = caps
            .and_then(|n| n.get("add"))
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(Node::as_str)
            .any(|cap| matches!(cap, "SYS_ADMIN" | "CAP_SYS_ADMIN"));
        if unset(c.sc("allowPrivilegeEscalation")) && !privileged && !sys_admin {
            sets.push((
                c.security_context_path("allowPrivilegeEscalation"),
                json!(false),
            ));
        }
        if unset(caps.and_then(|n| n.get("drop"))) {
            sets.push((
                c.security_context_path("capabilities").key("drop"),
                json!(["ALL"]),
            ));
        }
        let user = c.sc("runAsUser").and_then(Node::as_i64).or(pod_user);
        if unset(c.sc("runAsNonRoot")) && unset(pod_non_root) && user.is_some_and(|u| u > 0) {
            sets.push((c.security_context_path("runAsNonRoot"), json!(true)));
        }
    }
    patch(&obj.root, &sets)
}

/// Turns "set these missing paths" into JSON Patch operations against
/// `root`: one `add` per first missing key, with every edit below it merged
/// into its value (two adds of the same parent would overwrite each other).
fn patch(root: &Node, sets: &[(JsonPath, Json)]) -> Vec<Json> {
    // pointer → (op, value), in first-seen order.
    let mut order: Vec<String> = Vec::new();
    let mut ops: BTreeMap<String, (&'static str, Json)> = BTreeMap::new();
    for (path, value) in sets {
        let segs = path.segments();
        let (node, depth) = root.deepest(segs, true);
        if depth == segs.len() {
            continue; // set by the user: never overridden
        }
        let mut nested = value.clone();
        for seg in segs[depth + 1..].iter().rev() {
            let Segment::Key(k) = seg else {
                return Vec::new();
            };
            nested = json!({ k.to_string(): nested });
        }
        let Segment::Key(first) = &segs[depth] else {
            continue;
        };
        // The parent exists; a null child is replaced, a missing one added.
        let exists_as_null = node.get(first).is_some_and(Node::is_null);
        let (op, at) = match &node.value {
            Value::Map(_) => (
                if exists_as_null { "replace" } else { "add" },
                pointer(&segs[..=depth]),
            ),
            _ => continue,
        };
        match ops.get_mut(&at) {
            Some((_, existing)) => merge(existing, nested),
            None => {
                order.push(at.clone());
                ops.insert(at, (op, nested));
            }
        }
    }
    order
        .into_iter()
        .filter_map(|at| {
            let (op, value) = ops.remove(&at)?;
            Some(json!({ "op": op, "path": at, "value": value }))
        })
        .collect()
}

/// Merges `b` into `a` (mappings key by key).
fn merge(a: &mut Json, b: Json) {
    match (a, b) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (a, b) => *a = b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaegis_core::Origin;
    use std::sync::Arc;

    fn object(json: &str) -> Object {
        let root = kaegis_inputs::json::parse_json(json).unwrap();
        Object::from_root(root, Origin::Other(Arc::from("t"))).unwrap()
    }

    #[test]
    fn adds_only_what_is_missing_merged_per_parent() {
        let obj = object(
            r#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{
            "securityContext":{"runAsUser":1000},
            "containers":[
              {"name":"a","image":"x"},
              {"name":"b","image":"x","securityContext":{"allowPrivilegeEscalation":true,"capabilities":{"drop":["NET_RAW"]}}},
              {"name":"c","image":"x","securityContext":{"privileged":true}}
            ]}}}}"#,
        );
        let ops = secure_defaults(&obj);
        assert_eq!(
            ops,
            vec![
                json!({"op":"add","path":"/spec/template/spec/securityContext/seccompProfile","value":{"type":"RuntimeDefault"}}),
                json!({"op":"add","path":"/spec/template/spec/containers/0/securityContext","value":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]},"runAsNonRoot":true}}),
                json!({"op":"add","path":"/spec/template/spec/containers/1/securityContext/runAsNonRoot","value":true}),
                json!({"op":"add","path":"/spec/template/spec/containers/2/securityContext/capabilities","value":{"drop":["ALL"]}}),
                json!({"op":"add","path":"/spec/template/spec/containers/2/securityContext/runAsNonRoot","value":true}),
            ]
        );
    }

    #[test]
    fn leaves_root_windows_and_non_workloads_alone() {
        let root_user = object(
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"securityContext":{"runAsUser":0,"seccompProfile":{"type":"Unconfined"}},"containers":[{"name":"a","image":"x","securityContext":{"allowPrivilegeEscalation":true,"capabilities":{"drop":[]}}}]}}"#,
        );
        assert_eq!(secure_defaults(&root_user), Vec::<Json>::new());
        let windows = object(
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"os":{"name":"windows"},"containers":[{"name":"a","image":"x"}]}}"#,
        );
        assert!(secure_defaults(&windows).is_empty());
        let cm = object(r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"#);
        assert!(secure_defaults(&cm).is_empty());
        let null_sc = object(
            r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"securityContext":null,"containers":[{"name":"a","image":"x","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}"#,
        );
        assert_eq!(
            secure_defaults(&null_sc),
            vec![
                json!({"op":"replace","path":"/spec/securityContext","value":{"seccompProfile":{"type":"RuntimeDefault"}}})
            ]
        );
    }
}
