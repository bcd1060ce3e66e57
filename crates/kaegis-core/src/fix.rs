//! Mechanical fixes: what a check proposes when the remedy needs no judgement
//! (set `allowPrivilegeEscalation: false`, drop `ALL` capabilities, pin an
//! image to a digest the user gave).
//!
//! A [`Fix`] is a list of [`Edit`]s on paths of the object, with parents
//! created as needed. Reporters publish it as an RFC 6902 JSON Patch against
//! the object as it is ([`Fix::json_patch`]); `kaegis fix` applies the edits
//! to the source text, changing nothing else.

use serde_json::{Value as Json, json};

use crate::node::{Node, Value};
use crate::path::{JsonPath, Segment};

/// One change to an object.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Sets the value at `path`, creating missing parent mappings.
    Set {
        /// Where.
        path: JsonPath,
        /// The new value.
        value: Json,
    },
    /// Appends `value` to the sequence at `path`, creating it (and missing
    /// parent mappings) when absent.
    Append {
        /// The sequence.
        path: JsonPath,
        /// The new item.
        value: Json,
    },
}

impl Edit {
    /// The path the edit writes.
    pub fn path(&self) -> &JsonPath {
        match self {
            Edit::Set { path, .. } | Edit::Append { path, .. } => path,
        }
    }
}

/// A mechanical fix for one finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    /// What it does, in a few words ("set allowPrivilegeEscalation: false").
    pub description: String,
    /// The edits, applied in order.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// A fix that sets one value.
    pub fn set(path: JsonPath, value: Json, description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            edits: vec![Edit::Set { path, value }],
        }
    }

    /// A fix that appends one item to a sequence.
    pub fn append(path: JsonPath, value: Json, description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            edits: vec![Edit::Append { path, value }],
        }
    }

    /// The fix as an RFC 6902 JSON Patch against `root`, the object as it is
    /// (paths are JSON Pointers from the object's root). `None` when an edit
    /// cannot be expressed against it: a missing sequence item, or a parent
    /// that is a scalar.
    pub fn json_patch(&self, root: &Node) -> Option<Json> {
        let mut ops = Vec::with_capacity(self.edits.len());
        for edit in &self.edits {
            let segs = edit.path().segments();
            let (node, depth) = root.deepest(segs, false);
            let (exists, value) = match edit {
                Edit::Set { value, .. } => (depth == segs.len(), value.clone()),
                Edit::Append { value, .. } if depth == segs.len() => {
                    if !node.is_seq() && !node.is_null() {
                        return None;
                    }
                    if node.is_seq() {
                        ops.push(json!({
                            "op": "add",
                            "path": format!("{}/-", pointer(segs)),
                            "value": value,
                        }));
                        continue;
                    }
                    (true, json!([value]))
                }
                Edit::Append { value, .. } => (false, json!([value])),
            };
            if exists {
                ops.push(json!({ "op": "replace", "path": pointer(segs), "value": value }));
                continue;
            }
            // Add the first missing key with the rest of the path nested in
            // its value; its parent must be a mapping (or null, replaced).
            let mut nested = value;
            for seg in segs[depth + 1..].iter().rev() {
                let Segment::Key(k) = seg else { return None };
                nested = json!({ k.to_string(): nested });
            }
            let Segment::Key(first) = &segs[depth] else {
                return None;
            };
            match &node.value {
                Value::Map(_) => ops.push(json!({
                    "op": "add",
                    "path": pointer(&segs[..=depth]),
                    "value": nested,
                })),
                Value::Null if depth > 0 => ops.push(json!({
                    "op": "replace",
                    "path": pointer(&segs[..depth]),
                    "value": { first.to_string(): nested },
                })),
                _ => return None,
            }
        }
        Some(Json::Array(ops))
    }
}

/// A JSON Pointer (RFC 6901) for path segments.
pub fn pointer(segs: &[Segment]) -> String {
    let mut out = String::new();
    for seg in segs {
        out.push('/');
        match seg {
            Segment::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Segment::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Entry, Pos};

    fn map(entries: Vec<(&str, Node)>) -> Node {
        Node::new(
            Pos::default(),
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| Entry {
                        key: k.into(),
                        key_pos: Pos::default(),
                        value: v,
                    })
                    .collect(),
            ),
        )
    }

    fn scalar(s: &str) -> Node {
        Node::plain_scalar(Pos::default(), s)
    }

    fn container() -> Node {
        // {spec: {containers: [{name: app, securityContext: {privileged: true},
        //  capabilities-less}]}}
        map(vec![(
            "spec",
            map(vec![(
                "containers",
                Node::new(
                    Pos::default(),
                    Value::Seq(vec![map(vec![
                        ("name", scalar("app")),
                        ("securityContext", map(vec![("privileged", scalar("true"))])),
                        ("resources", Node::new(Pos::default(), Value::Null)),
                    ])]),
                ),
            )]),
        )])
    }

    #[test]
    fn patches_replace_what_exists_and_add_what_is_missing() {
        let sc = JsonPath::root().keys(&["spec", "containers"]).index(0);
        let root = container();
        let fix = Fix {
            description: String::new(),
            edits: vec![
                Edit::Set {
                    path: sc.keys(&["securityContext", "privileged"]),
                    value: json!(false),
                },
                Edit::Set {
                    path: sc.keys(&["securityContext", "seccompProfile", "type"]),
                    value: json!("RuntimeDefault"),
                },
                Edit::Append {
                    path: sc.keys(&["securityContext", "capabilities", "drop"]),
                    value: json!("ALL"),
                },
                Edit::Set {
                    path: sc.keys(&["resources", "limits"]),
                    value: json!({"memory": "1Gi"}),
                },
            ],
        };
        assert_eq!(
            fix.json_patch(&root).unwrap(),
            json!([
                {"op": "replace", "path": "/spec/containers/0/securityContext/privileged", "value": false},
                {"op": "add", "path": "/spec/containers/0/securityContext/seccompProfile", "value": {"type": "RuntimeDefault"}},
                {"op": "add", "path": "/spec/containers/0/securityContext/capabilities", "value": {"drop": ["ALL"]}},
                {"op": "replace", "path": "/spec/containers/0/resources", "value": {"limits": {"memory": "1Gi"}}},
            ])
        );
        let missing_item = Fix::set(
            JsonPath::root()
                .keys(&["spec", "containers"])
                .index(3)
                .key("image"),
            json!("x"),
            "",
        );
        assert_eq!(missing_item.json_patch(&root), None);
        assert_eq!(
            pointer(JsonPath::root().keys(&["a/b", "c~d"]).segments()),
            "/a~1b/c~0d"
        );
    }
}
