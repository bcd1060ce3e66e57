//! Label selectors (`matchLabels` + `matchExpressions`), as NetworkPolicies,
//! PodDisruptionBudgets and workloads use them.

use crate::node::Node;

/// One `matchExpressions` requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// `key In (values)`.
    In(String, Vec<String>),
    /// `key NotIn (values)`.
    NotIn(String, Vec<String>),
    /// `key Exists`.
    Exists(String),
    /// `key DoesNotExist`.
    DoesNotExist(String),
}

/// A parsed label selector. The empty selector matches everything; a
/// selector kaegis cannot read (an unknown operator) matches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// `matchLabels`.
    pub labels: Vec<(String, String)>,
    /// `matchExpressions`.
    pub expressions: Vec<Requirement>,
    /// True when part of the selector could not be read.
    pub invalid: bool,
}

impl LabelSelector {
    /// Reads a `LabelSelector` node; `None` (absent) gives the empty selector.
    pub fn parse(node: Option<&Node>) -> Self {
        let mut sel = Self::default();
        let Some(node) = node else { return sel };
        if node.is_null() {
            return sel;
        }
        if !node.is_map() {
            sel.invalid = true;
            return sel;
        }
        if let Some(ml) = node.get("matchLabels") {
            for e in ml.entries() {
                match e.value.as_str() {
                    Some(v) => sel.labels.push((e.key.to_string(), v.to_owned())),
                    None => sel.invalid = true,
                }
            }
        }
        if let Some(exprs) = node.get("matchExpressions") {
            for expr in exprs.items() {
                let key = expr.get("key").and_then(Node::as_str).map(str::to_owned);
                let values: Vec<String> = expr
                    .get("values")
                    .map(|v| {
                        v.items()
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                let op = expr.get("operator").and_then(Node::as_str);
                match (key, op) {
                    (Some(k), Some("In")) => sel.expressions.push(Requirement::In(k, values)),
                    (Some(k), Some("NotIn")) => sel.expressions.push(Requirement::NotIn(k, values)),
                    (Some(k), Some("Exists")) => sel.expressions.push(Requirement::Exists(k)),
                    (Some(k), Some("DoesNotExist")) => {
                        sel.expressions.push(Requirement::DoesNotExist(k))
                    }
                    _ => sel.invalid = true,
                }
            }
        }
        sel
    }

    /// Reads a plain `key: value` map selector (a Service's `spec.selector`).
    pub fn from_map(node: Option<&Node>) -> Self {
        let mut sel = Self::default();
        for e in node.map_or(&[][..], Node::entries) {
            match e.value.as_str() {
                Some(v) => sel.labels.push((e.key.to_string(), v.to_owned())),
                None => sel.invalid = true,
            }
        }
        sel
    }

    /// True when a selector field selects every object: absent, null, or a
    /// mapping that restricts nothing (`{}`, `{matchLabels: {}}`), as
    /// webhook `namespaceSelector`/`objectSelector` and NetworkPolicy peers
    /// read it.
    pub fn selects_all(node: Option<&Node>) -> bool {
        node.is_none_or(|n| n.is_null() || (n.is_map() && Self::parse(Some(n)).is_empty()))
    }

    /// True when the selector selects nothing in particular: every object.
    pub fn is_empty(&self) -> bool {
        !self.invalid && self.labels.is_empty() && self.expressions.is_empty()
    }

    /// True when `labels` satisfy the selector.
    pub fn matches(&self, labels: &Labels) -> bool {
        if self.invalid {
            return false;
        }
        self.labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v.as_str()))
            && self.expressions.iter().all(|r| match r {
                Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
                Requirement::NotIn(k, vs) => {
                    labels.get(k).is_none_or(|v| !vs.iter().any(|x| x == v))
                }
                Requirement::Exists(k) => labels.get(k).is_some(),
                Requirement::DoesNotExist(k) => labels.get(k).is_none(),
            })
    }
}

/// An object's labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(pub Vec<(String, String)>);

impl Labels {
    /// Reads `metadata.labels` from a metadata node.
    pub fn of_metadata(metadata: Option<&Node>) -> Self {
        Self(
            metadata
                .and_then(|m| m.get("labels"))
                .map_or(&[][..], Node::entries)
                .iter()
                .filter_map(|e| e.value.as_str().map(|v| (e.key.to_string(), v.to_owned())))
                .collect(),
        )
    }

    /// The value of one label.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Entry, Pos, Value};

    fn s(t: &str) -> Node {
        Node::plain_scalar(Pos::new(1, 1), t)
    }
    fn map(es: Vec<(&str, Node)>) -> Node {
        Node::new(
            Pos::new(1, 1),
            Value::Map(
                es.into_iter()
                    .map(|(k, v)| Entry {
                        key: k.into(),
                        key_pos: Pos::new(1, 1),
                        value: v,
                    })
                    .collect(),
            ),
        )
    }
    fn seq(items: Vec<Node>) -> Node {
        Node::new(Pos::new(1, 1), Value::Seq(items))
    }
    fn labels(kv: &[(&str, &str)]) -> Labels {
        Labels(
            kv.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn empty_selector_matches_everything() {
        let sel = LabelSelector::parse(Some(&map(vec![])));
        assert!(sel.is_empty());
        assert!(sel.matches(&labels(&[])));
    }

    #[test]
    fn labels_and_expressions() {
        let node = map(vec![
            ("matchLabels", map(vec![("app", s("web"))])),
            (
                "matchExpressions",
                seq(vec![
                    map(vec![
                        ("key", s("tier")),
                        ("operator", s("In")),
                        ("values", seq(vec![s("a"), s("b")])),
                    ]),
                    map(vec![("key", s("debug")), ("operator", s("DoesNotExist"))]),
                ]),
            ),
        ]);
        let sel = LabelSelector::parse(Some(&node));
        assert!(sel.matches(&labels(&[("app", "web"), ("tier", "b")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "c")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "a"), ("debug", "1")])));
        assert!(!sel.matches(&labels(&[("tier", "a")])));
    }

    #[test]
    fn absent_null_and_empty_selector_fields_select_all() {
        assert!(LabelSelector::selects_all(None));
        assert!(LabelSelector::selects_all(Some(&Node::plain_scalar(
            Pos::new(1, 1),
            "null"
        ))));
        assert!(LabelSelector::selects_all(Some(&map(vec![]))));
        assert!(LabelSelector::selects_all(Some(&map(vec![(
            "matchLabels",
            map(vec![])
        )]))));
        let labelled = map(vec![(
            "matchLabels",
            map(vec![(
                "inject",
                Node::quoted_scalar(Pos::new(1, 1), "true"),
            )]),
        )]);
        assert!(!LabelSelector::selects_all(Some(&labelled)));
        assert!(!LabelSelector::selects_all(Some(&s("x"))));
    }

    #[test]
    fn unknown_operator_matches_nothing() {
        let node = map(vec![(
            "matchExpressions",
            seq(vec![map(vec![("key", s("a")), ("operator", s("Gt"))])]),
        )]);
        let sel = LabelSelector::parse(Some(&node));
        assert!(!sel.matches(&labels(&[("a", "1")])));
        assert!(!sel.is_empty());
    }
}
