//! Reports for pipelines: several formats in one scan, Markdown for pull
//! requests, PolicyReports, and baselines that survive moved lines.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kaegis() -> Command {
    let mut c = Command::cargo_bin("kaegis").unwrap();
    c.current_dir(repo());
    c
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: NAME
  namespace: web
spec:
  containers:
  - name: app
    image: registry.example.com/app:1.0
    securityContext:
      privileged: true
";

#[test]
fn a_baseline_reports_only_what_is_new_even_when_lines_move() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    let a = POD.replace("NAME", "a");
    let b = POD.replace("NAME", "b");
    std::fs::write(tree.join("pods.yaml"), format!("{a}---\n{b}")).unwrap();
    let scan = |extra: &[&str]| {
        let out = kaegis()
            .arg("scan")
            .arg(&tree)
            .args(["--profile", "pss-baseline", "--no-config", "-f", "json"])
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, serde_json::to_vec(&scan(&[])).unwrap()).unwrap();

    // Every object moves down ten lines, and one insecure object (one
    // finding: it shares the host's PID namespace) arrives.
    let padding = "# moved\n".repeat(10);
    let c = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: c\n  namespace: web\nspec:\n  hostPID: true\n  containers:\n  - name: app\n    image: registry.example.com/app:1.0\n";
    std::fs::write(
        tree.join("pods.yaml"),
        format!("{padding}{a}---\n{padding}{b}---\n{c}"),
    )
    .unwrap();
    let v = scan(&["--baseline", &baseline.display().to_string()]);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v}");
    assert_eq!(findings[0]["check"]["slug"], "host-namespaces");
    assert_eq!(findings[0]["object"]["name"], "c");
    assert_eq!(v["summary"]["baselined"], 2);
    // Without the baseline, the old findings are all still there.
    assert_eq!(scan(&[])["summary"]["findings"], 3);

    kaegis()
        .arg("scan")
        .arg(&tree)
        .args(["--baseline", "no-such-baseline.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-baseline.json"));
}

#[test]
fn several_formats_in_one_scan() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let md = dir.path().join("pr.md");
    let out = kaegis()
        .args(["scan", "examples/insecure", "--no-config", "-f", "json"])
        .arg("-f")
        .arg(format!("sarif={}", sarif.display()))
        .arg("--format")
        .arg(format!("markdown={}", md.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sarif: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let n = json["summary"]["findings"].as_u64().unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len() as u64,
        n
    );
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.starts_with(&format!("### kaegis: {n} findings")), "{md}");
    assert!(
        md.contains("<details><summary><code>examples/insecure/jobs.yaml</code>"),
        "{md}"
    );

    kaegis()
        .args(["scan", "examples", "-f", "json", "-f", "sarif"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only one --format"));
    kaegis()
        .args(["scan", "examples", "-f", "yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown format"));
}

#[test]
fn policy_reports_one_per_namespace() {
    let out = kaegis()
        .args([
            "scan",
            "examples/insecure",
            "--no-config",
            "-f",
            "policyreport",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "List");
    let items = v["items"].as_array().unwrap();
    let mut total = 0;
    let mut namespaces = Vec::new();
    for item in items {
        assert_eq!(item["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        let kind = item["kind"].as_str().unwrap();
        assert!(kind == "PolicyReport" || kind == "ClusterPolicyReport");
        assert_eq!(
            item["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "kaegis"
        );
        let results = item["results"].as_array().unwrap();
        assert_eq!(
            item["summary"]["fail"].as_u64().unwrap() as usize,
            results.len()
        );
        for r in results {
            assert_eq!(r["result"], "fail");
            assert_eq!(r["source"], "kaegis");
            assert!(
                ["critical", "high", "medium", "low", "info"]
                    .contains(&r["severity"].as_str().unwrap())
            );
            assert!(r["timestamp"]["seconds"].as_u64().unwrap() > 0);
            let res = &r["resources"][0];
            assert!(res["kind"].is_string() && res["name"].is_string());
            if kind == "PolicyReport" {
                assert_eq!(res["namespace"], item["metadata"]["namespace"]);
            } else {
                assert!(item["metadata"]["namespace"].is_null());
            }
        }
        total += results.len();
        namespaces.push(item["metadata"]["namespace"].as_str().map(str::to_owned));
    }
    assert_eq!(
        namespaces,
        [
            Some("kube-system".to_owned()),
            Some("shop".to_owned()),
            None
        ]
    );
    let json = kaegis()
        .args(["scan", "examples/insecure", "--no-config", "-f", "json"])
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(j["summary"]["findings"].as_u64().unwrap() as usize, total);
}

/// `--format kube-bench-json`: kube-bench's shape, one result per CIS
/// recommendation of the controls whose components were read, judged from
/// the checks that implement it.
#[test]
fn kube_bench_json_maps_results_to_cis_ids() {
    let out = kaegis()
        .args([
            "scan",
            "--no-config",
            "--profile",
            "cis",
            "--format",
            "kube-bench-json",
            "crates/kaegis-checks/fixtures/kubelet-read-only-port/fail.yaml",
            "crates/kaegis-checks/fixtures/etcd-peer-tls/fail.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let controls = v["Controls"].as_array().unwrap();
    // An etcd and a kubelet were read: no API server, so no sections 1 and 3.
    let ids: Vec<&str> = controls.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["2", "4"]);
    let mut statuses = std::collections::BTreeMap::new();
    for c in controls {
        for t in c["tests"].as_array().unwrap() {
            for r in t["results"].as_array().unwrap() {
                statuses.insert(
                    r["test_number"].as_str().unwrap().to_owned(),
                    r["status"].as_str().unwrap().to_owned(),
                );
            }
        }
    }
    let not_pass: Vec<(String, &str)> = statuses
        .iter()
        .filter(|(_, s)| *s != "PASS")
        .map(|(k, s)| (k.clone(), s.as_str()))
        .collect();
    let mut want: Vec<(String, &str)> = vec![("2.4".into(), "FAIL"), ("2.7".into(), "WARN")];
    // No file was read: nothing for 4.1 to judge.
    want.extend((1..=10).map(|i| (format!("4.1.{i}"), "WARN")));
    want.extend([("4.2.4".into(), "FAIL"), ("4.3.1".into(), "WARN")]);
    want.sort();
    assert_eq!(not_pass, want);
    // Every other etcd and kubelet recommendation passed; the files (4.1)
    // and kube-proxy (4.3.1) were not read: WARN, nothing to judge.
    assert_eq!(statuses.len(), 7 + 10 + 14 + 1);
    assert_eq!(v["Totals"]["total_fail"], 2);
    assert_eq!(v["Totals"]["total_warn"], 12);
    assert_eq!(v["Totals"]["total_pass"], 18);
    // The failing result says what was found and how to fix it.
    let kubelet = &controls[1]["tests"];
    let r = kubelet
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["results"].as_array().unwrap())
        .find(|r| r["test_number"] == "4.2.4")
        .unwrap();
    assert!(
        r["actual_value"]
            .as_str()
            .unwrap()
            .contains("read-only API")
    );
    assert!(
        r["remediation"]
            .as_str()
            .unwrap()
            .contains("readOnlyPort: 0")
    );
    // 4.2.4 is a Manual recommendation: not scored.
    assert_eq!(r["scored"], false);
}
