//! `NodeFile` objects: the permissions and ownership of the files the CIS
//! Kubernetes Benchmark (sections 1.1 and 4.1) looks at.
//!
//! ```yaml
//! apiVersion: node.kaegis.dev/v1
//! kind: NodeFile
//! metadata: {name: /etc/kubernetes/manifests/kube-apiserver.yaml}
//! spec: {path: …, role: apiserver-manifest, roles: [apiserver-manifest],
//!        exists: true, type: file, mode: "0600", uid: 0, gid: 0,
//!        user: root, group: root}
//! ```
//!
//! One object per path. A path with several roles (the kubelet's client CA
//! is also a certificate of `/etc/kubernetes/pki`) keeps the first role
//! found in `role` — the specific ones are added before the directory scans
//! — and all of them in `roles`.

use std::os::unix::fs::MetadataExt as _;
use std::sync::Arc;

use kaegis_core::{Diagnostic, Object, Origin};
use serde_json::{Value, json};

use crate::API_VERSION;
use crate::root::{NodeRoot, reason};

/// The files to describe, in the order found, one entry per path.
#[derive(Debug, Default)]
pub struct FileList {
    entries: Vec<(String, Vec<&'static str>)>,
}

impl FileList {
    /// Adds `path` with `role` (a second role of a path already listed is
    /// added to its roles).
    pub fn add(&mut self, path: &str, role: &'static str) {
        match self.entries.iter_mut().find(|(p, _)| p == path) {
            Some((_, roles)) if !roles.contains(&role) => roles.push(role),
            Some(_) => {}
            None => self.entries.push((path.to_owned(), vec![role])),
        }
    }

    /// The paths listed so far.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(p, _)| p.as_str())
    }

    /// One `NodeFile` per path; what cannot be looked at is a diagnostic.
    pub fn objects(&self, root: &NodeRoot, diagnostics: &mut Vec<Diagnostic>) -> Vec<Object> {
        self.entries
            .iter()
            .filter_map(|(path, roles)| match describe(root, path, roles) {
                Ok(v) => crate::object(&v, Origin::Other(Arc::from(path.as_str()))),
                Err(e) => {
                    diagnostics.push(crate::could_not_check(path, &e));
                    None
                }
            })
            .collect()
    }
}

/// The `NodeFile` of one path: `exists: false` when it is not there; an
/// error for anything else `stat` refuses.
fn describe(root: &NodeRoot, path: &str, roles: &[&'static str]) -> Result<Value, String> {
    let mut spec = json!({
        "path": path,
        "role": roles.first().copied().unwrap_or_default(),
        "roles": roles,
    });
    // Like `stat -c %a` in the benchmark's audits: links are followed.
    match std::fs::metadata(root.host_path(path)) {
        Ok(m) => {
            let ft = m.file_type();
            let kind = if ft.is_file() {
                "file"
            } else if ft.is_dir() {
                "directory"
            } else {
                "other"
            };
            let extra = json!({
                "exists": true,
                "type": kind,
                "mode": format!("{:04o}", m.mode() & 0o7777),
                "uid": m.uid(),
                "gid": m.gid(),
                "user": root.user(m.uid()),
                "group": root.group(m.gid()),
            });
            merge_into(&mut spec, extra);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            merge_into(&mut spec, json!({"exists": false}));
        }
        Err(e) => return Err(reason(&e)),
    }
    Ok(json!({
        "apiVersion": API_VERSION,
        "kind": "NodeFile",
        "metadata": {"name": path},
        "spec": spec,
    }))
}

fn merge_into(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

/// Every file under `dir` (recursively, sorted) whose name ends with one
/// of `suffixes`; unreadable directories are diagnostics.
pub fn find_under(
    root: &NodeRoot,
    dir: &str,
    suffixes: &[&str],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        match root.list(&d) {
            Ok(entries) => {
                for e in entries.into_iter().rev() {
                    let host = root.host_path(&e);
                    if host.is_dir() {
                        stack.push(e);
                    } else if suffixes.iter().any(|s| e.ends_with(s)) {
                        out.push(e);
                    }
                }
            }
            Err(e) => diagnostics.push(crate::could_not_check(&d, &reason(&e))),
        }
    }
    out.sort();
    out
}
