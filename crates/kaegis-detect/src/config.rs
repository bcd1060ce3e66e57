//! From the config file's `detect:` section (read by kaegis-policy into a
//! [`DetectSpec`]) to the detector's [`Settings`] and rules: the built-in
//! rules less those `disable` names, then the custom ones.

use kaegis_policy::{ConfigError, DetectSpec};

use crate::custom::CelEventRule;
use crate::rule::Rule;
use crate::settings::{Settings, Threshold};

fn threshold(base: Threshold, spec: kaegis_policy::ThresholdSpec) -> Threshold {
    Threshold {
        count: spec.count.unwrap_or(base.count),
        window_secs: spec.window_secs.unwrap_or(base.window_secs),
    }
}

/// The settings a `detect:` section asks for, on top of the defaults.
/// Lists of identities and namespaces add to the defaults.
pub fn settings_from(spec: &DetectSpec) -> Settings {
    let mut s = Settings {
        trusted_cidrs: spec.trusted_cidrs.clone(),
        cluster_cidrs: spec.cluster_cidrs.clone(),
        ..Settings::default()
    };
    s.control_plane_users
        .extend(spec.control_plane_users.iter().cloned());
    s.security_namespaces
        .extend(spec.security_namespaces.iter().cloned());
    s.allowed_impersonators
        .extend(spec.allowed_impersonators.iter().cloned());
    s.node_proxy_users
        .extend(spec.node_proxy_users.iter().cloned());
    if let Some(secs) = spec.learning_period_secs {
        s.learning_period_secs = secs;
    }
    if let Some(secs) = spec.dedup_window_secs {
        s.dedup_window_secs = secs;
    }
    s.brute_force = threshold(s.brute_force, spec.brute_force);
    s.rate_limit = threshold(s.rate_limit, spec.rate_limit);
    s
}

/// The detector's settings and rules from a `detect:` section: every
/// built-in rule ([`crate::rules::builtin`]) but those `disable` names (by
/// slug or code), then the custom rules in the order they are declared.
///
/// Errors, at their position in the config file: a `disable` entry that
/// names no built-in rule, a custom rule whose id or code is a built-in
/// rule's.
pub fn from_config(spec: DetectSpec) -> Result<(Settings, Vec<Box<dyn Rule>>), ConfigError> {
    let settings = settings_from(&spec);
    let mut rules = crate::rules::builtin();
    for (pos, name) in &spec.disable {
        let known = |r: &dyn Rule| r.meta().slug == name || r.meta().code == name;
        if !rules.iter().any(|r| known(r.as_ref())) {
            let exists = crate::rules::builtin()
                .iter()
                .any(|r| r.meta().slug == name || r.meta().code == name);
            let message = if exists {
                format!("`{name}` is disabled twice in detect.disable")
            } else {
                let slugs: Vec<&str> = crate::rules::builtin()
                    .iter()
                    .map(|r| r.meta().slug)
                    .collect();
                format!(
                    "unknown detection rule `{name}` in detect.disable; built-in rules: {}",
                    slugs.join(", ")
                )
            };
            return Err(spec.error(*pos, message));
        }
        rules.retain(|r| !known(r.as_ref()));
    }
    let builtin = crate::rules::builtin();
    let mut custom = Vec::with_capacity(spec.rules.len());
    for rule in spec.rules {
        if let Some(b) = builtin
            .iter()
            .find(|b| b.meta().slug == rule.slug || b.meta().code == rule.code)
        {
            return Err(spec_error(
                &spec.file,
                rule.pos,
                format!(
                    "custom rule `{}` ({}) takes the id or code of the built-in rule {} `{}`; choose another",
                    rule.slug,
                    rule.code,
                    b.meta().code,
                    b.meta().slug
                ),
            ));
        }
        custom.push(Box::new(CelEventRule::new(rule)) as Box<dyn Rule>);
    }
    rules.extend(custom);
    Ok((settings, rules))
}

fn spec_error(file: &std::path::Path, pos: kaegis_core::Pos, message: String) -> ConfigError {
    ConfigError {
        file: file.to_path_buf(),
        pos: Some(pos),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Detector, State, event};
    use kaegis_core::Pos;
    use kaegis_policy::Config;
    use std::path::Path;

    fn load(text: &str) -> Result<(Settings, Vec<Box<dyn Rule>>), ConfigError> {
        let cfg = Config::parse(Path::new("k.yaml"), text)?;
        from_config(cfg.detect)
    }

    fn load_err(text: &str) -> ConfigError {
        match load(text) {
            Ok(_) => panic!("expected an error for {text}"),
            Err(e) => e,
        }
    }

    fn slugs(rules: &[Box<dyn Rule>]) -> Vec<&str> {
        rules.iter().map(|r| r.meta().slug).collect()
    }

    #[test]
    fn settings_and_disable() {
        let (s, rules) = load(
            "detect:\n  trustedCIDRs: [10.0.0.0/8]\n  securityNamespaces: [vault]\n  \
             bruteForce: {window: 5m}\n  learningPeriod: 0\n  disable: [KD101]\n",
        )
        .unwrap();
        assert_eq!(s.trusted_cidrs.len(), 1);
        assert!(s.security_namespaces.iter().any(|n| n == "vault"));
        assert!(s.security_namespaces.iter().any(|n| n == "kube-system"));
        assert_eq!(s.brute_force.window_secs, 300);
        assert_eq!(s.brute_force.count, Settings::default().brute_force.count);
        assert_eq!(s.learning_period_secs, 0);
        assert!(!slugs(&rules).contains(&"pod-exec"));
        assert!(slugs(&rules).contains(&"auth-brute-force"));

        let (_, all) = load("").unwrap();
        assert_eq!(all.len(), crate::rules::builtin().len());
    }

    #[test]
    fn unknown_or_clashing_rules_are_errors_with_positions() {
        let e = load_err("detect:\n  disable: [pod-exec, pod-exce]\n");
        assert_eq!(e.pos, Some(Pos::new(2, 23)));
        assert!(
            e.message.contains("unknown detection rule `pod-exce`"),
            "{e}"
        );
        assert!(e.to_string().starts_with("k.yaml:2:23: "), "{e}");

        let e = load_err("detect:\n  rules:\n  - id: pod-exec\n    expression: 'true'\n");
        assert_eq!(e.pos, Some(Pos::new(3, 5)));
        assert!(e.message.contains("built-in rule KD101"), "{e}");
    }

    /// Runs the custom rules (codes `KDC…`) only, so the built-ins' alerts on
    /// the same events do not blur what is tested.
    fn run(rules: Vec<Box<dyn Rule>>, settings: Settings, lines: &[&str]) -> Vec<String> {
        let custom = rules
            .into_iter()
            .filter(|r| r.meta().code.starts_with("KDC"))
            .collect();
        let mut d = Detector::new(custom, settings, State::default());
        let mut alerts = Vec::new();
        for line in lines {
            for ev in event::decode(line.as_bytes()).unwrap() {
                d.process(&ev, &mut alerts);
            }
        }
        alerts
            .iter()
            .map(|a| format!("{} {} {}", a.code, a.rule, a.message))
            .collect()
    }

    const SECRET_GET: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod-web/secrets/db","verb":"get","user":{"username":"system:serviceaccount:ci:deployer","groups":["system:serviceaccounts"]},"sourceIPs":["10.1.2.3"],"objectRef":{"resource":"secrets","namespace":"prod-web","name":"db","apiVersion":"v1"},"responseStatus":{"code":200},"stageTimestamp":"2026-11-23T10:00:00Z"}"#;
    const SECRET_DENIED: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"2","stage":"ResponseComplete","verb":"get","user":{"username":"system:serviceaccount:ci:deployer"},"objectRef":{"resource":"secrets","namespace":"prod-web","name":"db"},"responseStatus":{"code":403},"stageTimestamp":"2026-11-23T10:00:01Z"}"#;
    const SECRET_OTHER_NS: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"3","stage":"ResponseComplete","verb":"get","user":{"username":"system:serviceaccount:ci:deployer"},"objectRef":{"resource":"secrets","namespace":"dev","name":"db"},"responseStatus":{"code":200},"stageTimestamp":"2026-11-23T10:00:02Z"}"#;
    const CM_GET: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"4","stage":"ResponseComplete","verb":"get","user":{"username":"system:serviceaccount:ci:deployer"},"objectRef":{"resource":"configmaps","namespace":"prod-web","name":"db"},"responseStatus":{"code":200},"stageTimestamp":"2026-11-23T10:00:03Z"}"#;
    const HOST_PID_POD: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"5","stage":"ResponseComplete","verb":"create","user":{"username":"mallory"},"objectRef":{"resource":"pods","namespace":"web","name":"x"},"responseStatus":{"code":201},"requestObject":{"kind":"Pod","spec":{"hostPID":true,"containers":[{"name":"c","image":"busybox"}]}},"stageTimestamp":"2026-11-23T10:00:04Z"}"#;
    const PLAIN_POD: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"6","stage":"ResponseComplete","verb":"create","user":{"username":"mallory"},"objectRef":{"resource":"pods","namespace":"web","name":"y"},"responseStatus":{"code":201},"stageTimestamp":"2026-11-23T10:00:05Z"}"#;

    #[test]
    fn custom_rules_fire_on_matching_events_only() {
        let (settings, rules) = load(
            "detect:\n  disable: [pod-exec, auth-brute-force]\n  rules:\n  \
             - id: ci-reads-prod-secrets\n    severity: high\n    mitre: [T1552.007]\n    \
             match:\n      verbs: [get, list]\n      apiGroups: ['']\n      resources: [secrets]\n      \
             namespaces: ['prod-*']\n      users: ['system:serviceaccount:ci:*']\n    \
             expression: event.responseStatus.code == params.ok\n    params: {ok: 200}\n    \
             messageExpression: \"event.user.username + ' read ' + event.objectRef.name\"\n  \
             - id: host-pid-pod\n    match: {verbs: [create], resources: [pods]}\n    \
             expression: event.requestObject != null && has(event.requestObject.spec.hostPID) && event.requestObject.spec.hostPID\n",
        )
        .unwrap();
        let custom: Vec<_> = rules
            .iter()
            .filter(|r| r.meta().code.starts_with("KDC"))
            .collect();
        assert_eq!(
            custom[0].meta().needs[0].level,
            crate::rule::Level::Metadata
        );
        assert_eq!(custom[1].meta().needs[0].level, crate::rule::Level::Request);
        assert_eq!(
            custom[0].meta().mitre[0].name,
            "Unsecured Credentials: Container API"
        );
        let found = run(
            rules,
            settings,
            &[
                SECRET_GET,
                SECRET_DENIED,
                SECRET_OTHER_NS,
                CM_GET,
                HOST_PID_POD,
                PLAIN_POD,
            ],
        );
        assert_eq!(
            found,
            vec![
                "KDC001 ci-reads-prod-secrets system:serviceaccount:ci:deployer read db".to_owned(),
                "KDC002 host-pid-pod mallory create pods web/x: Custom detection rule `host-pid-pod`"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn evaluation_errors_alert_instead_of_passing() {
        let (settings, rules) = load(
            "detect:\n  disable: [pod-exec, auth-brute-force]\n  rules:\n  \
             - id: unguarded\n    match: {resources: [pods]}\n    expression: event.objectRef.labels == 'x'\n  \
             - id: not-bool\n    match: {resources: [pods]}\n    expression: event.verb\n",
        )
        .unwrap();
        let found = run(rules, settings, &[PLAIN_POD]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("could not be evaluated on create pods web/y"),
            "{found:?}"
        );
        assert!(found[1].contains("must evaluate to a bool"), "{found:?}");
    }
}
