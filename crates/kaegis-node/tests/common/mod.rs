//! Fixture node trees for tests: the files of `tests/fixtures/<name>`
//! copied into a temporary folder, `/proc/<pid>/cmdline.txt` and
//! `environ.txt` (one item a line, readable in the repository) written as
//! the NUL-separated `cmdline` and `environ` the kernel shows, and file
//! modes set here (git keeps no modes but the executable bit).
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// The fixture folder of kaegis-node (this module is shared by the CLI's
/// tests too, whose manifest folder is another one).
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../kaegis-node/tests/fixtures")
}

/// A copy of fixture tree `name` (`control-plane`, `worker`) with modes set
/// by `modes` (node path, octal mode).
pub fn build(name: &str, modes: &[(&str, u32)]) -> tempfile::TempDir {
    build_from(&fixtures().join(name), modes)
}

/// [`build`] from any folder laid out like the fixtures.
pub fn build_from(dir: &Path, modes: &[(&str, u32)]) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("temp dir");
    copy(dir, t.path());
    for (path, mode) in modes {
        let p = t.path().join(path.trim_start_matches('/'));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*mode))
            .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
    }
    t
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for src in entries {
        let name = src
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if src.is_dir() {
            copy(&src, &to.join(&name));
            continue;
        }
        let bytes = std::fs::read(&src).expect("read fixture");
        match name.as_str() {
            "cmdline.txt" | "environ.txt" => {
                let text = String::from_utf8(bytes).expect("utf-8");
                let mut nul = String::new();
                for line in text.lines() {
                    nul.push_str(line);
                    nul.push('\0');
                }
                std::fs::write(to.join(name.trim_end_matches(".txt")), nul).expect("write");
            }
            _ => std::fs::write(to.join(&name), bytes).expect("write"),
        }
    }
}

/// The modes of a hardened kubeadm control plane, with two deliberate
/// departures: scheduler.conf 0644 and the apiserver key 0644.
pub const CONTROL_PLANE_MODES: &[(&str, u32)] = &[
    ("/etc/kubernetes/manifests/kube-apiserver.yaml", 0o600),
    (
        "/etc/kubernetes/manifests/kube-controller-manager.yaml",
        0o600,
    ),
    ("/etc/kubernetes/manifests/kube-scheduler.yaml", 0o600),
    ("/etc/kubernetes/manifests/etcd.yaml", 0o600),
    ("/etc/kubernetes/admin.conf", 0o600),
    ("/etc/kubernetes/scheduler.conf", 0o644),
    ("/etc/kubernetes/controller-manager.conf", 0o600),
    ("/etc/kubernetes/kubelet.conf", 0o600),
    ("/etc/kubernetes/pki", 0o755),
    ("/etc/kubernetes/pki/ca.crt", 0o644),
    ("/etc/kubernetes/pki/ca.key", 0o600),
    ("/etc/kubernetes/pki/apiserver.crt", 0o644),
    ("/etc/kubernetes/pki/apiserver.key", 0o644),
    ("/etc/kubernetes/pki/etcd/ca.crt", 0o644),
    ("/etc/kubernetes/pki/etcd/ca.key", 0o600),
    ("/etc/kubernetes/pki/etcd/server.crt", 0o644),
    ("/etc/kubernetes/pki/etcd/server.key", 0o600),
    ("/etc/kubernetes/enc/encryption.yaml", 0o600),
    ("/etc/kubernetes/audit/policy.yaml", 0o600),
    ("/var/lib/etcd", 0o700),
    ("/var/lib/kubelet/config.yaml", 0o644),
    (
        "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
        0o644,
    ),
    ("/etc/cni/net.d/10-flannel.conflist", 0o644),
];

/// The worker's modes.
pub const WORKER_MODES: &[(&str, u32)] = &[
    ("/etc/kubernetes/kubelet.conf", 0o600),
    ("/etc/kubernetes/pki/ca.crt", 0o644),
];
