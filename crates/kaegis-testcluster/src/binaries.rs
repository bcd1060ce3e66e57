//! Finding — and when they are missing, building — the control-plane
//! binaries: etcd, kube-apiserver, kubectl.
//!
//! They live in `$KAEGIS_K8S_BIN`, else `~/.cache/kaegis/k8s-bin`, where the
//! repository's `.ci/k8s-bins.sh` builds them from Go source modules (about
//! 8 minutes on 2 cores, once per machine; `.ci/run` does it before the
//! tests). This module runs that script only when a binary is missing; it
//! never rebuilds binaries that are there.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::StartError;

/// The binaries a cluster needs.
pub(crate) const NAMES: [&str; 3] = ["etcd", "kube-apiserver", "kubectl"];

/// One build at a time in this process (the script itself also takes a
/// file lock against other processes).
static BUILD: Mutex<()> = Mutex::new(());

/// The folder the binaries are looked up in.
pub(crate) fn folder() -> Result<PathBuf, StartError> {
    if let Some(dir) = std::env::var_os("KAEGIS_K8S_BIN").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".cache/kaegis/k8s-bin")),
        None => Err(StartError::Unavailable(
            "neither KAEGIS_K8S_BIN nor HOME is set: nowhere to look for etcd, kube-apiserver \
             and kubectl"
                .into(),
        )),
    }
}

fn missing(dir: &Path) -> Vec<&'static str> {
    NAMES
        .into_iter()
        .filter(|name| {
            !dir.join(name)
                .metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .collect()
}

/// The repository root, from this crate's manifest folder.
fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// The folder holding all three binaries, built by `.ci/k8s-bins.sh` first
/// if any is missing.
pub(crate) fn locate() -> Result<PathBuf, StartError> {
    let dir = folder()?;
    if missing(&dir).is_empty() {
        return Ok(dir);
    }
    let _one_build = BUILD
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let absent = missing(&dir);
    if absent.is_empty() {
        return Ok(dir);
    }
    let script = repo_root().join(".ci/k8s-bins.sh");
    if !script.is_file() {
        return Err(StartError::Unavailable(format!(
            "{} missing from {} and no build script at {}",
            absent.join(", "),
            dir.display(),
            script.display()
        )));
    }
    eprintln!(
        "kaegis-testcluster: {} missing from {}; building with {} (about 8 minutes on 2 cores, \
         once per machine)",
        absent.join(", "),
        dir.display(),
        script.display()
    );
    let output = Command::new("bash")
        .arg(&script)
        .env("KAEGIS_K8S_BIN", &dir)
        .output()
        .map_err(|e| {
            StartError::Unavailable(format!("cannot run bash {}: {e}", script.display()))
        })?;
    let still = missing(&dir);
    if output.status.success() && still.is_empty() {
        return Ok(dir);
    }
    let log = String::from_utf8_lossy(&output.stderr);
    Err(StartError::Unavailable(format!(
        "bash {} ({}) did not provide {} in {} (it needs Go, as recent as Kubernetes' go.mod \
         asks, and the Go module proxy); its last lines:\n{}",
        script.display(),
        output.status,
        still.join(", "),
        dir.display(),
        crate::last_lines(&log, 30)
    )))
}
