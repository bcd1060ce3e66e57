//! Custom detection rules in CEL, declared under `detect.rules` in
//! `.kaegis.yaml` (read and compiled by kaegis-policy into
//! [`DetectRuleSpec`]s). The expression is true when the event is
//! suspicious; it sees:
//!
//! - `event`: the audit event as a map, shaped like the audit JSON
//!   (`event.verb`, `event.objectRef.resource`, `event.user.username`,
//!   `event.user.groups`, `event.sourceIPs`, `event.responseStatus.code`,
//!   `event.requestObject`, `event.impersonatedUser`, `event.annotations`,
//!   …). Strings and lists the event lacks read as empty (`objectRef`,
//!   `user` and `responseStatus` are always maps, `responseStatus.code` is
//!   0 when absent); `impersonatedUser`, `requestObject` and
//!   `responseObject` are `null` when absent.
//! - `params`: the rule's `params` mapping, or `null`.
//!
//! The rule's `match` filter runs first, on the decoded event; the event is
//! converted to a CEL value only for the events that pass it.
//!
//! An expression that fails on an event (a missing field, a result that is
//! not a bool) raises an alert of the rule saying so, rather than passing
//! silently: a detection rule that cannot judge an event must not look
//! like one that judged it harmless.

use std::collections::HashMap;
use std::sync::Arc;

use kaegis_policy::cel;
use kaegis_policy::{DetectRuleSpec, EventMatch};

use crate::event::{Event, UserInfo};
use crate::rule::{Hit, Level, Need, Rule, RuleContext, RuleMeta, Technique};
use crate::settings::any_glob;

/// A custom detection rule, compiled.
pub struct CelEventRule {
    meta: &'static RuleMeta,
    expression: cel::Program,
    message: Option<String>,
    message_expression: Option<cel::Program>,
    matching: EventMatch,
    params: cel::Value,
}

impl std::fmt::Debug for CelEventRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CelEventRule")
            .field("slug", &self.meta.slug)
            .finish()
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn leak_strs(v: &[String]) -> &'static [&'static str] {
    Box::leak(
        v.iter()
            .map(|s| leak(s.clone()))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

/// Names of the MITRE ATT&CK techniques of the containers matrix (and a
/// few enterprise ones rules about the API use), for alerts of custom
/// rules that give only the id.
const TECHNIQUES: &[(&str, &str)] = &[
    ("T1046", "Network Service Discovery"),
    (
        "T1053.007",
        "Scheduled Task/Job: Container Orchestration Job",
    ),
    ("T1069", "Permission Groups Discovery"),
    ("T1070", "Indicator Removal"),
    ("T1078", "Valid Accounts"),
    ("T1078.001", "Valid Accounts: Default Accounts"),
    ("T1098", "Account Manipulation"),
    ("T1110", "Brute Force"),
    ("T1133", "External Remote Services"),
    ("T1190", "Exploit Public-Facing Application"),
    ("T1496", "Resource Hijacking"),
    ("T1498", "Network Denial of Service"),
    ("T1525", "Implant Internal Image"),
    ("T1528", "Steal Application Access Token"),
    ("T1552", "Unsecured Credentials"),
    ("T1552.001", "Unsecured Credentials: Credentials In Files"),
    ("T1552.007", "Unsecured Credentials: Container API"),
    ("T1562.001", "Impair Defenses: Disable or Modify Tools"),
    ("T1609", "Container Administration Command"),
    ("T1610", "Deploy Container"),
    ("T1611", "Escape to Host"),
    ("T1612", "Build Image on Host"),
    ("T1613", "Container and Resource Discovery"),
];

/// The lowest audit level that carries what an expression reads: the
/// response body for `responseObject`, the request body for
/// `requestObject`, else the metadata.
pub fn level_read_by(texts: &[&str]) -> Level {
    if texts.iter().any(|t| t.contains("responseObject")) {
        Level::RequestResponse
    } else if texts.iter().any(|t| t.contains("requestObject")) {
        Level::Request
    } else {
        Level::Metadata
    }
}

impl CelEventRule {
    /// Builds a rule. Its metadata is leaked on purpose: rules are loaded
    /// once, at start, and rule metadata is `'static`.
    pub fn new(spec: DetectRuleSpec) -> Self {
        let mut texts = vec![spec.expression_text.as_str()];
        texts.extend(spec.message_expression_text.as_deref());
        let level = level_read_by(&texts);
        let m = &spec.matching;
        let resources = if m.resources.is_empty() {
            leak_strs(&["*".to_owned()])
        } else {
            leak_strs(&m.resources)
        };
        let verbs = leak_strs(&m.verbs);
        let groups: Vec<&'static str> = if m.api_groups.is_empty() {
            vec!["*"]
        } else {
            m.api_groups.iter().map(|g| leak(g.clone())).collect()
        };
        let needs: Vec<Need> = groups
            .into_iter()
            .map(|group| Need {
                group,
                resources,
                verbs,
                level,
            })
            .collect();
        let mitre: Vec<Technique> = spec
            .mitre
            .iter()
            .map(|id| Technique {
                id: leak(id.clone()),
                name: TECHNIQUES
                    .iter()
                    .find(|(t, _)| t == id)
                    .map_or("MITRE ATT&CK technique", |(_, n)| n),
            })
            .collect();
        let meta: &'static RuleMeta = Box::leak(Box::new(RuleMeta {
            code: leak(spec.code),
            slug: leak(spec.slug),
            title: leak(spec.title),
            severity: spec.severity,
            tactic: leak(spec.tactic),
            mitre: Box::leak(mitre.into_boxed_slice()),
            doc: leak(spec.doc),
            needs: Box::leak(needs.into_boxed_slice()),
        }));
        Self {
            meta,
            expression: spec.expression,
            message: spec.message,
            message_expression: spec.message_expression,
            matching: spec.matching,
            params: spec
                .params
                .as_ref()
                .map_or(cel::Value::Null, kaegis_policy::rules::to_cel),
        }
    }
}

/// True when an audit Policy style resource pattern (`pods`, `pods/exec`,
/// `*`, `pods/*`, `*/scale`) covers `resource` with `subresource` (empty
/// for none), as the API server's audit policy reads it.
pub fn resource_pattern_matches(pattern: &str, resource: &str, subresource: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.split_once('/') {
        None => subresource.is_empty() && pattern == resource,
        Some(("*", sub)) => !subresource.is_empty() && sub == subresource,
        Some((res, "*")) => res == resource,
        Some((res, sub)) => res == resource && sub == subresource,
    }
}

/// True when the event passes a rule's `match` filter.
pub fn event_matches(m: &EventMatch, ev: &Event<'_>) -> bool {
    let verb_ok = m.verbs.is_empty() || m.verbs.iter().any(|v| *v == ev.verb);
    let group_ok = m.api_groups.is_empty()
        || m.api_groups
            .iter()
            .any(|g| g == "*" || (ev.object_ref.is_some() && g == ev.api_group()));
    let resource_ok = m.resources.is_empty()
        || (!ev.resource().is_empty()
            && m.resources
                .iter()
                .any(|p| resource_pattern_matches(p, ev.resource(), ev.subresource())));
    let ns = ev.namespace();
    let ns_ok = (m.namespaces.is_empty() || any_glob(&m.namespaces, ns))
        && !any_glob(&m.exclude_namespaces, ns);
    let user_ok = m.users.is_empty()
        || any_glob(&m.users, &ev.user.username)
        || ev
            .impersonated_user
            .as_ref()
            .is_some_and(|u| any_glob(&m.users, &u.username));
    verb_ok && group_ok && resource_ok && ns_ok && user_ok
}

fn s(text: &str) -> cel::Value {
    cel::Value::String(Arc::new(text.to_owned()))
}

fn map(entries: Vec<(&str, cel::Value)>) -> cel::Value {
    let m: HashMap<cel::objects::Key, cel::Value> = entries
        .into_iter()
        .map(|(k, v)| (cel::objects::Key::String(Arc::new(k.to_owned())), v))
        .collect();
    cel::Value::Map(m.into())
}

fn strings<T: AsRef<str>>(items: &[T]) -> cel::Value {
    cel::Value::List(Arc::new(items.iter().map(|i| s(i.as_ref())).collect()))
}

/// Converts JSON to a CEL value: integers that fit stay integers (as
/// Kubernetes' CEL reads them), other numbers become doubles.
pub fn json_to_cel(v: &serde_json::Value) -> cel::Value {
    match v {
        serde_json::Value::Null => cel::Value::Null,
        serde_json::Value::Bool(b) => cel::Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => cel::Value::Int(i),
            None => match n.as_u64() {
                Some(u) => cel::Value::UInt(u),
                None => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
        },
        serde_json::Value::String(t) => s(t),
        serde_json::Value::Array(items) => {
            cel::Value::List(Arc::new(items.iter().map(json_to_cel).collect()))
        }
        serde_json::Value::Object(o) => {
            let m: HashMap<cel::objects::Key, cel::Value> = o
                .iter()
                .map(|(k, v)| {
                    (
                        cel::objects::Key::String(Arc::new(k.clone())),
                        json_to_cel(v),
                    )
                })
                .collect();
            cel::Value::Map(m.into())
        }
    }
}

fn raw_to_cel(raw: Option<&serde_json::value::RawValue>) -> cel::Value {
    raw.and_then(|r| serde_json::from_str::<serde_json::Value>(r.get()).ok())
        .map_or(cel::Value::Null, |v| json_to_cel(&v))
}

fn user_to_cel(u: &UserInfo<'_>) -> cel::Value {
    map(vec![
        ("username", s(&u.username)),
        ("groups", strings(&u.groups)),
    ])
}

/// The audit event as the CEL variable `event` (see the module doc for
/// what is always there).
pub fn event_to_cel(ev: &Event<'_>) -> cel::Value {
    let o = ev.object_ref.as_ref();
    let object_ref = map(vec![
        ("resource", s(ev.resource())),
        ("subresource", s(ev.subresource())),
        ("namespace", s(ev.namespace())),
        ("name", s(ev.name())),
        ("apiGroup", s(ev.api_group())),
        ("apiVersion", s(o.map_or("", |o| &o.api_version))),
    ]);
    let status = ev.response_status.as_ref();
    let response_status = map(vec![
        ("code", cel::Value::Int(i64::from(ev.code()))),
        ("reason", s(status.map_or("", |st| &st.reason))),
        ("message", s(status.map_or("", |st| &st.message))),
    ]);
    let annotations = match raw_to_cel(ev.annotations) {
        cel::Value::Null => map(Vec::new()),
        other => other,
    };
    map(vec![
        ("apiVersion", s(&ev.api_version)),
        ("kind", s(&ev.kind)),
        ("level", s(&ev.level)),
        ("auditID", s(&ev.audit_id)),
        ("stage", s(&ev.stage)),
        ("requestURI", s(&ev.request_uri)),
        ("verb", s(&ev.verb)),
        ("user", user_to_cel(&ev.user)),
        (
            "impersonatedUser",
            ev.impersonated_user
                .as_ref()
                .map_or(cel::Value::Null, user_to_cel),
        ),
        ("sourceIPs", strings(&ev.source_ips)),
        ("userAgent", s(&ev.user_agent)),
        ("objectRef", object_ref),
        ("responseStatus", response_status),
        ("requestObject", raw_to_cel(ev.request_object)),
        ("responseObject", raw_to_cel(ev.response_object)),
        (
            "requestReceivedTimestamp",
            s(&ev.request_received_timestamp),
        ),
        ("stageTimestamp", s(&ev.stage_timestamp)),
        ("annotations", annotations),
    ])
}

fn target(ev: &Event<'_>) -> String {
    let mut what = ev.resource().to_owned();
    if !ev.subresource().is_empty() {
        what = format!("{what}/{}", ev.subresource());
    }
    match (ev.namespace(), ev.name()) {
        ("", "") => what,
        ("", name) => format!("{what} {name}"),
        (ns, "") => format!("{what} in {ns}"),
        (ns, name) => format!("{what} {ns}/{name}"),
    }
}

impl Rule for CelEventRule {
    fn meta(&self) -> &RuleMeta {
        self.meta
    }

    fn evaluate(&self, ev: &Event<'_>, _cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        if !event_matches(&self.matching, ev) {
            return;
        }
        let event = event_to_cel(ev);
        let slug = self.meta.slug;
        let what = if ev.resource().is_empty() {
            ev.request_uri
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned()
        } else {
            target(ev)
        };
        let subject = &ev.acting_user().username;
        kaegis_policy::rules::with_root(|root| {
            let mut scope = root.new_inner_scope();
            scope.add_variable_from_value("event", event);
            scope.add_variable_from_value("params", self.params.clone());
            let hit = match self.expression.execute(&scope) {
                Ok(cel::Value::Bool(false)) => return,
                Ok(cel::Value::Bool(true)) => {
                    let message = self
                        .message_expression
                        .as_ref()
                        .and_then(|p| match p.execute(&scope) {
                            Ok(cel::Value::String(m)) => Some(m.to_string()),
                            _ => None,
                        })
                        .or_else(|| self.message.clone())
                        .unwrap_or_else(|| {
                            format!("{subject} {} {what}: {}", ev.verb, self.meta.title)
                        });
                    Hit::new(message, format!("{} {what}", ev.verb))
                }
                Ok(other) => Hit::new(
                    format!(
                        "custom rule `{slug}` must evaluate to a bool, got {other:?} (on {} {what})",
                        ev.verb
                    ),
                    "evaluation-error",
                ),
                Err(e) => Hit::new(
                    format!(
                        "custom rule `{slug}` could not be evaluated on {} {what}: {e} (guard optional fields with has() or `!= null`)",
                        ev.verb
                    ),
                    format!("evaluation-error {e}"),
                ),
            };
            out.push(hit);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_patterns_read_like_the_audit_policy() {
        assert!(resource_pattern_matches("pods", "pods", ""));
        assert!(!resource_pattern_matches("pods", "pods", "exec"));
        assert!(resource_pattern_matches("pods/exec", "pods", "exec"));
        assert!(resource_pattern_matches("pods/*", "pods", "log"));
        assert!(resource_pattern_matches("pods/*", "pods", ""));
        assert!(resource_pattern_matches("*/scale", "deployments", "scale"));
        assert!(!resource_pattern_matches("*/scale", "deployments", ""));
        assert!(resource_pattern_matches("*", "secrets", ""));
        assert!(resource_pattern_matches("*", "pods", "exec"));
    }

    #[test]
    fn levels_read_by_expressions() {
        assert_eq!(level_read_by(&["event.verb == 'get'"]), Level::Metadata);
        assert_eq!(
            level_read_by(&["event.requestObject.spec.hostPID"]),
            Level::Request
        );
        assert_eq!(
            level_read_by(&["true", "event.responseObject.status"]),
            Level::RequestResponse
        );
    }
}
