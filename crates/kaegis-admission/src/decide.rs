//! The decision for one request: which checks apply in which mode (the
//! config's levels, a namespace's `kaegis.dev/<mode>` labels, per-check
//! modes), who and what is exempt, and the response: a denial naming every
//! enforced check and how to fix it, warnings, audit records.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kaegis_core::engine::{SelectionError, glob};
use kaegis_core::{
    Check, Engine, Finding, Inventory, Labels, Object, Origin, Profile, Selection, Severity,
};
use kaegis_policy::{AdmissionSpec, Level, Mode, parse_level};

use crate::mutate;
use crate::review::{Request, Response, Status};

/// Label prefix a namespace sets its own levels with
/// (`kaegis.dev/enforce: restricted`).
pub const LABEL_PREFIX: &str = "kaegis.dev/";

/// The longest warning kaegis sends (the API server drops longer ones).
const MAX_WARNING: usize = 256;

/// What the cluster cache knows around a request.
#[derive(Default, Clone)]
pub struct ClusterView {
    /// The labels of the request's namespace, when known.
    pub namespace_labels: Option<Labels>,
    /// Namespaces, NetworkPolicies, ServiceAccounts… for cross-object
    /// checks; empty without a cache.
    pub inventory: Arc<Inventory>,
}

/// One finding and the mode it fell under.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The mode.
    pub mode: Mode,
    /// The finding.
    pub finding: Finding,
}

/// Everything decided about one request, for the response, the log and the
/// metrics.
#[derive(Debug, Default)]
pub struct Decision {
    /// The response to send.
    pub response: Response,
    /// Findings by mode (empty when exempt or ignored).
    pub judged: Vec<Judged>,
    /// Why the request was not evaluated at all (`exempt namespace`,
    /// `DELETE`…), if so.
    pub skipped: Option<String>,
    /// The levels in force, for the log.
    pub levels: Vec<(Mode, String)>,
    /// The object's `kind namespace/name`, when it was read.
    pub object: Option<String>,
}

/// The admission controller's policy: built once, shared by every request.
pub struct Admission {
    spec: AdmissionSpec,
    engines: HashMap<Profile, Engine>,
    /// Every check of the catalog, for the checks given a mode by name.
    all: Engine,
    /// Check code → explicit mode (`None`: off).
    explicit: HashMap<&'static str, Option<Mode>>,
}

impl Admission {
    /// Builds the engines for every profile over `catalog`, from a base
    /// selection (PSS version, parameters, severities, exemptions).
    pub fn new(
        catalog: &[&'static dyn Check],
        base: &Selection,
        spec: AdmissionSpec,
    ) -> Result<Self, SelectionError> {
        let mut engines = HashMap::new();
        for p in Profile::ALL {
            let sel = Selection {
                profile: p,
                ..base.clone()
            };
            match Engine::new(catalog, &sel) {
                Ok(e) => {
                    engines.insert(p, e);
                }
                // A level naming it then selects nothing.
                Err(SelectionError::EmptyProfile(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let all = Engine::new(
            catalog,
            &Selection {
                profile: Profile::All,
                ..base.clone()
            },
        )?;
        let mut explicit = HashMap::new();
        for (name, mode) in &spec.checks {
            let check = catalog
                .iter()
                .find(|c| c.meta().slug == name || c.meta().code.eq_ignore_ascii_case(name))
                .ok_or_else(|| SelectionError::UnknownCheck(name.clone()))?;
            explicit.insert(check.meta().code, *mode);
        }
        Ok(Self {
            spec,
            engines,
            all,
            explicit,
        })
    }

    /// The configuration.
    pub fn spec(&self) -> &AdmissionSpec {
        &self.spec
    }

    /// The level of each mode in a namespace: the config's, or the
    /// namespace's own labels when the config lets namespaces choose.
    pub fn levels(&self, view: &ClusterView) -> [(Mode, Level); 3] {
        let mut levels = self.spec.levels;
        if self.spec.namespace_labels
            && let Some(labels) = &view.namespace_labels
        {
            for (mode, level) in &mut levels {
                if let Some(v) = labels.get(&format!("{LABEL_PREFIX}{}", mode.as_str()))
                    && let Some(l) = parse_level(v)
                {
                    *level = l;
                }
            }
        }
        levels
    }

    /// Why a request is exempt, if it is.
    fn exempt(&self, req: &Request, obj: Option<&Object>) -> Option<String> {
        let s = &self.spec;
        if !req.namespace.is_empty() && s.exempt_namespaces.iter().any(|g| glob(g, &req.namespace))
        {
            return Some(format!("exempt namespace {}", req.namespace));
        }
        if s.exempt_usernames.contains(&req.user_info.username) {
            return Some(format!("exempt user {}", req.user_info.username));
        }
        if let Some(g) = req
            .user_info
            .groups
            .iter()
            .find(|g| s.exempt_groups.contains(g))
        {
            return Some(format!("exempt group {g}"));
        }
        if let (Some(sel), Some(obj)) = (&s.exempt_labels, obj)
            && sel.matches(&Labels::of_metadata(obj.root.get("metadata")))
        {
            return Some("exempt labels".to_owned());
        }
        None
    }

    /// Parses the request's object, or says why the request needs no look.
    fn object(&self, req: &Request) -> Result<Object, Result<String, String>> {
        if !matches!(req.operation.as_str(), "CREATE" | "UPDATE") {
            return Err(Ok(format!("{} is not checked", req.operation)));
        }
        // `kubectl debug` adds containers through this subresource, with the
        // whole Pod as the object: it is checked like the Pod.
        if !req.sub_resource.is_empty() && req.sub_resource != "ephemeralcontainers" {
            return Err(Ok(format!(
                "subresource {} is not checked",
                req.sub_resource
            )));
        }
        let root = match req.object_node() {
            Ok(Some(root)) => root,
            Ok(None) => return Err(Ok("no object".to_owned())),
            Err(e) => return Err(Err(e.to_string())),
        };
        request_object(req, root)
            .ok_or_else(|| Err("request.object has no apiVersion and kind".to_owned()))
    }

    /// The stored object of an UPDATE, when it can be read.
    fn old_object(&self, req: &Request) -> Option<Object> {
        let raw = req.old_object.as_ref()?;
        request_object(req, kaegis_inputs::json::parse_json(raw.get()).ok()?)
    }

    /// Runs the checks of every mode on an object.
    pub fn judge(&self, obj: &Object, view: &ClusterView) -> (Vec<Judged>, Vec<(Mode, String)>) {
        let levels = self.levels(view);
        let mut judged: Vec<Judged> = Vec::new();
        let mut seen: BTreeMap<(&'static str, String), usize> = BTreeMap::new();
        let mut add = |mode: Mode, f: Finding, judged: &mut Vec<Judged>| {
            let key = (f.check.code, f.path.to_string());
            match seen.get(&key) {
                Some(&i) if judged[i].mode <= mode => {}
                Some(&i) => judged[i].mode = mode,
                None => {
                    seen.insert(key, judged.len());
                    judged.push(Judged { mode, finding: f });
                }
            }
        };
        for (mode, level) in levels {
            let Some(profile) = level else { continue };
            let Some(engine) = self.engines.get(&profile) else {
                continue;
            };
            for f in engine.run_all(obj, &view.inventory).findings {
                match self.explicit.get(f.check.code) {
                    Some(_) => {}
                    None => add(mode, f, &mut judged),
                }
            }
        }
        if !self.explicit.is_empty() {
            for f in self.all.run_all(obj, &view.inventory).findings {
                if let Some(Some(mode)) = self.explicit.get(f.check.code) {
                    add(*mode, f, &mut judged);
                }
            }
        }
        judged.sort_by(|a, b| {
            (
                a.mode,
                std::cmp::Reverse(a.finding.severity),
                a.finding.check.code,
            )
                .cmp(&(
                    b.mode,
                    std::cmp::Reverse(b.finding.severity),
                    b.finding.check.code,
                ))
        });
        let levels = levels
            .iter()
            .map(|(m, l)| (*m, l.map_or("privileged", |p| p.as_str()).to_owned()))
            .collect();
        (judged, levels)
    }

    /// The object to judge, or the decision for a request that needs no
    /// look (ignored operation or subresource, exempt) or cannot be read.
    fn judged_object(&self, req: &Request) -> Result<Object, Box<Decision>> {
        let obj = match self.object(req) {
            Ok(obj) => obj,
            Err(Ok(why)) => return Err(Box::new(skipped(req, why))),
            Err(Err(e)) => return Err(Box::new(malformed(req, e))),
        };
        match self.exempt(req, Some(&obj)) {
            Some(why) => Err(Box::new(skipped(req, why))),
            None => Ok(obj),
        }
    }

    /// Decides a `/validate` request.
    pub fn validate(&self, req: &Request, view: &ClusterView) -> Decision {
        let obj = match self.judged_object(req) {
            Ok(obj) => obj,
            Err(d) => return *d,
        };
        let (mut judged, levels) = self.judge(&obj, view);
        // An UPDATE is denied only for what it makes worse: violations the
        // stored object already has are warned about, not enforced, so that
        // controllers updating objects created before a policy tightened
        // (a Deployment scaling its old ReplicaSet) are never blocked.
        if req.operation == "UPDATE"
            && let Some(old) = self.old_object(req)
        {
            let (before, _) = self.judge(&old, view);
            for j in judged.iter_mut().filter(|j| j.mode == Mode::Enforce) {
                let existed = before.iter().any(|b| {
                    b.finding.check.code == j.finding.check.code && b.finding.path == j.finding.path
                });
                if existed {
                    j.mode = Mode::Warn;
                }
            }
        }
        let mut response = Response::allow(&req.uid);
        let enforced: Vec<&Finding> = judged
            .iter()
            .filter(|j| j.mode == Mode::Enforce)
            .map(|j| &j.finding)
            .collect();
        if !enforced.is_empty() {
            response.allowed = false;
            response.status = Some(Status {
                code: 403,
                reason: "Forbidden".to_owned(),
                message: denial(&obj, &enforced),
            });
        }
        response.warnings = judged
            .iter()
            .filter(|j| j.mode == Mode::Warn)
            .map(|j| warning(&j.finding))
            .collect();
        let audited: Vec<String> = judged
            .iter()
            .filter(|j| j.mode == Mode::Audit)
            .map(|j| format!("{} {}", j.finding.check.code, j.finding.path))
            .collect();
        if !audited.is_empty() {
            response
                .audit_annotations
                .insert("findings".to_owned(), audited.join(", "));
        }
        Decision {
            response,
            judged,
            skipped: None,
            levels,
            object: Some(obj.id.to_string()),
        }
    }

    /// Decides a `/mutate` request: secure defaults as a JSON Patch where
    /// mutation is on (the config, or the namespace's `kaegis.dev/mutate`
    /// label).
    pub fn mutate(&self, req: &Request, view: &ClusterView) -> Decision {
        let obj = match self.judged_object(req) {
            Ok(obj) => obj,
            Err(d) => return *d,
        };
        let label = view
            .namespace_labels
            .as_ref()
            .and_then(|l| l.get(&format!("{LABEL_PREFIX}mutate")).map(str::to_owned));
        let on = match label.as_deref() {
            Some("true") => true,
            Some("false") => false,
            _ => self.spec.mutate,
        };
        if !on {
            return skipped(req, "mutation is off in this namespace".to_owned());
        }
        let mut response = Response::allow(&req.uid);
        let ops = mutate::secure_defaults(&obj);
        if !ops.is_empty() {
            use base64::Engine as _;
            let patch = serde_json::to_vec(&ops).unwrap_or_default();
            response.patch_type = Some("JSONPatch");
            response.patch = Some(base64::engine::general_purpose::STANDARD.encode(patch));
            response.audit_annotations.insert(
                "mutated".to_owned(),
                ops.iter()
                    .filter_map(|o| o["path"].as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        Decision {
            response,
            object: Some(obj.id.to_string()),
            ..Decision::default()
        }
    }
}

/// An object of a request. On CREATE the object may not carry its namespace
/// (or, with generateName, its name) yet: the request's are the ones it will
/// have.
fn request_object(req: &Request, root: kaegis_core::Node) -> Option<Object> {
    let mut obj = Object::from_root(root, Origin::Other(Arc::from(req.uid.as_str())))?;
    if obj.id.namespace.is_none() && !req.namespace.is_empty() {
        obj.id.namespace = Some(req.namespace.clone());
    }
    if obj.id.name.is_empty() {
        obj.id.name = req.name.clone();
    }
    Some(obj)
}

fn skipped(req: &Request, why: String) -> Decision {
    Decision {
        response: Response::allow(&req.uid),
        skipped: Some(why),
        ..Decision::default()
    }
}

/// A request whose object kaegis cannot read: denied with the reason (the
/// API server only sends objects it decoded, so this is a broken client).
fn malformed(req: &Request, e: String) -> Decision {
    Decision {
        response: Response {
            uid: req.uid.clone(),
            allowed: false,
            status: Some(Status {
                code: 400,
                reason: "BadRequest".to_owned(),
                message: format!("kaegis cannot read {}: {e}", req.identity()),
            }),
            ..Response::default()
        },
        skipped: Some(format!("malformed: {e}")),
        ..Decision::default()
    }
}

/// How to fix one finding, in a line.
fn remedy(f: &Finding) -> String {
    match &f.fix {
        Some(p) => p.fix.description.clone(),
        None => format!("see `kaegis explain {}`", f.check.slug),
    }
}

/// The denial message: every enforced check, what is wrong, how to fix it.
fn denial(obj: &Object, findings: &[&Finding]) -> String {
    let mut checks: Vec<&str> = findings.iter().map(|f| f.check.slug).collect();
    checks.dedup();
    let mut msg = format!(
        "kaegis denied {} {}: {} (enforced: {})",
        obj.id.kind,
        obj.id.name,
        if findings.len() == 1 {
            "1 violation".to_owned()
        } else {
            format!("{} violations", findings.len())
        },
        checks.join(", ")
    );
    for f in findings {
        msg.push_str(&format!(
            "\n- [{}] {} {} at {}: {}; fix: {}",
            f.severity,
            f.check.code,
            f.check.slug,
            f.path,
            f.message,
            remedy(f)
        ));
    }
    msg
}

/// One warning line, within the API server's limit.
fn warning(f: &Finding) -> String {
    let mut w = format!("kaegis {} {}: {}", f.check.code, f.check.slug, f.message);
    if w.len() > MAX_WARNING {
        let mut cut = MAX_WARNING - 3;
        while !w.is_char_boundary(cut) {
            cut -= 1;
        }
        w.truncate(cut);
        w.push_str("...");
    }
    w
}

/// The highest severity among findings, for logs.
pub fn worst(judged: &[Judged]) -> Option<Severity> {
    judged.iter().map(|j| j.finding.severity).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review;

    fn admission(spec: AdmissionSpec) -> Admission {
        Admission::new(&kaegis_checks::CATALOG, &Selection::default(), spec).unwrap()
    }

    fn request(ns: &str, op: &str, object: &str) -> Request {
        let body = format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u","kind":{{"kind":"Pod","version":"v1"}},"namespace":"{ns}","operation":"{op}","userInfo":{{"username":"alice","groups":["dev"]}},"object":{object}}}}}"#
        );
        review::parse(body.as_bytes()).unwrap()
    }

    const PRIVILEGED: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx:1.25","securityContext":{"privileged":true}}]}}"#;
    const PLAIN: &str = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"team":"a"}},"spec":{"containers":[{"name":"c","image":"nginx:1.25"}]}}"#;

    #[test]
    fn enforces_baseline_and_warns_on_restricted_by_default() {
        let a = admission(AdmissionSpec::default());
        let d = a.validate(
            &request("web", "CREATE", PRIVILEGED),
            &ClusterView::default(),
        );
        assert!(!d.response.allowed);
        let status = d.response.status.unwrap();
        assert_eq!(status.code, 403);
        assert!(
            status.message.contains("KG103 privileged"),
            "{}",
            status.message
        );
        assert!(
            status.message.contains("fix: set privileged: false"),
            "{}",
            status.message
        );

        let d = a.validate(&request("web", "CREATE", PLAIN), &ClusterView::default());
        assert!(d.response.allowed);
        assert!(
            d.response
                .warnings
                .iter()
                .any(|w| w.contains("allow-privilege-escalation")),
            "{:?}",
            d.response.warnings
        );
        assert!(d.response.warnings.iter().all(|w| w.len() <= MAX_WARNING));
    }

    #[test]
    fn namespace_labels_choose_the_levels() {
        let a = admission(AdmissionSpec::default());
        let mut view = ClusterView {
            namespace_labels: Some(Labels(vec![(
                "kaegis.dev/enforce".into(),
                "restricted".into(),
            )])),
            ..ClusterView::default()
        };
        let d = a.validate(&request("web", "CREATE", PLAIN), &view);
        assert!(!d.response.allowed);
        view.namespace_labels = Some(Labels(vec![(
            "kaegis.dev/enforce".into(),
            "privileged".into(),
        )]));
        let d = a.validate(&request("web", "CREATE", PRIVILEGED), &view);
        assert!(d.response.allowed);
    }

    #[test]
    fn exemptions_deletes_and_subresources_pass_untouched() {
        let spec = AdmissionSpec {
            exempt_namespaces: vec!["kube-*".into()],
            exempt_groups: vec!["ops".into()],
            ..AdmissionSpec::default()
        };
        let a = admission(spec);
        let d = a.validate(
            &request("kube-system", "CREATE", PRIVILEGED),
            &ClusterView::default(),
        );
        assert!(d.response.allowed);
        assert_eq!(d.skipped.as_deref(), Some("exempt namespace kube-system"));
        let d = a.validate(&request("web", "DELETE", "null"), &ClusterView::default());
        assert!(d.response.allowed && d.skipped.is_some());
        let mut r = request("web", "UPDATE", PRIVILEGED);
        r.sub_resource = "status".into();
        assert!(a.validate(&r, &ClusterView::default()).response.allowed);
        let mut r = request("web", "CREATE", PRIVILEGED);
        r.user_info.groups.push("ops".into());
        assert!(a.validate(&r, &ClusterView::default()).response.allowed);
    }

    #[test]
    fn updates_enforce_only_what_they_make_worse_and_debug_containers_are_checked() {
        let a = admission(AdmissionSpec::default());
        let update = |old: &str, new: &str| {
            let body = format!(
                r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{{"uid":"u","namespace":"web","operation":"UPDATE","object":{new},"oldObject":{old}}}}}"#
            );
            a.validate(
                &review::parse(body.as_bytes()).unwrap(),
                &ClusterView::default(),
            )
        };
        // Already privileged: a label change passes, with the warning.
        let relabelled = PRIVILEGED.replace(r#""name":"p""#, r#""name":"p","labels":{"x":"y"}"#);
        let d = update(PRIVILEGED, &relabelled);
        assert!(d.response.allowed, "{:?}", d.response.status);
        assert!(d.response.warnings.iter().any(|w| w.contains("KG103")));
        // Made privileged by the update: denied.
        let d = update(PLAIN, PRIVILEGED);
        assert!(!d.response.allowed);

        let mut r = request("web", "UPDATE", PRIVILEGED);
        r.sub_resource = "ephemeralcontainers".into();
        assert!(!a.validate(&r, &ClusterView::default()).response.allowed);
    }

    #[test]
    fn per_check_modes_override_levels() {
        let spec = AdmissionSpec {
            checks: vec![
                ("privileged".into(), Some(Mode::Warn)),
                ("KG121".into(), None),
            ],
            ..AdmissionSpec::default()
        };
        let a = admission(spec);
        let d = a.validate(
            &request("web", "CREATE", PRIVILEGED),
            &ClusterView::default(),
        );
        assert!(d.response.allowed, "{:?}", d.response.status);
        assert!(d.response.warnings.iter().any(|w| w.contains("KG103")));
        assert!(!d.response.warnings.iter().any(|w| w.contains("KG121")));
        assert!(
            Admission::new(
                &kaegis_checks::CATALOG,
                &Selection::default(),
                AdmissionSpec {
                    checks: vec![("no-such-check".into(), None)],
                    ..AdmissionSpec::default()
                }
            )
            .is_err()
        );
    }

    #[test]
    fn mutation_follows_config_and_namespace_label() {
        let a = admission(AdmissionSpec::default());
        let req = request("web", "CREATE", PLAIN);
        assert!(
            a.mutate(&req, &ClusterView::default())
                .response
                .patch
                .is_none()
        );
        let view = ClusterView {
            namespace_labels: Some(Labels(vec![("kaegis.dev/mutate".into(), "true".into())])),
            ..ClusterView::default()
        };
        let d = a.mutate(&req, &view);
        assert_eq!(d.response.patch_type, Some("JSONPatch"));
        assert!(d.response.allowed);
    }
}
