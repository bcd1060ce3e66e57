//! Issue 7's acceptance: kubeadm-style node trees — a control-plane node
//! and a worker, each as kubeadm leaves it ("default") and hardened as the
//! CIS Kubernetes Benchmark asks — built by the test from the files in
//! tests/fixtures/node-cis, audited by the real `kaegis node` with
//! `--format kube-bench-json`, and compared per CIS id: every result that
//! is not PASS is listed exactly, and everything else must pass.

#[path = "../../kaegis-node/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// Modes as kubeadm leaves them (its packages install the kubelet drop-in
/// and it writes the kubelet's config 0644), or as the benchmark asks.
fn modes(control_plane: bool, hardened: bool) -> Vec<(&'static str, u32)> {
    let loose = if hardened { 0o600 } else { 0o644 };
    let mut m = vec![
        ("/etc/kubernetes/kubelet.conf", 0o600),
        ("/etc/kubernetes/pki", 0o755),
        ("/etc/kubernetes/pki/ca.crt", 0o644),
        ("/var/lib/kubelet/config.yaml", loose),
        (
            "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
            loose,
        ),
    ];
    if control_plane {
        for f in [
            "/etc/kubernetes/manifests/kube-apiserver.yaml",
            "/etc/kubernetes/manifests/kube-controller-manager.yaml",
            "/etc/kubernetes/manifests/kube-scheduler.yaml",
            "/etc/kubernetes/manifests/etcd.yaml",
            "/etc/kubernetes/admin.conf",
            "/etc/kubernetes/super-admin.conf",
            "/etc/kubernetes/scheduler.conf",
            "/etc/kubernetes/controller-manager.conf",
            "/etc/kubernetes/pki/ca.key",
            "/etc/kubernetes/pki/sa.key",
            "/etc/kubernetes/pki/apiserver.key",
            "/etc/kubernetes/pki/etcd/ca.key",
        ] {
            m.push((f, 0o600));
        }
        m.push(("/var/lib/etcd", 0o700));
        m.push(("/etc/cni/net.d/10-flannel.conflist", loose));
    }
    m
}

/// Writes the tree's /etc/passwd and /etc/group: the files belong to whoever
/// runs the test, named root there; etcd is a user of its own. Returns
/// whether etcd's data directory could be given to it (only root may chown).
fn users(root: &Path, hardened: bool) -> bool {
    let uid = std::fs::metadata(root).unwrap();
    let (uid, gid) = {
        use std::os::unix::fs::MetadataExt as _;
        (uid.uid(), uid.gid())
    };
    std::fs::write(
        root.join("etc/passwd"),
        format!("root:x:{uid}:{gid}:root:/root:/bin/bash\netcd:x:4001:4001::/var/lib/etcd:/usr/sbin/nologin\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("etc/group"),
        format!("root:x:{gid}:\netcd:x:4001:\n"),
    )
    .unwrap();
    let data = root.join("var/lib/etcd");
    hardened && data.exists() && std::os::unix::fs::chown(&data, Some(4001), Some(4001)).is_ok()
}

fn chmod_keys(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            chmod_keys(&p);
        } else if p.extension().is_some_and(|x| x == "key") {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
}

/// `test_number` → status of every result.
fn audit(variant: &str) -> (BTreeMap<String, String>, bool) {
    let control_plane = variant.starts_with("control-plane");
    let hardened = variant.ends_with("hardened");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/node-cis")
        .join(variant);
    let tree = common::build_from(&dir, &modes(control_plane, hardened));
    // kubeadm writes every private key 0600.
    chmod_keys(&tree.path().join("etc/kubernetes/pki"));
    let etcd_owned = users(tree.path(), hardened);
    let out = Command::cargo_bin("kaegis")
        .unwrap()
        .current_dir(std::env::temp_dir())
        .args([
            "node",
            "--no-config",
            "--profile",
            "cis",
            "--format",
            "kube-bench-json",
            "--fail-on",
            "never",
            "--root",
        ])
        .arg(tree.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{variant}: {stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut statuses = BTreeMap::new();
    for c in v["Controls"].as_array().unwrap() {
        for t in c["tests"].as_array().unwrap() {
            for r in t["results"].as_array().unwrap() {
                statuses.insert(
                    r["test_number"].as_str().unwrap().to_owned(),
                    r["status"].as_str().unwrap().to_owned(),
                );
            }
        }
    }
    (statuses, etcd_owned)
}

/// The results that are not PASS; every other recommendation of the
/// controls read must pass, and there are `total` results in all.
fn expect(variant: &str, not_pass: &[(&str, &str)], total: usize) {
    let (statuses, etcd_owned) = audit(variant);
    let mut want: BTreeMap<String, String> = not_pass
        .iter()
        .map(|(id, s)| ((*id).to_owned(), (*s).to_owned()))
        .collect();
    // etcd's data directory can be given to etcd only when the test runs as
    // root; otherwise the hardened tree keeps it as its runner's.
    if variant.starts_with("control-plane") && !etcd_owned {
        want.insert("1.1.12".to_owned(), "FAIL".to_owned());
    }
    let got: BTreeMap<String, String> = statuses
        .iter()
        .filter(|(_, s)| *s != "PASS")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(got, want, "{variant}");
    assert_eq!(statuses.len(), total, "{variant}: {statuses:?}");
}

/// What kaegis cannot decide on these control-plane nodes: four manual
/// recommendations (2.7, 3.1.2, 3.1.3, 3.2.2), and kube-proxy's 4.3.1 (no
/// kube-proxy process runs there).
const UNDECIDED_CONTROL_PLANE: [(&str, &str); 5] = [
    ("2.7", "WARN"),
    ("3.1.2", "WARN"),
    ("3.1.3", "WARN"),
    ("3.2.2", "WARN"),
    ("4.3.1", "WARN"),
];

#[test]
fn kubeadm_control_plane_as_installed() {
    let mut not_pass = vec![
        ("1.1.9", "FAIL"),  // CNI config 0644
        ("1.1.12", "FAIL"), // etcd's data owned by root
        ("1.2.1", "FAIL"),  // anonymous auth on (default)
        ("1.2.3", "FAIL"),  // no DenyServiceExternalIPs
        ("1.2.5", "FAIL"),  // kubelets' certificates not verified
        ("1.2.9", "FAIL"),  // no EventRateLimit
        ("1.2.11", "FAIL"), // no AlwaysPullImages
        ("1.2.15", "FAIL"), // profiling on (default)
        ("1.2.16", "FAIL"), // no audit log
        ("1.2.27", "FAIL"), // no encryption at rest
        ("1.2.29", "FAIL"), // Go's default ciphers
        ("1.2.30", "FAIL"), // token expiry extension on (default)
        ("1.3.1", "FAIL"),  // terminated pod GC threshold not set
        ("1.3.2", "FAIL"),  // controller manager profiling on
        ("1.4.1", "FAIL"),  // scheduler profiling on
        ("3.1.1", "FAIL"),  // no external authentication
        ("3.2.1", "FAIL"),  // no audit policy
        ("4.1.1", "FAIL"),  // kubelet drop-in 0644
        ("4.1.9", "FAIL"),  // kubelet config 0644
        ("4.2.5", "FAIL"),  // streamingConnectionIdleTimeout: 0s
        ("4.2.9", "FAIL"),  // self-signed serving certificate
        ("4.2.11", "FAIL"), // not rotated either
        ("4.2.12", "FAIL"), // Go's default ciphers
        ("4.2.13", "FAIL"), // no pod PID limit
        ("4.2.14", "FAIL"), // seccomp not by default
        ("1.2.28", "WARN"), // no EncryptionConfiguration to judge
    ];
    not_pass.extend(UNDECIDED_CONTROL_PLANE);
    // Every recommendation of sections 1 to 4.
    expect("control-plane-default", &not_pass, 97);
}

#[test]
fn hardened_control_plane() {
    expect("control-plane-hardened", &UNDECIDED_CONTROL_PLANE, 97);
}

#[test]
fn kubeadm_worker_as_installed() {
    expect(
        "worker-default",
        &[
            ("4.1.1", "FAIL"),
            ("4.1.9", "FAIL"),
            ("4.2.5", "FAIL"),
            ("4.2.9", "FAIL"),
            ("4.2.11", "FAIL"),
            ("4.2.12", "FAIL"),
            ("4.2.13", "FAIL"),
            ("4.2.14", "FAIL"),
        ],
        25,
    );
}

#[test]
fn hardened_worker() {
    // Section 4 only: 4.1, 4.2 and kube-proxy's 4.3.1.
    expect("worker-hardened", &[], 25);
}
