//! `kaegis detect --explain-policy`: what an audit Policy
//! (`audit.k8s.io/v1`, kind `Policy`, YAML or JSON) lets the detection
//! rules see, and which sensitive data it writes into the log.
//!
//! The API server picks a request's audit level from the first policy rule
//! that matches it (`users`, `userGroups`, `verbs`, then `resources` and
//! `namespaces`, or `nonResourceURLs`), and logs nothing when none does;
//! [`AuditPolicy::evaluate`] does the same for one request. The explainer
//! runs that decision over whole classes of requests: for every event a
//! rule needs ([`Need`]: group, resources, verbs, level) it walks the
//! policy as the API server would for an authenticated user outside the
//! control plane, in any namespace, and notes every rule that decides
//! those requests. A rule that matches only some of them (restricted by
//! `users`, `userGroups`, `namespaces` or `resourceNames`) makes the
//! outcome depend on who asks and where: the detection rule then fires
//! only partly. Policy rules that only name control-plane identities
//! (`system:kube-proxy`, `system:nodes`, …) are left out: the rules ignore
//! the control plane's own requests anyway.
//!
//! This is also the part of CIS 3.2.2 ("the audit policy covers key
//! security concerns") that can be decided mechanically: the concerns are
//! the events the rules need.

use std::path::{Path, PathBuf};

use kaegis_core::{Node, Pos, Severity, Value};
use serde::Serialize;

use crate::rule::{Level, Rule};

/// An audit Policy that cannot be read, with its position.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}:{}: {message}", file.display(), pos.map_or_else(String::new, |p| p.to_string()))]
pub struct PolicyError {
    /// The policy file.
    pub file: PathBuf,
    /// Where in it.
    pub pos: Option<Pos>,
    /// What is wrong.
    pub message: String,
}

/// One entry of a rule's `resources`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupResources {
    /// `group` (`""`: the core group). No wildcard: the API server compares
    /// it exactly.
    pub group: String,
    /// `resources`: `pods`, `pods/exec`, `*`, `pods/*`, `*/scale`; empty
    /// for every resource of the group.
    pub resources: Vec<String>,
    /// `resourceNames`; empty for any name.
    pub resource_names: Vec<String>,
}

/// One policy rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRule {
    /// Its index in `rules` (0-based, as in `rules[3]`).
    pub index: usize,
    /// Where it starts.
    pub pos: Pos,
    /// `level`.
    pub level: Level,
    /// `users`: exact user names.
    pub users: Vec<String>,
    /// `userGroups`: exact group names.
    pub user_groups: Vec<String>,
    /// `verbs`.
    pub verbs: Vec<String>,
    /// `resources`.
    pub resources: Vec<GroupResources>,
    /// `namespaces` (`""`: cluster-scoped objects).
    pub namespaces: Vec<String>,
    /// `nonResourceURLs`: exact paths, `*`, or a prefix ending in `*`.
    pub non_resource_urls: Vec<String>,
    /// `omitStages`.
    pub omit_stages: Vec<String>,
}

/// An audit Policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditPolicy {
    /// Where it was read from.
    pub file: PathBuf,
    /// `rules`, in order.
    pub rules: Vec<PolicyRule>,
    /// The top-level `omitStages` (added to every rule's).
    pub omit_stages: Vec<String>,
}

/// One request, as the API server's policy check sees it.
#[derive(Clone, Debug, Default)]
pub struct RequestAttributes<'a> {
    /// The authenticated user's name.
    pub user: &'a str,
    /// Their groups.
    pub groups: &'a [&'a str],
    /// The verb.
    pub verb: &'a str,
    /// True for a request about a resource, false for a non-resource URL.
    pub resource_request: bool,
    /// API group (`""`: core).
    pub group: &'a str,
    /// Resource.
    pub resource: &'a str,
    /// Subresource (`""`: none).
    pub subresource: &'a str,
    /// Namespace (`""`: cluster-scoped).
    pub namespace: &'a str,
    /// Object name.
    pub name: &'a str,
    /// The URL path, for non-resource requests.
    pub path: &'a str,
}

/// What the policy decides for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The level.
    pub level: Level,
    /// The stages left out of the log.
    pub omit_stages: Vec<String>,
    /// The deciding rule's index; `None` when no rule matched.
    pub rule: Option<usize>,
}

const STAGES: [&str; 4] = [
    "RequestReceived",
    "ResponseStarted",
    "ResponseComplete",
    "Panic",
];

struct Reader<'a> {
    file: &'a Path,
}

impl Reader<'_> {
    fn err(&self, pos: Pos, message: impl Into<String>) -> PolicyError {
        PolicyError {
            file: self.file.to_path_buf(),
            pos: Some(pos),
            message: message.into(),
        }
    }

    fn map<'n>(
        &self,
        node: &'n Node,
        what: &str,
        keys: &[&str],
    ) -> Result<&'n [kaegis_core::Entry], PolicyError> {
        kaegis_policy::config::mapping(node, what, keys, "field")
            .map_err(|(pos, message)| self.err(pos, message))
    }

    fn string(&self, node: &Node, what: &str) -> Result<String, PolicyError> {
        match &node.value {
            Value::Scalar { text, .. } => Ok(text.to_string()),
            _ => Err(self.err(node.pos, format!("{what} must be a string"))),
        }
    }

    fn strings(&self, node: &Node, what: &str) -> Result<Vec<String>, PolicyError> {
        if node.is_null() {
            return Ok(Vec::new());
        }
        if !node.is_seq() {
            return Err(self.err(node.pos, format!("{what} must be a list of strings")));
        }
        node.items()
            .iter()
            .map(|n| self.string(n, &format!("each item of {what}")))
            .collect()
    }

    fn stages(&self, node: &Node, what: &str) -> Result<Vec<String>, PolicyError> {
        let list = self.strings(node, what)?;
        for (item, s) in node.items().iter().zip(&list) {
            if !STAGES.contains(&s.as_str()) {
                return Err(self.err(
                    item.pos,
                    format!(
                        "unknown stage `{s}` in {what}; one of: {}",
                        STAGES.join(", ")
                    ),
                ));
            }
        }
        Ok(list)
    }
}

impl AuditPolicy {
    /// Reads and parses a policy file.
    pub fn load(file: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(file).map_err(|e| PolicyError {
            file: file.to_path_buf(),
            pos: None,
            message: format!("cannot read the audit policy: {e}"),
        })?;
        Self::parse(file, &text)
    }

    /// Parses a policy's text (YAML or JSON), checking it as the API server
    /// does when it loads `--audit-policy-file`.
    pub fn parse(file: &Path, text: &str) -> Result<Self, PolicyError> {
        let r = Reader { file };
        let stream = kaegis_inputs::yaml::parse_yaml(text);
        if let Some(e) = stream.error {
            return Err(r.err(e.pos, e.message));
        }
        let Some((_, root)) = stream.documents.first() else {
            return Err(PolicyError {
                file: file.to_path_buf(),
                pos: None,
                message: "the audit policy file is empty".to_owned(),
            });
        };
        if let Some((_, second)) = stream.documents.get(1) {
            return Err(r.err(second.pos, "an audit policy file holds one Policy document"));
        }
        let keys = [
            "apiVersion",
            "kind",
            "metadata",
            "rules",
            "omitStages",
            "omitManagedFields",
        ];
        let mut policy = AuditPolicy {
            file: file.to_path_buf(),
            rules: Vec::new(),
            omit_stages: Vec::new(),
        };
        let mut rules_node = None;
        for e in r.map(root, "the Policy", &keys)? {
            let v = &e.value;
            match &*e.key {
                "apiVersion" => {
                    let api = r.string(v, "apiVersion")?;
                    if !matches!(api.as_str(), "audit.k8s.io/v1" | "audit.k8s.io/v1beta1") {
                        return Err(r.err(
                            v.pos,
                            format!(
                                "apiVersion `{api}` is not an audit policy's: write audit.k8s.io/v1"
                            ),
                        ));
                    }
                }
                "kind" => {
                    let kind = r.string(v, "kind")?;
                    if kind != "Policy" {
                        return Err(r.err(
                            v.pos,
                            format!("kind `{kind}` is not an audit policy's: write Policy"),
                        ));
                    }
                }
                "omitStages" => policy.omit_stages = r.stages(v, "omitStages")?,
                "rules" => rules_node = Some(v),
                _ => {}
            }
        }
        let Some(rules) = rules_node.filter(|n| !n.items().is_empty()) else {
            return Err(r.err(
                root.pos,
                "the Policy has no rules: the API server refuses it (write at least `- level: Metadata`)",
            ));
        };
        if !rules.is_seq() {
            return Err(r.err(rules.pos, "rules must be a list"));
        }
        for (index, item) in rules.items().iter().enumerate() {
            policy.rules.push(parse_rule(&r, item, index)?);
        }
        Ok(policy)
    }

    /// The level and omitted stages the API server gives a request: the
    /// first matching rule's, else `None` with the policy's omitted stages.
    pub fn evaluate(&self, req: &RequestAttributes<'_>) -> Decision {
        for rule in &self.rules {
            if rule.matches(req) {
                return Decision {
                    level: rule.level,
                    omit_stages: union(&self.omit_stages, &rule.omit_stages),
                    rule: Some(rule.index),
                };
            }
        }
        Decision {
            level: Level::None,
            omit_stages: self.omit_stages.clone(),
            rule: None,
        }
    }
}

fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    out.extend(b.iter().filter(|s| !a.contains(s)).cloned());
    out
}

fn parse_rule(r: &Reader<'_>, node: &Node, index: usize) -> Result<PolicyRule, PolicyError> {
    let what = format!("rules[{index}]");
    let keys = [
        "level",
        "users",
        "userGroups",
        "verbs",
        "resources",
        "namespaces",
        "nonResourceURLs",
        "omitStages",
        "omitManagedFields",
    ];
    let entries = r.map(node, &what, &keys)?;
    let mut rule = PolicyRule {
        index,
        pos: node.pos,
        level: Level::None,
        users: Vec::new(),
        user_groups: Vec::new(),
        verbs: Vec::new(),
        resources: Vec::new(),
        namespaces: Vec::new(),
        non_resource_urls: Vec::new(),
        omit_stages: Vec::new(),
    };
    let mut level = None;
    for e in entries {
        let v = &e.value;
        match &*e.key {
            "level" => {
                let name = r.string(v, "level")?;
                level = Some(Level::parse(&name).ok_or_else(|| {
                    r.err(
                        v.pos,
                        format!("unknown level `{name}`; one of: None, Metadata, Request, RequestResponse"),
                    )
                })?);
            }
            "users" => rule.users = r.strings(v, "users")?,
            "userGroups" => rule.user_groups = r.strings(v, "userGroups")?,
            "verbs" => rule.verbs = r.strings(v, "verbs")?,
            "namespaces" => rule.namespaces = r.strings(v, "namespaces")?,
            "omitStages" => rule.omit_stages = r.stages(v, "omitStages")?,
            "nonResourceURLs" => {
                rule.non_resource_urls = r.strings(v, "nonResourceURLs")?;
                for (item, url) in v.items().iter().zip(&rule.non_resource_urls) {
                    let star = url.find('*');
                    let ok = url == "*"
                        || (url.starts_with('/') && star.is_none_or(|i| i == url.len() - 1));
                    if !ok {
                        return Err(r.err(
                            item.pos,
                            format!("nonResourceURLs entry `{url}` must start with / and may end with * (or be *)"),
                        ));
                    }
                }
            }
            "resources" => {
                if !v.is_null() && !v.is_seq() {
                    return Err(r.err(
                        v.pos,
                        "resources must be a list of {group, resources, resourceNames}",
                    ));
                }
                for gr in v.items() {
                    let mut g = GroupResources::default();
                    for x in r.map(
                        gr,
                        "a resources entry",
                        &["group", "resources", "resourceNames"],
                    )? {
                        match &*x.key {
                            "group" => g.group = r.string(&x.value, "group")?,
                            "resources" => g.resources = r.strings(&x.value, "resources")?,
                            _ => g.resource_names = r.strings(&x.value, "resourceNames")?,
                        }
                    }
                    rule.resources.push(g);
                }
            }
            _ => {}
        }
    }
    rule.level = level.ok_or_else(|| {
        r.err(
            node.pos,
            format!("{what} has no level: write one of None, Metadata, Request, RequestResponse"),
        )
    })?;
    if !rule.non_resource_urls.is_empty()
        && (!rule.resources.is_empty() || !rule.namespaces.is_empty())
    {
        return Err(r.err(
            node.pos,
            format!("{what} sets both nonResourceURLs and resources or namespaces: the API server refuses it"),
        ));
    }
    Ok(rule)
}

/// True when an audit Policy resource pattern matches a resource and
/// subresource, as the API server reads it: `*` matches everything,
/// `pods/*` pods and any of their subresources, `*/scale` that
/// subresource of any resource, anything else exactly
/// (`resource/subresource`).
fn pattern_matches(pattern: &str, resource: &str, subresource: &str) -> bool {
    crate::custom::resource_pattern_matches(pattern, resource, subresource)
}

impl PolicyRule {
    /// True when the rule matches the request (the API server's check).
    pub fn matches(&self, req: &RequestAttributes<'_>) -> bool {
        if !self.users.is_empty() && !self.users.iter().any(|u| u == req.user) {
            return false;
        }
        if !self.user_groups.is_empty()
            && !req
                .groups
                .iter()
                .any(|g| self.user_groups.iter().any(|x| x == g))
        {
            return false;
        }
        if !self.verbs.is_empty() && !self.verbs.iter().any(|v| v == req.verb) {
            return false;
        }
        if !self.namespaces.is_empty() || !self.resources.is_empty() {
            if !req.resource_request {
                return false;
            }
            if !self.namespaces.is_empty() && !self.namespaces.iter().any(|n| n == req.namespace) {
                return false;
            }
            if self.resources.is_empty() {
                return true;
            }
            return self.resources.iter().any(|gr| {
                gr.group == req.group
                    && (gr.resources.is_empty()
                        || ((gr.resource_names.is_empty()
                            || gr.resource_names.iter().any(|n| n == req.name))
                            && gr
                                .resources
                                .iter()
                                .any(|p| pattern_matches(p, req.resource, req.subresource))))
            });
        }
        if !self.non_resource_urls.is_empty() {
            return !req.resource_request
                && self.non_resource_urls.iter().any(|spec| {
                    spec == "*"
                        || spec == req.path
                        || spec
                            .strip_suffix('*')
                            .is_some_and(|_| req.path.starts_with(spec.trim_end_matches('*')))
                });
        }
        true
    }
}

// ---------------------------------------------------------------------
// Classes of requests: what the policy decides for all the requests a
// rule needs, whoever asks and wherever.

/// Does a policy rule match every request of a class, some, or none?
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tri {
    Never,
    Sometimes,
    Always,
}

/// Requests of one verb on one resource (or any), in one group (or any),
/// by an authenticated user outside the control plane, in any namespace.
#[derive(Clone, Copy, Debug)]
struct Class<'a> {
    group: Option<&'a str>,
    /// `(resource, subresource)`; subresource `*` for any; `None` for any
    /// resource.
    resource: Option<(&'a str, &'a str)>,
    verb: &'a str,
}

/// Resources kaegis knows the group and scope of (true: namespaced).
const KNOWN_RESOURCES: &[(&str, &str, bool)] = &[
    ("pods", "", true),
    ("secrets", "", true),
    ("configmaps", "", true),
    ("services", "", true),
    ("serviceaccounts", "", true),
    ("endpoints", "", true),
    ("events", "", true),
    ("persistentvolumeclaims", "", true),
    ("replicationcontrollers", "", true),
    ("resourcequotas", "", true),
    ("limitranges", "", true),
    ("podtemplates", "", true),
    ("nodes", "", false),
    ("namespaces", "", false),
    ("persistentvolumes", "", false),
    ("componentstatuses", "", false),
    ("deployments", "apps", true),
    ("daemonsets", "apps", true),
    ("statefulsets", "apps", true),
    ("replicasets", "apps", true),
    ("controllerrevisions", "apps", true),
    ("jobs", "batch", true),
    ("cronjobs", "batch", true),
    ("roles", "rbac.authorization.k8s.io", true),
    ("rolebindings", "rbac.authorization.k8s.io", true),
    ("clusterroles", "rbac.authorization.k8s.io", false),
    ("clusterrolebindings", "rbac.authorization.k8s.io", false),
    (
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        false,
    ),
    (
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        false,
    ),
    (
        "validatingadmissionpolicies",
        "admissionregistration.k8s.io",
        false,
    ),
    (
        "validatingadmissionpolicybindings",
        "admissionregistration.k8s.io",
        false,
    ),
    ("certificatesigningrequests", "certificates.k8s.io", false),
    ("tokenreviews", "authentication.k8s.io", false),
    ("selfsubjectreviews", "authentication.k8s.io", false),
    ("subjectaccessreviews", "authorization.k8s.io", false),
    ("selfsubjectaccessreviews", "authorization.k8s.io", false),
    ("selfsubjectrulesreviews", "authorization.k8s.io", false),
    ("localsubjectaccessreviews", "authorization.k8s.io", true),
    ("networkpolicies", "networking.k8s.io", true),
    ("ingresses", "networking.k8s.io", true),
    ("ingressclasses", "networking.k8s.io", false),
    ("poddisruptionbudgets", "policy", true),
    ("customresourcedefinitions", "apiextensions.k8s.io", false),
    ("storageclasses", "storage.k8s.io", false),
    ("csidrivers", "storage.k8s.io", false),
    ("csinodes", "storage.k8s.io", false),
    ("volumeattachments", "storage.k8s.io", false),
    ("leases", "coordination.k8s.io", true),
    ("endpointslices", "discovery.k8s.io", true),
    ("priorityclasses", "scheduling.k8s.io", false),
    ("runtimeclasses", "node.k8s.io", false),
    ("apiservices", "apiregistration.k8s.io", false),
];

fn known(resource: &str) -> Option<(&'static str, bool)> {
    KNOWN_RESOURCES
        .iter()
        .find(|(r, _, _)| *r == resource)
        .map(|(_, g, ns)| (*g, *ns))
}

/// The verbs of resource requests, for needs that name none.
const ALL_VERBS: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// Groups whose members are all control-plane identities.
const CONTROL_PLANE_GROUPS: [&str; 1] = ["system:nodes"];

fn is_control_plane_name(name: &str) -> bool {
    let user = crate::event::UserInfo {
        username: std::borrow::Cow::Borrowed(name),
        groups: Vec::new(),
    };
    crate::identity::is_control_plane(&user, &crate::settings::Settings::default())
        || matches!(name, "system:kube-proxy" | "system:volume-scheduler")
}

fn list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|s| if s.is_empty() { "\"\"" } else { s.as_str() })
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The resource tri of one pattern of a policy rule against a class.
fn pattern_tri(pattern: &str, class: Option<(&str, &str)>) -> Tri {
    let Some((res, sub)) = class else {
        return if pattern == "*" {
            Tri::Always
        } else {
            Tri::Sometimes
        };
    };
    if sub != "*" {
        return if pattern_matches(pattern, res, sub) {
            Tri::Always
        } else {
            Tri::Never
        };
    }
    // Any subresource of `res` (and `res` itself).
    if pattern == "*" {
        return Tri::Always;
    }
    match pattern.split_once('/') {
        Some((r, "*")) if r == res => Tri::Always,
        Some(("*", _)) => Tri::Sometimes,
        Some((r, _)) if r == res => Tri::Sometimes,
        None if pattern == res => Tri::Sometimes,
        _ => Tri::Never,
    }
}

/// How a policy rule applies to a class, and on what it depends.
fn rule_tri(rule: &PolicyRule, c: &Class<'_>) -> (Tri, Vec<String>) {
    let mut t = Tri::Always;
    let mut only = Vec::new();
    if !rule.users.is_empty() {
        if rule.users.iter().all(|u| is_control_plane_name(u)) {
            return (Tri::Never, only);
        }
        t = Tri::Sometimes;
        only.push(format!("users {}", list(&rule.users)));
    }
    if !rule.user_groups.is_empty() && !rule.user_groups.iter().any(|g| g == "system:authenticated")
    {
        if rule
            .user_groups
            .iter()
            .all(|g| CONTROL_PLANE_GROUPS.contains(&g.as_str()))
        {
            return (Tri::Never, only);
        }
        t = Tri::Sometimes;
        only.push(format!("userGroups {}", list(&rule.user_groups)));
    }
    if !rule.verbs.is_empty() && !rule.verbs.iter().any(|v| v == c.verb) {
        return (Tri::Never, only);
    }
    if rule.namespaces.is_empty() && rule.resources.is_empty() {
        if !rule.non_resource_urls.is_empty() {
            return (Tri::Never, only);
        }
        return (t, only);
    }
    if !rule.namespaces.is_empty() {
        let scope = c.resource.and_then(|(r, _)| known(r)).map(|(_, ns)| ns);
        let cluster = rule.namespaces.iter().any(String::is_empty);
        let named = rule.namespaces.iter().any(|n| !n.is_empty());
        match scope {
            Some(false) if !cluster => return (Tri::Never, only),
            Some(false) => {}
            Some(true) if !named => return (Tri::Never, only),
            _ => {
                t = Tri::Sometimes;
                only.push(format!("namespaces {}", list(&rule.namespaces)));
            }
        }
    }
    if rule.resources.is_empty() {
        return (t, only);
    }
    let mut best = Tri::Never;
    let mut by_name = Vec::new();
    for gr in &rule.resources {
        let g = match c.group {
            Some(g) if g == gr.group => Tri::Always,
            Some(_) => Tri::Never,
            None => Tri::Sometimes,
        };
        if g == Tri::Never {
            continue;
        }
        let mut r = if gr.resources.is_empty() {
            Tri::Always
        } else {
            gr.resources
                .iter()
                .map(|p| pattern_tri(p, c.resource))
                .max()
                .unwrap_or(Tri::Never)
        };
        if !gr.resources.is_empty() && !gr.resource_names.is_empty() && r != Tri::Never {
            r = Tri::Sometimes;
            by_name.push(format!("resourceNames {}", list(&gr.resource_names)));
        }
        best = best.max(g.min(r));
    }
    match best {
        Tri::Never => (Tri::Never, only),
        Tri::Sometimes => {
            if by_name.is_empty() {
                only.push("some of these resources".to_owned());
            } else {
                only.extend(by_name);
            }
            (Tri::Sometimes, only)
        }
        Tri::Always => (t, only),
    }
}

/// One policy rule (or the default) that decides some requests of a class.
#[derive(Clone, Debug)]
struct Outcome {
    level: Level,
    rule: Option<usize>,
    /// On what it depends, when it decides only some requests.
    only: Vec<String>,
    /// False when the stages the detector judges are all omitted.
    seen: bool,
    /// ResponseStarted omitted for a long-running request.
    no_start: bool,
}

impl Outcome {
    fn effective(&self) -> Level {
        if self.seen { self.level } else { Level::None }
    }
}

fn streaming(c: &Class<'_>) -> bool {
    c.verb == "watch"
        || c.resource
            .is_some_and(|(_, sub)| matches!(sub, "exec" | "attach" | "portforward" | "proxy"))
}

fn outcomes(policy: &AuditPolicy, c: &Class<'_>) -> Vec<Outcome> {
    let long = streaming(c);
    let visible = |omit: &[String]| {
        let omits = |s: &str| omit.iter().any(|o| o == s);
        let seen = if long {
            !(omits("ResponseStarted") && omits("ResponseComplete"))
        } else {
            !omits("ResponseComplete")
        };
        (seen, long && omits("ResponseStarted") && seen)
    };
    let mut out = Vec::new();
    for rule in &policy.rules {
        let (t, only) = rule_tri(rule, c);
        if t == Tri::Never {
            continue;
        }
        let (seen, no_start) = visible(&union(&policy.omit_stages, &rule.omit_stages));
        out.push(Outcome {
            level: rule.level,
            rule: Some(rule.index),
            only,
            seen,
            no_start,
        });
        if t == Tri::Always {
            return out;
        }
    }
    let (seen, no_start) = visible(&policy.omit_stages);
    out.push(Outcome {
        level: Level::None,
        rule: None,
        only: Vec::new(),
        seen,
        no_start,
    });
    out
}

// ---------------------------------------------------------------------
// The report.

/// Whether a detection rule can fire under the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Coverage {
    /// The policy logs what the rule needs, whoever asks and wherever.
    Fires,
    /// Only for some requests, users or namespaces.
    Partial,
    /// Never: the events it needs are not logged, or not at its level.
    Silent,
}

impl Coverage {
    /// `fires`, `partial` or `silent`, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Coverage::Fires => "fires",
            Coverage::Partial => "partial",
            Coverage::Silent => "silent",
        }
    }
}

/// Requests a rule needs that the policy logs below the rule's level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Shortfall {
    /// `create pods/exec`, `get apps/deployments`, `list *` …
    pub requests: Vec<String>,
    /// The level the policy logs them at (`None` when not at all).
    pub level: &'static str,
    /// The level the rule needs.
    pub needs: &'static str,
    /// The deciding policy rule (`rules[i]`); absent when no rule matches
    /// and the default (`None`) applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_rule: Option<usize>,
    /// Its line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// When it decides only some requests: on what it depends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_for: Option<String>,
    /// True when the level would do but the policy omits the stages the
    /// detector judges (ResponseComplete, and ResponseStarted too for
    /// exec, attach, port-forward, proxy and watch).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stages_omitted: bool,
}

/// One detection rule under the policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleCoverage {
    /// Its code.
    pub code: &'static str,
    /// Its slug.
    pub slug: &'static str,
    /// Its title.
    pub title: &'static str,
    /// Fires, partly, or not.
    pub status: Coverage,
    /// Why not everywhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub shortfalls: Vec<Shortfall>,
    /// Other remarks (ResponseStarted omitted, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A sensitive resource logged at a level that writes secrets into the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Leak {
    /// `secrets`, `serviceaccounts/token`, `authentication.k8s.io/tokenreviews`.
    pub resource: String,
    /// The verbs whose bodies carry the secret.
    pub verbs: Vec<String>,
    /// The level they are logged at.
    pub level: &'static str,
    /// The policy rule (`rules[i]`).
    pub policy_rule: usize,
    /// Its line.
    pub line: u32,
    /// When the rule applies only to some requests: on what it depends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_for: Option<String>,
    /// How bad it is.
    pub severity: Severity,
    /// What ends up in the log.
    pub what: String,
}

/// Counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Detection rules examined.
    pub rules: usize,
    /// That fire.
    pub fires: usize,
    /// That fire partly.
    pub partial: usize,
    /// That cannot fire.
    pub silent: usize,
    /// Leak findings.
    pub leaks: usize,
}

/// What `--explain-policy` reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyReport {
    /// The policy file.
    pub policy: String,
    /// Counts.
    pub summary: Summary,
    /// Every detection rule, in the order given.
    pub rules: Vec<RuleCoverage>,
    /// Sensitive data the policy writes into the log.
    pub leaks: Vec<Leak>,
}

fn request_text(c: &Class<'_>) -> String {
    let res = match c.resource {
        None => "*".to_owned(),
        Some((r, "")) => r.to_owned(),
        Some((r, s)) => format!("{r}/{s}"),
    };
    match c.group {
        Some("") | None => format!("{} {res}", c.verb),
        Some(g) => format!("{} {g}/{res}", c.verb),
    }
}

fn line_of(policy: &AuditPolicy, rule: Option<usize>) -> Option<u32> {
    rule.and_then(|i| policy.rules.get(i)).map(|r| r.pos.line)
}

/// Examines one detection rule.
fn cover(policy: &AuditPolicy, rule: &dyn Rule) -> RuleCoverage {
    let meta = rule.meta();
    let mut statuses = Vec::new();
    let mut shortfalls: Vec<Shortfall> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for need in meta.needs {
        let verbs: Vec<&str> = if need.verbs.is_empty() {
            ALL_VERBS.to_vec()
        } else {
            need.verbs.to_vec()
        };
        for res in need.resources {
            let resource = match *res {
                "*" => None,
                r => Some(r.split_once('/').unwrap_or((r, ""))),
            };
            let group = match need.group {
                "*" => resource.and_then(|(r, _)| known(r)).map(|(g, _)| g),
                g => Some(g),
            };
            for verb in &verbs {
                let c = Class {
                    group,
                    resource,
                    verb,
                };
                let outs = outcomes(policy, &c);
                let ok = outs.iter().filter(|o| o.effective() >= need.level).count();
                statuses.push(if ok == outs.len() {
                    Coverage::Fires
                } else if ok == 0 {
                    Coverage::Silent
                } else {
                    Coverage::Partial
                });
                for o in &outs {
                    if o.no_start {
                        let n = format!(
                            "{}: {} omits ResponseStarted, so the request is judged only when it ends",
                            request_text(&c),
                            o.rule.map_or("the policy".to_owned(), |i| format!(
                                "rules[{i}] (line {})",
                                line_of(policy, Some(i)).unwrap_or(0)
                            ))
                        );
                        if !notes.contains(&n) {
                            notes.push(n);
                        }
                    }
                    if o.effective() >= need.level {
                        continue;
                    }
                    let only_for = (!o.only.is_empty()).then(|| o.only.join("; "));
                    let stages_omitted = !o.seen && o.level >= need.level;
                    let text = request_text(&c);
                    match shortfalls.iter_mut().find(|s| {
                        s.policy_rule == o.rule
                            && s.level == o.level.as_str()
                            && s.needs == need.level.as_str()
                            && s.only_for == only_for
                            && s.stages_omitted == stages_omitted
                    }) {
                        Some(s) => {
                            if !s.requests.contains(&text) {
                                s.requests.push(text);
                            }
                        }
                        None => shortfalls.push(Shortfall {
                            requests: vec![text],
                            level: o.level.as_str(),
                            needs: need.level.as_str(),
                            policy_rule: o.rule,
                            line: line_of(policy, o.rule),
                            only_for,
                            stages_omitted,
                        }),
                    }
                }
            }
        }
    }
    let status = if statuses.is_empty() || statuses.iter().all(|s| *s == Coverage::Fires) {
        Coverage::Fires
    } else if statuses.iter().all(|s| *s == Coverage::Silent) {
        Coverage::Silent
    } else {
        Coverage::Partial
    };
    RuleCoverage {
        code: meta.code,
        slug: meta.slug,
        title: meta.title,
        status,
        shortfalls,
        notes,
    }
}

/// A sensitive resource: what its request and response bodies carry.
struct Sensitive {
    group: &'static str,
    resource: &'static str,
    subresource: &'static str,
    /// Verbs whose request body carries the secret (leaks at Request).
    request_verbs: &'static [&'static str],
    request_what: &'static str,
    /// Verbs whose response body carries it (leaks at RequestResponse).
    response_verbs: &'static [&'static str],
    response_what: &'static str,
    severity: Severity,
}

const SENSITIVE: &[Sensitive] = &[
    Sensitive {
        group: "",
        resource: "secrets",
        subresource: "",
        request_verbs: &["create", "update", "patch"],
        request_what: "the request body carries the Secret's data",
        response_verbs: &[
            "get",
            "list",
            "create",
            "update",
            "patch",
            "delete",
            "deletecollection",
        ],
        response_what: "the response body carries the Secret's data",
        severity: Severity::High,
    },
    Sensitive {
        group: "",
        resource: "configmaps",
        subresource: "",
        request_verbs: &["create", "update", "patch"],
        request_what: "the request body carries the ConfigMap's data, which often holds credentials",
        response_verbs: &[
            "get",
            "list",
            "create",
            "update",
            "patch",
            "delete",
            "deletecollection",
        ],
        response_what: "the response body carries the ConfigMap's data, which often holds credentials",
        severity: Severity::Medium,
    },
    Sensitive {
        group: "",
        resource: "serviceaccounts",
        subresource: "token",
        request_verbs: &[],
        request_what: "",
        response_verbs: &["create"],
        response_what: "the TokenRequest response carries the issued service account token",
        severity: Severity::High,
    },
    Sensitive {
        group: "authentication.k8s.io",
        resource: "tokenreviews",
        subresource: "",
        request_verbs: &["create"],
        request_what: "the TokenReview request carries the bearer token under review",
        response_verbs: &[],
        response_what: "",
        severity: Severity::High,
    },
];

fn leaks(policy: &AuditPolicy) -> Vec<Leak> {
    let mut out: Vec<Leak> = Vec::new();
    for s in SENSITIVE {
        let name = match (s.group, s.subresource) {
            ("", "") => s.resource.to_owned(),
            ("", sub) => format!("{}/{sub}", s.resource),
            (g, _) => format!("{g}/{}", s.resource),
        };
        let sets = [
            (s.request_verbs, Level::Request, s.request_what),
            (s.response_verbs, Level::RequestResponse, s.response_what),
        ];
        for (verbs, threshold, what) in sets {
            for verb in verbs {
                let c = Class {
                    group: Some(s.group),
                    resource: Some((s.resource, s.subresource)),
                    verb,
                };
                for o in outcomes(policy, &c) {
                    let (Some(i), true) = (o.rule, o.effective() >= threshold) else {
                        continue;
                    };
                    let only_for = (!o.only.is_empty()).then(|| o.only.join("; "));
                    match out.iter_mut().find(|l| {
                        l.resource == name
                            && l.policy_rule == i
                            && l.what == what
                            && l.only_for == only_for
                    }) {
                        Some(l) => {
                            if !l.verbs.iter().any(|v| v == verb) {
                                l.verbs.push((*verb).to_owned());
                            }
                        }
                        None => out.push(Leak {
                            resource: name.clone(),
                            verbs: vec![(*verb).to_owned()],
                            level: o.level.as_str(),
                            policy_rule: i,
                            line: line_of(policy, Some(i)).unwrap_or(0),
                            only_for,
                            severity: s.severity,
                            what: what.to_owned(),
                        }),
                    }
                }
            }
        }
    }
    out.sort_by_key(|l| (l.line, l.resource.clone()));
    out
}

/// Explains a policy against a set of detection rules (the built-in ones
/// and the custom ones of the config file).
pub fn explain(policy: &AuditPolicy, rules: &[Box<dyn Rule>]) -> PolicyReport {
    let rules: Vec<RuleCoverage> = rules.iter().map(|r| cover(policy, r.as_ref())).collect();
    let leaks = leaks(policy);
    let count = |c: Coverage| rules.iter().filter(|r| r.status == c).count();
    PolicyReport {
        policy: policy.file.display().to_string(),
        summary: Summary {
            rules: rules.len(),
            fires: count(Coverage::Fires),
            partial: count(Coverage::Partial),
            silent: count(Coverage::Silent),
            leaks: leaks.len(),
        },
        rules,
        leaks,
    }
}

/// `create x, update x, get y` as `create, update x; get y`, and every
/// verb as `any verb`.
fn compact(requests: &[String]) -> String {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in requests {
        let (verb, what) = r.split_once(' ').unwrap_or((r, ""));
        match groups.iter_mut().find(|(w, _)| *w == what) {
            Some((_, verbs)) => verbs.push(verb),
            None => groups.push((what, vec![verb])),
        }
    }
    groups
        .iter()
        .map(|(what, verbs)| {
            if ALL_VERBS.iter().all(|v| verbs.contains(v)) {
                format!("any verb on {what}")
            } else {
                format!("{} {what}", verbs.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Shortfall {
    fn text(&self) -> String {
        let by = match (self.policy_rule, self.line) {
            (Some(i), Some(l)) => format!("rules[{i}] (line {l})"),
            _ => "no rule (the default)".to_owned(),
        };
        let only = self
            .only_for
            .as_ref()
            .map_or(String::new(), |o| format!(" for {o}"));
        if self.stages_omitted {
            format!(
                "{}: {by}{only} logs them at {} but omits the stages the detector reads",
                compact(&self.requests),
                self.level
            )
        } else {
            format!(
                "{}: logged at {} by {by}{only}; needs {}",
                compact(&self.requests),
                self.level,
                self.needs
            )
        }
    }
}

impl PolicyReport {
    /// The report for a person.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let s = &self.summary;
        let mut out = format!(
            "{}: of {} detection rules, {} fire, {} fire partly, {} cannot fire; {} leak{}\n",
            self.policy,
            s.rules,
            s.fires,
            s.partial,
            s.silent,
            s.leaks,
            if s.leaks == 1 { "" } else { "s" }
        );
        out.push_str(
            "(for requests by an authenticated user outside the control plane, in any namespace)\n",
        );
        for (status, heading) in [
            (Coverage::Silent, "Cannot fire"),
            (Coverage::Partial, "Fire partly"),
        ] {
            let rules: Vec<&RuleCoverage> =
                self.rules.iter().filter(|r| r.status == status).collect();
            if rules.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{heading}:");
            for r in rules {
                let _ = writeln!(out, "  {} {}: {}", r.code, r.slug, r.title);
                for sf in &r.shortfalls {
                    let _ = writeln!(out, "    - {}", sf.text());
                }
                for n in &r.notes {
                    let _ = writeln!(out, "    - note: {n}");
                }
            }
        }
        let noted: Vec<&RuleCoverage> = self
            .rules
            .iter()
            .filter(|r| r.status == Coverage::Fires && !r.notes.is_empty())
            .collect();
        if !noted.is_empty() {
            let _ = writeln!(out, "\nNotes:");
            for r in noted {
                for n in &r.notes {
                    let _ = writeln!(out, "  {} {}: {n}", r.code, r.slug);
                }
            }
        }
        if !self.leaks.is_empty() {
            let _ = writeln!(out, "\nSensitive data written to the audit log:");
            for l in &self.leaks {
                let only = l
                    .only_for
                    .as_ref()
                    .map_or(String::new(), |o| format!(" for {o}"));
                let _ = writeln!(
                    out,
                    "  line {} rules[{}]: {} {} at {}{only}: {} ({})",
                    l.line,
                    l.policy_rule,
                    l.resource,
                    l.verbs.join(", "),
                    l.level,
                    l.what,
                    l.severity.as_str()
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::rule::{Hit, Need, RuleContext, RuleMeta};

    struct TestRule(RuleMeta);

    impl Rule for TestRule {
        fn meta(&self) -> &RuleMeta {
            &self.0
        }
        fn evaluate(&self, _: &Event<'_>, _: &mut RuleContext<'_>, _: &mut Vec<Hit>) {}
    }

    fn rule(code: &'static str, slug: &'static str, needs: &'static [Need]) -> Box<dyn Rule> {
        Box::new(TestRule(RuleMeta {
            code,
            slug,
            title: slug,
            severity: Severity::Medium,
            tactic: "",
            mitre: &[],
            doc: "",
            needs,
        }))
    }

    fn rules() -> Vec<Box<dyn Rule>> {
        vec![
            rule(
                "T1",
                "exec",
                &[Need {
                    group: "",
                    resources: &["pods/exec", "pods/attach"],
                    verbs: &["create", "get"],
                    level: Level::Metadata,
                }],
            ),
            rule(
                "T2",
                "secret-read",
                &[Need {
                    group: "",
                    resources: &["secrets"],
                    verbs: &["get", "list"],
                    level: Level::Metadata,
                }],
            ),
            rule(
                "T3",
                "privileged-pod",
                &[Need {
                    group: "",
                    resources: &["pods"],
                    verbs: &["create"],
                    level: Level::Request,
                }],
            ),
            rule(
                "T4",
                "token-request",
                &[Need {
                    group: "",
                    resources: &["serviceaccounts/token"],
                    verbs: &["create"],
                    level: Level::Metadata,
                }],
            ),
            rule(
                "T5",
                "configmap-credentials",
                &[Need {
                    group: "",
                    resources: &["configmaps"],
                    verbs: &["create", "update", "patch"],
                    level: Level::Request,
                }],
            ),
            rule(
                "T6",
                "brute-force",
                &[Need {
                    group: "*",
                    resources: &["*"],
                    verbs: &[],
                    level: Level::Metadata,
                }],
            ),
            rule(
                "T7",
                "admin-binding",
                &[Need {
                    group: "rbac.authorization.k8s.io",
                    resources: &["clusterrolebindings"],
                    verbs: &["create", "update", "patch"],
                    level: Level::Request,
                }],
            ),
        ]
    }

    fn policy(text: &str) -> AuditPolicy {
        match AuditPolicy::parse(Path::new("audit.yaml"), text) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    fn statuses(report: &PolicyReport) -> Vec<(&str, Coverage)> {
        report.rules.iter().map(|r| (r.slug, r.status)).collect()
    }

    fn status(report: &PolicyReport, slug: &str) -> Coverage {
        report
            .rules
            .iter()
            .find(|r| r.slug == slug)
            .map(|r| r.status)
            .unwrap_or_else(|| panic!("no rule {slug}"))
    }

    fn leak_names(report: &PolicyReport) -> Vec<String> {
        report
            .leaks
            .iter()
            .map(|l| {
                format!(
                    "{} {} {} rules[{}]",
                    l.resource,
                    l.verbs.join(","),
                    l.level,
                    l.policy_rule
                )
            })
            .collect()
    }

    const HEAD: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\n";

    /// The shape of the Kubernetes documentation's example: bodies of pod
    /// changes, metadata for pod logs and status, a named ConfigMap and
    /// kube-proxy's watches left out, authenticated non-resource URLs left
    /// out, kube-system ConfigMaps with their bodies, Secrets and
    /// ConfigMaps elsewhere as metadata, the core and extensions groups
    /// with request bodies, and metadata for the rest.
    const DOCS_SHAPED: &str = r#"apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: RequestResponse
    resources:
    - group: ""
      resources: ["pods"]
  - level: Metadata
    resources:
    - group: ""
      resources: ["pods/log", "pods/status"]
  - level: None
    resources:
    - group: ""
      resources: ["configmaps"]
      resourceNames: ["controller-leader"]
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
    resources:
    - group: ""
      resources: ["endpoints", "services"]
  - level: None
    userGroups: ["system:authenticated"]
    nonResourceURLs: ["/api*", "/version"]
  - level: Request
    resources:
    - group: ""
      resources: ["configmaps"]
    namespaces: ["kube-system"]
  - level: Metadata
    resources:
    - group: ""
      resources: ["secrets", "configmaps"]
  - level: Request
    resources:
    - group: ""
    - group: "extensions"
  - level: Metadata
    omitStages: [RequestReceived]
"#;

    #[test]
    fn docs_shaped_policy() {
        let p = policy(DOCS_SHAPED);
        assert_eq!(p.rules.len(), 9);
        assert_eq!(p.rules[5].pos.line, 27);
        let report = explain(&p, &rules());
        assert_eq!(
            statuses(&report),
            vec![
                ("exec", Coverage::Fires),
                ("secret-read", Coverage::Fires),
                ("privileged-pod", Coverage::Fires),
                ("token-request", Coverage::Fires),
                ("configmap-credentials", Coverage::Partial),
                ("brute-force", Coverage::Partial),
                ("admin-binding", Coverage::Silent),
            ]
        );
        let cm = &report.rules[4];
        let by: Vec<(Option<usize>, &str, Option<&str>)> = cm
            .shortfalls
            .iter()
            .map(|s| (s.policy_rule, s.level, s.only_for.as_deref()))
            .collect();
        assert_eq!(
            by,
            vec![
                (Some(2), "None", Some("resourceNames [controller-leader]")),
                (Some(6), "Metadata", None),
            ]
        );
        let crb = &report.rules[6].shortfalls[0];
        assert_eq!(crb.policy_rule, Some(8));
        assert_eq!(crb.line, Some(40));
        assert_eq!(
            crb.requests,
            vec![
                "create rbac.authorization.k8s.io/clusterrolebindings",
                "update rbac.authorization.k8s.io/clusterrolebindings",
                "patch rbac.authorization.k8s.io/clusterrolebindings"
            ]
        );
        assert_eq!(
            leak_names(&report),
            vec!["configmaps create,update,patch Request rules[5]"]
        );
        assert_eq!(
            report.leaks[0].only_for.as_deref(),
            Some("namespaces [kube-system]")
        );
        let text = report.to_text();
        assert!(
            text.contains("of 7 detection rules, 4 fire, 2 fire partly, 1 cannot fire; 1 leak"),
            "{text}"
        );
        assert!(text.contains("T7 admin-binding: admin-binding\n    - create, update, patch rbac.authorization.k8s.io/clusterrolebindings: logged"), "{text}");
        assert!(text.contains("any verb on *: logged at None by rules[2] (line 13) for resourceNames [controller-leader]; needs Metadata"), "{text}");
        assert!(
            text.contains("logged at Metadata by rules[8] (line 40); needs Request"),
            "{text}"
        );
        assert!(text.contains("line 27 rules[5]: configmaps create, update, patch at Request for namespaces [kube-system]"), "{text}");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["rules"][6]["status"], "silent");
        assert_eq!(json["leaks"][0]["line"], 27);
    }

    #[test]
    fn metadata_everywhere() {
        let report = explain(
            &policy(&format!("{HEAD}rules:\n- level: Metadata\n")),
            &rules(),
        );
        assert_eq!(
            statuses(&report),
            vec![
                ("exec", Coverage::Fires),
                ("secret-read", Coverage::Fires),
                ("privileged-pod", Coverage::Silent),
                ("token-request", Coverage::Fires),
                ("configmap-credentials", Coverage::Silent),
                ("brute-force", Coverage::Fires),
                ("admin-binding", Coverage::Silent),
            ]
        );
        assert!(report.leaks.is_empty());
        assert_eq!(report.summary.silent, 3);
    }

    #[test]
    fn request_response_everywhere() {
        let report = explain(
            &policy(&format!("{HEAD}rules:\n- level: RequestResponse\n")),
            &rules(),
        );
        assert!(report.rules.iter().all(|r| r.status == Coverage::Fires));
        assert_eq!(
            leak_names(&report),
            vec![
                "authentication.k8s.io/tokenreviews create RequestResponse rules[0]",
                "configmaps create,update,patch RequestResponse rules[0]",
                "configmaps get,list,create,update,patch,delete,deletecollection RequestResponse rules[0]",
                "secrets create,update,patch RequestResponse rules[0]",
                "secrets get,list,create,update,patch,delete,deletecollection RequestResponse rules[0]",
                "serviceaccounts/token create RequestResponse rules[0]",
            ]
        );
        assert!(
            report
                .leaks
                .iter()
                .any(|l| l.resource == "secrets" && l.severity == Severity::High)
        );
    }

    #[test]
    fn request_level_leaks_request_bodies_only() {
        let report = explain(
            &policy(&format!("{HEAD}rules:\n- level: Request\n")),
            &rules(),
        );
        assert_eq!(
            leak_names(&report),
            vec![
                "authentication.k8s.io/tokenreviews create Request rules[0]",
                "configmaps create,update,patch Request rules[0]",
                "secrets create,update,patch Request rules[0]",
            ]
        );
    }

    #[test]
    fn exec_left_out() {
        let p = policy(&format!(
            "{HEAD}rules:\n- level: None\n  resources:\n  - group: \"\"\n    resources: [pods/exec]\n- level: Metadata\n"
        ));
        let report = explain(&p, &rules());
        assert_eq!(status(&report, "exec"), Coverage::Partial);
        assert_eq!(
            report.rules[0].shortfalls[0].requests,
            vec!["create pods/exec", "get pods/exec"]
        );
        let p = policy(&format!(
            "{HEAD}rules:\n- level: None\n  resources:\n  - group: \"\"\n    resources: [pods/exec, pods/attach]\n- level: Metadata\n"
        ));
        let report = explain(&p, &rules());
        assert_eq!(status(&report, "exec"), Coverage::Silent);
        // `pods` alone does not cover its subresources; `pods/*` does.
        let p = policy(&format!(
            "{HEAD}rules:\n- level: None\n  resources:\n  - group: \"\"\n    resources: [pods]\n- level: Metadata\n"
        ));
        assert_eq!(status(&explain(&p, &rules()), "exec"), Coverage::Fires);
        let p = policy(&format!(
            "{HEAD}rules:\n- level: None\n  resources:\n  - group: \"\"\n    resources: [\"pods/*\"]\n- level: Metadata\n"
        ));
        let report = explain(&p, &rules());
        assert_eq!(status(&report, "exec"), Coverage::Silent);
        assert_eq!(status(&report, "privileged-pod"), Coverage::Silent);
    }

    #[test]
    fn first_match_wins() {
        let meta_first = format!(
            "{HEAD}rules:\n- level: Metadata\n  resources: [{{group: \"\", resources: [secrets]}}]\n\
             - level: RequestResponse\n  resources: [{{group: \"\", resources: [secrets]}}]\n- level: None\n"
        );
        let p = policy(&meta_first);
        let get = RequestAttributes {
            user: "alice",
            groups: &["system:authenticated"],
            verb: "get",
            resource_request: true,
            resource: "secrets",
            namespace: "web",
            name: "db",
            ..RequestAttributes::default()
        };
        assert_eq!(p.evaluate(&get).level, Level::Metadata);
        assert_eq!(p.evaluate(&get).rule, Some(0));
        assert!(explain(&p, &rules()).leaks.is_empty());

        let rr_first = format!(
            "{HEAD}rules:\n- level: RequestResponse\n  resources: [{{group: \"\", resources: [secrets]}}]\n\
             - level: Metadata\n  resources: [{{group: \"\", resources: [secrets]}}]\n- level: None\n"
        );
        let p = policy(&rr_first);
        assert_eq!(p.evaluate(&get).level, Level::RequestResponse);
        let report = explain(&p, &rules());
        assert_eq!(report.leaks.len(), 2);
        assert!(
            report
                .leaks
                .iter()
                .all(|l| l.resource == "secrets" && l.policy_rule == 0)
        );
        // Nothing matches pods: the default is None.
        assert_eq!(status(&report, "exec"), Coverage::Silent);
        let pods = RequestAttributes {
            resource: "pods",
            ..get.clone()
        };
        assert_eq!(p.evaluate(&pods).rule, Some(2));
    }

    #[test]
    fn non_resource_urls_do_not_touch_resource_requests() {
        let p = policy(&format!(
            "{HEAD}rules:\n- level: None\n  nonResourceURLs: ['*']\n- level: None\n  nonResourceURLs: [/healthz*]\n- level: Metadata\n"
        ));
        let report = explain(&p, &rules());
        assert_eq!(status(&report, "exec"), Coverage::Fires);
        assert_eq!(status(&report, "brute-force"), Coverage::Fires);
        let healthz = RequestAttributes {
            verb: "get",
            path: "/healthz/ready",
            ..RequestAttributes::default()
        };
        assert_eq!(p.evaluate(&healthz).rule, Some(0));
        let p = policy(&format!(
            "{HEAD}rules:\n- level: None\n  nonResourceURLs: [/healthz*]\n- level: Metadata\n"
        ));
        assert_eq!(p.evaluate(&healthz).level, Level::None);
        let version = RequestAttributes {
            path: "/version",
            ..healthz
        };
        assert_eq!(p.evaluate(&version).level, Level::Metadata);
    }

    #[test]
    fn identity_restricted_rules_make_rules_partial() {
        let p = policy(&format!(
            "{HEAD}rules:\n- level: None\n  users: [alice]\n  resources: [{{group: \"\", resources: [secrets]}}]\n- level: Metadata\n"
        ));
        let report = explain(&p, &rules());
        assert_eq!(status(&report, "secret-read"), Coverage::Partial);
        assert_eq!(
            report.rules[1].shortfalls[0].only_for.as_deref(),
            Some("users [alice]")
        );
        assert!(
            report
                .to_text()
                .contains("logged at None by rules[0] (line 4) for users [alice]; needs Metadata"),
            "{}",
            report.to_text()
        );

        // Rules about the control plane's own identities are left out.
        let p = policy(&format!(
            "{HEAD}rules:\n- level: None\n  users: [system:kube-proxy, system:kube-scheduler]\n- level: None\n  userGroups: [system:nodes]\n- level: Metadata\n"
        ));
        let report = explain(&p, &rules());
        assert_eq!(status(&report, "secret-read"), Coverage::Fires);

        // namespaces: cluster-scoped resources are the namespace "".
        let p = policy(&format!(
            "{HEAD}rules:\n- level: None\n  namespaces: [kube-system]\n- level: None\n  namespaces: [\"\"]\n  resources: [{{group: \"\", resources: [pods]}}]\n- level: Request\n"
        ));
        let report = explain(&p, &rules());
        assert_eq!(status(&report, "admin-binding"), Coverage::Fires);
        assert_eq!(status(&report, "privileged-pod"), Coverage::Partial);
    }

    #[test]
    fn omitted_stages() {
        let p = policy(&format!(
            "{HEAD}omitStages: [ResponseStarted, ResponseComplete]\nrules:\n- level: RequestResponse\n"
        ));
        let report = explain(&p, &rules());
        assert!(report.rules.iter().all(|r| r.status == Coverage::Silent));
        assert!(report.rules[0].shortfalls[0].stages_omitted);
        assert!(report.leaks.is_empty());

        let p = policy(&format!(
            "{HEAD}rules:\n- level: Metadata\n  omitStages: [ResponseStarted]\n"
        ));
        let report = explain(&p, &rules());
        assert_eq!(status(&report, "exec"), Coverage::Fires);
        assert!(
            report.rules[0].notes[0].contains("omits ResponseStarted"),
            "{:?}",
            report.rules[0].notes
        );
    }

    #[test]
    fn policy_errors_have_positions() {
        let err = |text: &str| match AuditPolicy::parse(Path::new("p.yaml"), text) {
            Ok(_) => panic!("expected an error:\n{text}"),
            Err(e) => e,
        };
        let e = err(&format!("{HEAD}rules:\n- level: Metadata\n  verb: [get]\n"));
        assert_eq!(e.pos, Some(Pos::new(5, 3)));
        assert!(e.message.contains("unknown field `verb`"), "{e}");
        assert!(e.to_string().starts_with("p.yaml:5:3: "), "{e}");

        let e = err(&format!("{HEAD}rules:\n- level: Verbose\n"));
        assert_eq!(e.pos, Some(Pos::new(4, 10)));

        let e = err(&format!("{HEAD}rules:\n- users: [a]\n"));
        assert!(e.message.contains("no level"), "{e}");

        let e = err(&format!("{HEAD}rules: []\n"));
        assert!(e.message.contains("no rules"), "{e}");

        let e = err(&format!(
            "{HEAD}rules:\n- level: None\n  nonResourceURLs: [/x]\n  namespaces: [a]\n"
        ));
        assert!(e.message.contains("both"), "{e}");

        let e = err("apiVersion: v1\nkind: Policy\nrules: [{level: None}]\n");
        assert_eq!(e.pos, Some(Pos::new(1, 13)));

        let e = err(&format!(
            "{HEAD}rules:\n- level: None\n  omitStages: [Done]\n"
        ));
        assert_eq!(e.pos, Some(Pos::new(5, 16)));

        let e = err(&format!(
            "{HEAD}rules:\n- level: None\n  nonResourceURLs: [healthz]\n"
        ));
        assert!(e.message.contains("must start with /"), "{e}");
    }

    #[test]
    fn json_policies_read_too() {
        let p = policy(
            r#"{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None","resources":[{"group":"","resources":["secrets"]}]},{"level":"Metadata"}]}"#,
        );
        assert_eq!(p.rules.len(), 2);
        assert_eq!(
            status(&explain(&p, &rules()), "secret-read"),
            Coverage::Silent
        );
    }

    #[test]
    fn builtin_rules_are_explained() {
        let report = explain(
            &policy(&format!("{HEAD}rules:\n- level: Metadata\n")),
            &crate::rules::builtin(),
        );
        assert_eq!(report.summary.rules, crate::rules::builtin().len());
    }
}
