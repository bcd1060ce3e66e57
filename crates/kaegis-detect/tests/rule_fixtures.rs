//! Every built-in rule has fixtures of real-shaped audit events beside the
//! crate, in `fixtures/<slug>/`:
//! - `alert.jsonl`: each request whose auditID starts with `attack-` must
//!   raise exactly one alert of the rule; the other requests none of it
//!   (other rules may fire on them too: an exec into kube-system is also
//!   a pod exec). The alerts, of every rule, are pinned by a snapshot.
//! - `benign.jsonl`: near misses that must raise nothing from any rule.
//!
//! Each file is replayed through a fresh detector running every built-in
//! rule. A `settings.json` beside them, when present, sets the detector's
//! parameters for both files: `trusted_cidrs`, `cluster_cidrs` (lists of
//! CIDRs), `control_plane_users`, `security_namespaces`,
//! `allowed_impersonators`, `node_proxy_users` (lists of globs),
//! `learning_period_secs` (a number), `brute_force` (`{count,
//! window_secs}`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use kaegis_detect::rules::builtin;
use kaegis_detect::{Alert, Detector, Settings, State, event};
use serde_json::Value;

fn dir(slug: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(slug)
}

fn strings(v: &Value, key: &str) -> Option<Vec<String>> {
    v.get(key)?.as_array().map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    })
}

fn settings(slug: &str) -> Settings {
    let mut s = Settings::default();
    let path = dir(slug).join("settings.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return s;
    };
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let nets = |key: &str| -> Option<Vec<ipnet::IpNet>> {
        Some(
            strings(&v, key)?
                .iter()
                .map(|c| c.parse().unwrap_or_else(|e| panic!("{key}: {c}: {e}")))
                .collect(),
        )
    };
    if let Some(n) = nets("trusted_cidrs") {
        s.trusted_cidrs = n;
    }
    if let Some(n) = nets("cluster_cidrs") {
        s.cluster_cidrs = n;
    }
    for (key, field) in [
        ("control_plane_users", &mut s.control_plane_users),
        ("security_namespaces", &mut s.security_namespaces),
        ("allowed_impersonators", &mut s.allowed_impersonators),
        ("node_proxy_users", &mut s.node_proxy_users),
    ] {
        if let Some(list) = strings(&v, key) {
            *field = list;
        }
    }
    if let Some(n) = v.get("learning_period_secs").and_then(Value::as_i64) {
        s.learning_period_secs = n;
    }
    if let Some(b) = v.get("brute_force") {
        if let Some(n) = b.get("count").and_then(Value::as_u64) {
            s.brute_force.count = n as u32;
        }
        if let Some(n) = b.get("window_secs").and_then(Value::as_i64) {
            s.brute_force.window_secs = n;
        }
    }
    s
}

/// Replays a fixture file: the alerts, and the audit IDs in order of first
/// appearance.
fn replay(slug: &str, which: &str) -> (Vec<Alert>, Vec<String>) {
    let path = dir(slug).join(format!("{which}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut det = Detector::new(builtin(), settings(slug), State::default());
    let mut alerts = Vec::new();
    let mut ids = Vec::new();
    let mut stages = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let events = event::decode(line.as_bytes())
            .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), n + 1));
        for ev in &events {
            assert!(
                stages.insert((ev.audit_id.to_string(), ev.stage.to_string())),
                "{}:{}: auditID {} logged twice at stage {}",
                path.display(),
                n + 1,
                ev.audit_id,
                ev.stage
            );
            if !ids.contains(&ev.audit_id.to_string()) {
                ids.push(ev.audit_id.to_string());
            }
            det.process(ev, &mut alerts);
        }
    }
    assert!(!ids.is_empty(), "{} has no events", path.display());
    (alerts, ids)
}

#[derive(serde::Serialize)]
struct Shown {
    rule: String,
    severity: String,
    message: String,
    #[serde(rename = "auditID")]
    audit_id: String,
}

#[test]
fn every_rule_alerts_on_its_attacks_and_stays_quiet_on_benign_traffic() {
    for rule in builtin() {
        let slug = rule.meta().slug;
        let (alerts, ids) = replay(slug, "alert");
        let mut per_id: BTreeMap<&str, usize> = BTreeMap::new();
        for a in alerts.iter().filter(|a| a.rule == slug) {
            *per_id.entry(a.audit_id.as_str()).or_default() += 1;
        }
        let attacks: Vec<&String> = ids.iter().filter(|i| i.starts_with("attack-")).collect();
        assert!(
            !attacks.is_empty(),
            "{slug}: alert.jsonl has no attack- request"
        );
        for id in &ids {
            let want = usize::from(id.starts_with("attack-"));
            let got = per_id.get(id.as_str()).copied().unwrap_or(0);
            assert_eq!(
                got, want,
                "{slug}: request {id} raised {got} alerts of the rule"
            );
        }
        let shown: Vec<Shown> = alerts
            .iter()
            .map(|a| Shown {
                rule: a.rule.clone(),
                severity: a.severity.to_string(),
                message: a.message.clone(),
                audit_id: a.audit_id.clone(),
            })
            .collect();
        insta::assert_yaml_snapshot!(slug, shown);

        let (benign, _) = replay(slug, "benign");
        let raised: Vec<String> = benign
            .iter()
            .map(|a| format!("{} {}: {}", a.audit_id, a.rule, a.message))
            .collect();
        assert!(
            raised.is_empty(),
            "{slug}: benign.jsonl raised:\n{}",
            raised.join("\n")
        );
    }
}

#[test]
fn every_rule_is_identified_documented_and_has_fixtures() {
    let mut codes = HashSet::new();
    let mut slugs = HashSet::new();
    for rule in builtin() {
        let m = rule.meta();
        assert!(codes.insert(m.code), "duplicate code {}", m.code);
        assert!(slugs.insert(m.slug), "duplicate slug {}", m.slug);
        assert!(
            m.code.len() == 5
                && m.code.starts_with("KD")
                && m.code[2..].bytes().all(|b| b.is_ascii_digit()),
            "{}: code",
            m.code
        );
        assert!(
            m.slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{}: slug is not kebab-case",
            m.slug
        );
        for section in ["What", "Why", "How to respond"] {
            let text = m.doc_section(section).unwrap_or_default();
            assert!(
                text.len() > 40,
                "{}: section {section} missing or too short",
                m.slug
            );
        }
        assert!(!m.mitre.is_empty(), "{}: no MITRE technique", m.slug);
        for t in m.mitre {
            assert!(
                t.id.starts_with('T') && !t.name.is_empty(),
                "{}: {t:?}",
                m.slug
            );
        }
        assert!(!m.needs.is_empty(), "{}: no needs", m.slug);
        for file in ["alert.jsonl", "benign.jsonl"] {
            assert!(
                dir(m.slug).join(file).is_file(),
                "{}: fixtures/{}/{file} missing",
                m.slug,
                m.slug
            );
        }
    }
}

/// Every fixture event, with odd request and response bodies in place of
/// its own: the rules read them without panicking.
#[test]
fn rules_survive_odd_bodies() {
    let odd: Vec<Value> = [
        "null",
        "[]",
        "\"text\"",
        "42",
        "{}",
        r#"{"spec": 1, "rules": "x", "data": [1], "roleRef": 3, "metadata": []}"#,
        r#"{"spec": {"template": {"spec": {"containers": [1, null, {"securityContext": 1}], "volumes": {"hostPath": 1}}}, "request": 7, "type": []}}"#,
        r#"[{"op": "add", "path": 1}, {"path": "/spec/template/spec", "value": 1, "op": "add"}, {"path": "/data/~1~0", "value": null}, 3]"#,
        r#"{"rules": [{"verbs": "*", "resources": [1], "apiGroups": null}, {"verbs": ["*"], "resources": ["*"], "resourceNames": []}]}"#,
        r#"{"spec": {"request": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KBgNVBAoMDnN5c3RlbTptYXN0ZXJz"}, "status": {"conditions": [{"type": "Approved", "status": "True"}]}}"#,
    ]
    .iter()
    .map(|s| serde_json::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}")))
    .collect();
    let mut det = Detector::new(builtin(), Settings::default(), State::default());
    let mut out = Vec::new();
    for rule in builtin() {
        for which in ["alert.jsonl", "benign.jsonl"] {
            let path = dir(rule.meta().slug).join(which);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let Ok(mut v) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                for body in &odd {
                    v["level"] = Value::from("RequestResponse");
                    v["requestObject"] = body.clone();
                    v["responseObject"] = body.clone();
                    let s = v.to_string();
                    for ev in event::decode(s.as_bytes()).unwrap_or_default() {
                        det.process(&ev, &mut out);
                    }
                }
            }
        }
    }
}
