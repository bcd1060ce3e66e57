//! The real binary on real files.

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

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("valid JSON report")
}

#[test]
fn insecure_example_has_findings_and_hardened_is_clean() {
    kaegis()
        .args(["scan", "examples/insecure"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("KG103 privileged"))
        .stdout(predicate::str::contains("examples/insecure/jobs.yaml"));
    kaegis()
        .args(["scan", "examples/hardened"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no findings"));
}

#[test]
fn json_report_is_versioned_and_points_at_lines() {
    let out = kaegis()
        .args(["scan", "examples/insecure/jobs.yaml", "--format", "json"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    assert_eq!(v["schemaVersion"], "kaegis.dev/report/v1");
    let findings = v["findings"].as_array().unwrap();
    let privileged = findings
        .iter()
        .find(|f| f["check"]["slug"] == "privileged")
        .expect("privileged finding");
    assert_eq!(privileged["object"]["kind"], "DaemonSet");
    assert_eq!(privileged["location"]["document"], 1);
    assert_eq!(privileged["location"]["line"], 39);
    assert_eq!(privileged["location"]["column"], 11);
    assert_eq!(
        privileged["path"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(
        v["summary"]["findings"].as_u64().unwrap() as usize,
        findings.len()
    );
}

#[test]
fn profiles_select_levels() {
    let count = |profile: &str| {
        let out = kaegis()
            .args([
                "scan",
                "examples/insecure",
                "-f",
                "json",
                "--profile",
                profile,
            ])
            .output()
            .unwrap();
        let v = json_of(&out.stdout);
        let slugs: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["check"]["slug"].as_str().unwrap().to_owned())
            .collect();
        slugs
    };
    let baseline = count("pss-baseline");
    let restricted = count("pss-restricted");
    assert!(!baseline.iter().any(|s| s == "run-as-non-root"));
    assert!(restricted.iter().any(|s| s == "run-as-non-root"));
    assert!(restricted.len() > baseline.len());
}

#[test]
fn pss_version_changes_behaviour() {
    // host-probes exists from v1.34 only.
    let run = |v: &str| {
        let out = kaegis()
            .args([
                "scan",
                "examples/insecure/frontend.yaml",
                "-f",
                "json",
                "--pss-version",
                v,
            ])
            .output()
            .unwrap();
        json_of(&out.stdout)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["check"]["slug"] == "host-probes")
    };
    assert!(run("v1.34"));
    assert!(!run("v1.33"));
    kaegis()
        .args(["scan", "examples", "--pss-version", "v1.99"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("newer than the latest"));
}

#[test]
fn broken_yaml_is_reported_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("good.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostPID: true\n  containers: [{name: c, image: i}]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("workflow.yml"), "on: push\njobs: {}\n").unwrap();
    std::fs::write(dir.path().join("binary.yaml"), b"\x00\x01\x02garbage").unwrap();
    let assert = kaegis().arg("scan").arg(dir.path()).assert().code(2);
    let out = assert.get_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.yaml:5:1: invalid YAML"), "{stderr}");
    assert!(stderr.contains("binary.yaml: binary file"), "{stderr}");
    assert!(
        stderr.contains("note: ")
            && stderr.contains("workflow.yml: skipped: not a Kubernetes manifest"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("host-namespaces"), "{stdout}");
    assert!(stdout.contains("2 input errors"), "{stdout}");
}

#[test]
fn stdin_and_lists() {
    let list = r#"{"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},
         "spec": {"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]}}]}"#;
    let out = kaegis()
        .args(["scan", "-", "-f", "json"])
        .write_stdin(list)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v = json_of(&out);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check"]["slug"] == "privileged")
        .expect("privileged finding");
    assert_eq!(f["location"]["file"], "<stdin>");
    assert_eq!(f["location"]["line"], 3);
    assert_eq!(v["summary"]["objects"], 1);
}

#[test]
fn fail_on_threshold_and_exclude() {
    kaegis()
        .args(["scan", "examples/insecure", "--fail-on", "never"])
        .assert()
        .code(0);
    kaegis()
        .args([
            "scan",
            "examples/insecure/cache.yaml",
            "--fail-on",
            "critical",
        ])
        .assert()
        .code(0);
    kaegis()
        .args(["scan", "examples", "--exclude", "insecure/"])
        .assert()
        .code(0);
}

#[test]
fn checks_and_explain() {
    kaegis()
        .args(["checks"])
        .assert()
        .success()
        .stdout(predicate::str::contains("KG103").and(predicate::str::contains("privileged")));
    let out = kaegis()
        .args(["checks", "--format", "json", "--profile", "pss-baseline"])
        .output()
        .unwrap();
    let list = json_of(&out.stdout);
    // The baseline profile: the baseline controls, plus the checks that keep
    // findings honest (waivers, duplicate keys).
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|c| c["pss"]["level"] == "baseline" || c["area"] == "policy"),
        "{list}"
    );
    kaegis()
        .args(["explain", "KG103"])
        .assert()
        .success()
        .stdout(predicate::str::contains("## How to fix").and(predicate::str::contains("## Why")));
    kaegis()
        .args(["explain", "no-such-check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("kaegis checks"));
}

#[test]
fn the_catalog_is_large_documented_and_explained() {
    let out = kaegis()
        .args(["checks", "--format", "json", "--profile", "all"])
        .output()
        .unwrap();
    let list = json_of(&out.stdout);
    let list = list.as_array().unwrap();
    assert!(list.len() >= 80, "{} checks", list.len());
    let mut areas = std::collections::BTreeSet::new();
    for c in list {
        for key in ["code", "slug", "severity", "area", "references", "doc"] {
            assert!(!c[key].is_null(), "{key} missing in {c}");
        }
        assert!(!c["references"].as_array().unwrap().is_empty(), "{c}");
        let doc = c["doc"].as_str().unwrap();
        for section in ["## What", "## Why", "## How to fix"] {
            assert!(doc.contains(section), "{}: no {section}", c["slug"]);
        }
        areas.insert(c["area"].as_str().unwrap().to_owned());
        kaegis()
            .args(["explain", c["slug"].as_str().unwrap()])
            .assert()
            .success()
            .stdout(predicate::str::contains(c["code"].as_str().unwrap()));
    }
    for area in [
        "pod-security",
        "images",
        "secrets",
        "rbac",
        "network",
        "namespaces",
        "reliability",
        "storage",
        "admission",
        "policy",
    ] {
        assert!(areas.contains(area), "no check in area {area}");
    }
}

#[test]
fn insecure_example_trips_every_area_and_hardened_passes_everything() {
    let out = kaegis()
        .args([
            "scan",
            "examples/insecure",
            "-f",
            "json",
            "--profile",
            "all",
        ])
        .output()
        .unwrap();
    let v = json_of(&out.stdout);
    let areas: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"]["area"].as_str().unwrap())
        .collect();
    for area in [
        "pod-security",
        "images",
        "secrets",
        "rbac",
        "network",
        "namespaces",
        "reliability",
        "storage",
        "admission",
        "policy",
    ] {
        assert!(
            areas.contains(area),
            "insecure example trips no {area} check"
        );
    }
    kaegis()
        .args(["scan", "examples/hardened", "--profile", "all"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no findings"));
}

#[test]
fn the_cis_coverage_table_is_generated_and_current() {
    let out = kaegis()
        .args(["checks", "--format", "cis-coverage", "--no-config"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let committed =
        std::fs::read_to_string(repo().join("docs/cis-coverage.md")).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/cis-coverage.md is out of date: run `cargo run -- checks --format cis-coverage --no-config > docs/cis-coverage.md`"
    );
    assert!(generated.contains("Automated recommendations covered: **"));
}

#[test]
fn the_checks_reference_is_generated_and_current() {
    let out = kaegis()
        .args(["checks", "--format", "markdown", "--no-config"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(repo().join("docs/checks.md")).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/checks.md is out of date: run `cargo run -- checks --format markdown --no-config > docs/checks.md`"
    );
}

#[test]
fn output_file_is_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.txt");
    kaegis()
        .args(["scan", "examples/insecure", "-o"])
        .arg(&out)
        .assert()
        .code(1);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("KG103"));
    assert!(!text.contains('\u{1b}'), "ANSI codes in a file report");
}

#[test]
fn realworld_corpus_scans_without_input_errors() {
    let corpus = repo().join("../shared/corpus/realworld");
    assert!(corpus.is_dir(), "corpus not found at {}", corpus.display());
    let out = kaegis()
        .arg("scan")
        .arg(&corpus)
        .args(["-f", "json", "--quiet"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let v = json_of(&out.stdout);
    assert_eq!(v["summary"]["inputErrors"], 0, "{stderr}");
    assert!(v["summary"]["objects"].as_u64().unwrap() > 4500);
    assert!(v["summary"]["files"].as_u64().unwrap() >= 1842);
}

#[test]
fn tens_of_thousands_of_objects_in_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\nspec:\n  containers:\n  - name: c\n    image: i\n    securityContext: {privileged: true}\n";
    for f in 0..50 {
        let mut text = String::new();
        for i in 0..1000 {
            text.push_str("---\n");
            text.push_str(&pod.replace("{i}", &format!("{f}-{i}")));
        }
        std::fs::write(dir.path().join(format!("f{f}.yaml")), text).unwrap();
    }
    let out = kaegis()
        .arg("scan")
        .arg(dir.path())
        .args(["-f", "json", "--profile", "pss-baseline"])
        .output()
        .unwrap();
    let v = json_of(&out.stdout);
    assert_eq!(v["summary"]["objects"], 50_000);
    assert_eq!(v["summary"]["findings"], 50_000);
}
