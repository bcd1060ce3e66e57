//! `kaegis node` on fixture node trees (kaegis-node's fixtures, built the
//! same way): the real binary, JSON out.

#[path = "../../kaegis-node/tests/common/mod.rs"]
mod common;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn node(root: &std::path::Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("kaegis")
        .unwrap()
        .current_dir(std::env::temp_dir())
        .args(["node", "--no-config", "--profile", "all", "--root"])
        .arg(root)
        .args(extra)
        .assert()
}

fn report(a: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_slice(&a.get_output().stdout).expect("a JSON report")
}

fn messages(r: &Value) -> Vec<String> {
    r["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn control_plane_json() {
    let t = common::build("control-plane", common::CONTROL_PLANE_MODES);
    let a = node(t.path(), &["--format", "json", "--fail-on", "never"]).code(0);
    let r = report(&a);
    assert_eq!(r["summary"]["inputErrors"], 0);
    // 5 components, 24 files, the EncryptionConfiguration and the Policy.
    assert_eq!(r["summary"]["objects"], 31, "{r:#}");
    assert!(
        messages(&r)
            .iter()
            .any(|m| m.starts_with("components found: kube-apiserver (manifest /etc/kubernetes/manifests/kube-apiserver.yaml, not running)")),
        "{r:#}"
    );
    // Findings on the manifest point into it by node path.
    for f in r["findings"].as_array().unwrap() {
        if f["object"]["kind"] == "KubeAPIServer" {
            assert_eq!(
                f["location"]["file"],
                "/etc/kubernetes/manifests/kube-apiserver.yaml"
            );
        }
    }
}

/// The HTML report's excerpts of a node's files come from the files read
/// under --root (named as on the node), with their context lines.
#[test]
fn control_plane_html_excerpts_come_from_the_node() {
    let t = common::build("control-plane", common::CONTROL_PLANE_MODES);
    let dir = tempfile::tempdir().unwrap();
    let html_path = dir.path().join("node.html");
    node(
        t.path(),
        &[
            "--format",
            &format!("html={}", html_path.display()),
            "--fail-on",
            "never",
        ],
    )
    .code(0);
    let html = std::fs::read_to_string(&html_path).unwrap();
    // The authorization-mode finding's line, and a neighbour no finding
    // points at.
    assert!(html.contains("--authorization-mode=AlwaysAllow,Node,RBAC"));
    assert!(html.contains("--etcd-servers=https://127.0.0.1:2379"));
}

#[test]
fn worker_terminal_notes_components() {
    let t = common::build("worker", common::WORKER_MODES);
    node(t.path(), &["--fail-on", "never"])
        .code(0)
        .stderr(predicate::str::contains(
            "components found: kubelet (pid 900), kube-proxy (pid 950); not on this node: kube-apiserver",
        ));
}

#[test]
fn malformed_config_is_an_input_error() {
    let t = common::build("control-plane", common::CONTROL_PLANE_MODES);
    std::fs::write(
        t.path().join("var/lib/kubelet/config.yaml"),
        "kind: KubeletConfiguration\nauthorization: [\n",
    )
    .unwrap();
    let a = node(t.path(), &["--format", "json", "--fail-on", "never"]).code(2);
    let r = report(&a);
    assert_eq!(r["summary"]["inputErrors"], 1);
    assert!(
        messages(&r)
            .iter()
            .any(|m| m.starts_with("could not check: invalid YAML")),
        "{r:#}"
    );
}

#[test]
fn nothing_found_exits_2() {
    let t = tempfile::tempdir().unwrap();
    node(t.path(), &[])
        .code(2)
        .stderr(predicate::str::contains("nothing to audit under"));
    node(&t.path().join("missing"), &[])
        .code(2)
        .stderr(predicate::str::contains("not a folder"));
}
