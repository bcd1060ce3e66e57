//! `kaegis fix`: mechanical fixes applied in place, everything else left
//! byte for byte; `--dry-run` prints the diff and writes nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kaegis() -> Command {
    Command::cargo_bin("kaegis").unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn scan_json(path: &Path) -> Vec<Value> {
    let out = kaegis()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"].as_array().unwrap().clone()
}

fn fingerprint(f: &Value) -> String {
    format!("{}|{}|{}", f["check"]["slug"], f["object"], f["path"])
}

#[test]
fn fix_then_scan_leaves_only_findings_without_a_mechanical_fix() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("insecure");
    copy_dir(&repo().join("examples/insecure"), &tree);
    let before = scan_json(&tree);
    let fixable = before.iter().filter(|f| f.get("autofix").is_some()).count();
    assert!(fixable >= 25, "only {fixable} findings carry a fix");
    for f in before.iter().filter(|f| f.get("autofix").is_some()) {
        let patch = &f["autofix"]["patch"];
        assert!(!patch.as_array().unwrap().is_empty());
        assert!(patch[0]["path"].as_str().unwrap().starts_with('/'));
    }

    let out = kaegis()
        .args(["fix", "--no-config"])
        .arg(&tree)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("fixed {fixable} findings")),
        "{stderr}"
    );

    let after = scan_json(&tree);
    assert!(
        after.iter().all(|f| f.get("autofix").is_none()),
        "findings with a mechanical fix remain: {:?}",
        after
            .iter()
            .filter(|f| f.get("autofix").is_some())
            .map(fingerprint)
            .collect::<Vec<_>>()
    );
    let manual: BTreeSet<String> = before
        .iter()
        .filter(|f| f.get("autofix").is_none())
        .map(fingerprint)
        .collect();
    let left: BTreeSet<String> = after.iter().map(fingerprint).collect();
    assert!(
        left.is_subset(&manual),
        "fixing raised new findings: {:?}",
        left.difference(&manual).collect::<Vec<_>>()
    );
    assert!(after.len() <= before.len() - fixable);

    // Fixing again changes nothing.
    let again = kaegis()
        .args(["fix", "--no-config"])
        .arg(&tree)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("fixed 0 findings in 0 files"));
}

const MANIFEST: &str = r#"# Frontend: owned by the web team.
# Keep this header.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web      # the name
  namespace: shop
  labels: {app: web, "tier": 'front'}
spec:
  replicas: 3

  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      hostPID: yes            # legacy, YAML 1.1 boolean
      containers:
        - name: web
          image: "registry.example.com/web:1.4"   # pinned below
          ports:
            - containerPort: 8080
          securityContext:
            privileged: true
            capabilities: {add: [NET_BIND_SERVICE]}
          args:
            - --listen=:8080   # trailing comment
          resources: {limits: {cpu: 500m, memory: 256Mi}, requests: {cpu: 100m, memory: 128Mi}}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
      # end of pod spec
---
# second document, untouched
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: "production"
"#;

#[test]
fn untouched_lines_and_comments_stay_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, MANIFEST).unwrap();

    // --dry-run prints a unified diff and writes nothing.
    let dry = kaegis()
        .args(["fix", "--no-config", "--dry-run"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(dry.status.code(), Some(0));
    let diff = String::from_utf8(dry.stdout).unwrap();
    assert!(diff.contains("+++ b/"), "{diff}");
    assert!(diff.contains("-            privileged: true"), "{diff}");
    assert!(diff.contains("+            privileged: false"), "{diff}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), MANIFEST);

    kaegis()
        .args(["fix", "--no-config"])
        .arg(&file)
        .assert()
        .code(0);
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert_ne!(fixed, MANIFEST);

    // Every original line is still there, in order, except the values the
    // fixes replaced, whose lines keep everything up to the value.
    let new_lines: Vec<&str> = fixed.lines().collect();
    let mut at = 0;
    let mut replaced = Vec::new();
    for line in MANIFEST.lines() {
        match new_lines[at..].iter().position(|l| *l == line) {
            Some(i) => at += i + 1,
            None => replaced.push(line),
        }
    }
    assert_eq!(
        replaced,
        [
            "      hostPID: yes            # legacy, YAML 1.1 boolean",
            "            privileged: true",
            "            capabilities: {add: [NET_BIND_SERVICE]}",
        ],
        "{fixed}"
    );
    assert!(fixed.contains("      hostPID: false            # legacy, YAML 1.1 boolean\n"));
    assert!(fixed.contains("            privileged: false\n"));
    // Comments, blank lines and the second document are byte-identical.
    for comment in MANIFEST
        .lines()
        .filter(|l| l.contains('#'))
        .filter(|l| !l.contains("hostPID"))
    {
        assert!(fixed.contains(comment), "lost: {comment}");
    }
    assert!(fixed.ends_with(MANIFEST.split("# end of pod spec\n").nth(1).unwrap()));
    // Added fields sit at the container's indentation, in the file's
    // sequence style, and the whole file still parses and scans.
    assert!(
        fixed.contains("            allowPrivilegeEscalation: false\n"),
        "{fixed}"
    );
    assert!(
        fixed.contains("            capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}\n"),
        "{fixed}"
    );
    assert!(
        fixed.contains(
            "          readinessProbe:\n            tcpSocket:\n              port: 8080\n"
        ),
        "{fixed}"
    );
    let after = scan_json(&file);
    assert!(after.iter().all(|f| f.get("autofix").is_none()));
}

#[test]
fn json_manifests_stay_json_and_image_pins_come_from_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pod.json");
    let digest = format!("sha256:{}", "ab".repeat(32));
    std::fs::write(
        &file,
        r#"{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "p", "namespace": "shop"},
  "spec": {
    "hostNetwork": true,
    "containers": [{"name": "app", "image": "registry.example.com/app:2.0", "securityContext": {}}]
  }
}
"#,
    )
    .unwrap();
    kaegis()
        .args(["fix", "--no-config", "--profile", "all", "--pin"])
        .arg(format!("registry.example.com/app:2.0={digest}"))
        .arg(&file)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&file).unwrap();
    let v: Value = serde_json::from_str(&text).expect("still JSON");
    assert_eq!(v["spec"]["hostNetwork"], false);
    assert_eq!(
        v["spec"]["containers"][0]["image"],
        format!("registry.example.com/app:2.0@{digest}")
    );
    assert_eq!(
        v["spec"]["containers"][0]["securityContext"]["privileged"],
        Value::Null
    );
    assert_eq!(
        v["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert!(text.starts_with("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n"));

    kaegis()
        .args(["fix", "--no-config", "--pin", "nginx=sha1:abc"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not a digest"));
}
