//! Policy as a team writes it: `.kaegis.yaml` (found upward, or given),
//! exemptions, waivers in objects, custom CEL rules, and `kaegis rbac
//! who-can`, through the real binary.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn kaegis(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("kaegis").unwrap();
    c.current_dir(dir);
    c
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("valid JSON")
}

fn slugs(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"]["slug"].as_str().unwrap().to_owned())
        .collect()
}

const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: monitoring
  labels: {app: agent}
spec:
  containers:
  - name: c
    image: registry.example.com/agent:1.0
    securityContext: {privileged: true}
";

#[test]
fn config_is_found_upward_and_applied() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("apps/agent");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("pod.yaml"), PRIVILEGED_POD).unwrap();
    std::fs::write(
        dir.path().join(".kaegis.yaml"),
        "profile: pss-baseline\nseverity:\n  privileged: low\n",
    )
    .unwrap();
    let out = kaegis(dir.path())
        .args(["scan", "apps/agent", "-f", "json"])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    assert_eq!(v["profile"], "pss-baseline");
    let privileged = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"]["slug"] == "privileged")
        .expect("privileged finding");
    assert_eq!(privileged["severity"], "low");
    // --no-config and the command line win.
    let out = kaegis(dir.path())
        .args(["scan", "apps/agent", "-f", "json", "--no-config"])
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)["profile"], "production");
    let out = kaegis(dir.path())
        .args(["scan", "apps/agent", "-f", "json", "--profile", "all"])
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)["profile"], "all");
}

#[test]
fn exemptions_need_a_reason_and_suppress_what_they_match() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pod.yaml"), PRIVILEGED_POD).unwrap();
    let cfg = dir.path().join("kaegis.yaml");
    std::fs::write(
        &cfg,
        "profile: pss-baseline\nexemptions:\n- checks: [privileged]\n  namespaces: [monitor*]\n",
    )
    .unwrap();
    kaegis(dir.path())
        .args(["scan", "pod.yaml", "--config", "kaegis.yaml"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("kaegis.yaml:3:3").and(predicate::str::contains("reason")),
        );
    std::fs::write(
        &cfg,
        "profile: pss-baseline\nexemptions:\n- checks: [privileged]\n  namespaces: [monitor*]\n  reason: node agent\n",
    )
    .unwrap();
    let out = kaegis(dir.path())
        .args(["scan", "pod.yaml", "--config", "kaegis.yaml", "-f", "json"])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    assert!(!slugs(&v).contains(&"privileged".to_owned()), "{v}");
    assert_eq!(v["summary"]["suppressed"], 1);
    // Another namespace is not exempt.
    std::fs::write(
        dir.path().join("pod.yaml"),
        PRIVILEGED_POD.replace("monitoring", "web"),
    )
    .unwrap();
    let out = kaegis(dir.path())
        .args(["scan", "pod.yaml", "--config", "kaegis.yaml", "-f", "json"])
        .output()
        .unwrap();
    assert!(slugs(&json(&out.stdout)).contains(&"privileged".to_owned()));
}

#[test]
fn waivers_with_reasons_suppress_and_bad_waivers_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let waived = PRIVILEGED_POD.replace(
        "  labels: {app: agent}\n",
        "  labels: {app: agent}\n  annotations:\n    kaegis.dev/ignore: privileged\n    kaegis.dev/ignore-reason: needs the host's devices\n",
    );
    std::fs::write(dir.path().join("pod.yaml"), &waived).unwrap();
    let out = kaegis(dir.path())
        .args([
            "scan",
            "pod.yaml",
            "-f",
            "json",
            "--profile",
            "pss-baseline",
        ])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    assert_eq!(slugs(&v), Vec::<String>::new(), "{v}");
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(out.status.code(), Some(0));

    let no_reason = waived.replace(
        "    kaegis.dev/ignore-reason: needs the host's devices\n",
        "",
    );
    std::fs::write(dir.path().join("pod.yaml"), no_reason).unwrap();
    let out = kaegis(dir.path())
        .args([
            "scan",
            "pod.yaml",
            "-f",
            "json",
            "--profile",
            "pss-baseline",
        ])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    let s = slugs(&v);
    assert!(s.contains(&"privileged".to_owned()), "{v}");
    assert!(s.contains(&"waiver".to_owned()), "{v}");
}

#[test]
fn custom_cel_rules_run_and_broken_ones_are_errors_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pod.yaml"), PRIVILEGED_POD).unwrap();
    std::fs::write(
        dir.path().join(".kaegis.yaml"),
        "profile: pss-baseline\nrules:\n- id: team-label\n  severity: high\n  match: {kinds: [Pod]}\n  \
         expression: \"has(object.metadata.labels.team)\"\n  \
         messageExpression: \"'pod ' + object.metadata.name + ' has no team label'\"\n",
    )
    .unwrap();
    let out = kaegis(dir.path())
        .args(["scan", ".", "-f", "json"])
        .output()
        .unwrap();
    let v = json(&out.stdout);
    let rule = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"]["slug"] == "team-label")
        .unwrap_or_else(|| panic!("no rule finding: {v}"));
    assert_eq!(rule["message"], "pod agent has no team label");
    assert_eq!(rule["severity"], "high");
    assert_eq!(rule["check"]["code"], "CEL001");

    kaegis(dir.path())
        .args(["explain", "team-label"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("CEL001 team-label")
                .and(predicate::str::contains("has(object.metadata.labels.team)")),
        );

    std::fs::write(
        dir.path().join(".kaegis.yaml"),
        "rules:\n- id: broken\n  expression: \"object.spec.(\"\n",
    )
    .unwrap();
    kaegis(dir.path())
        .args(["scan", "."])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains(".kaegis.yaml:3:15")
                .and(predicate::str::contains("does not compile")),
        );

    std::fs::write(
        dir.path().join(".kaegis.yaml"),
        "rules:\n- id: privileged\n  expression: \"true\"\n",
    )
    .unwrap();
    kaegis(dir.path())
        .args(["scan", "."])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already the slug of KG103"));
}

#[test]
fn rbac_who_can_answers_from_the_manifests() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rbac.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- apiGroups: [\"\"]
  resources: [secrets]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-reads-secrets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: ServiceAccount, name: ci, namespace: build}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: devs-edit, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: Group, name: developers}
",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = kaegis(dir.path())
            .args(["rbac", "who-can"])
            .args(args)
            .args(["rbac.yaml", "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        json(&out.stdout)["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["subject"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(&["list", "secrets"]), ["ServiceAccount build/ci"]);
    assert_eq!(
        run(&["get", "secrets", "-n", "web"]),
        ["Group developers", "ServiceAccount build/ci"]
    );
    assert_eq!(
        run(&["create", "pods/exec", "-n", "web"]),
        ["Group developers"]
    );
    assert_eq!(
        run(&["create", "pods/exec", "-n", "other"]),
        Vec::<String>::new()
    );
    assert_eq!(
        run(&["delete", "deployments.apps", "-n", "web"]),
        ["Group developers"]
    );
    kaegis(dir.path())
        .args(["rbac", "who-can", "list", "secrets", "rbac.yaml"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ClusterRoleBinding ci-reads-secrets",
        ));
}
