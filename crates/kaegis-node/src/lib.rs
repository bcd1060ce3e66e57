//! kaegis-node: what runs on a Kubernetes node, as objects for the engine
//! (`kaegis node`, issue 7).
//!
//! The CIS Kubernetes Benchmark audits a node by its components' command
//! lines, their configuration files and the modes of their files. This
//! crate reads all of them under a root directory ([`collect`]; `/` on the
//! node itself, a mounted node filesystem, or a test's fixture tree) and
//! turns them into ordinary [`kaegis_core::Object`]s of the kinds of
//! `node.kaegis.dev/v1`, so node checks are catalog checks like any other:
//!
//! - one object per component found — `KubeAPIServer`,
//!   `KubeControllerManager`, `KubeScheduler`, `Etcd`, `Kubelet`,
//!   `KubeProxy` — with `spec.flags` resolved as the component resolves
//!   them ([`components`], [`flags`]), and for the kubelet its effective
//!   `KubeletConfiguration` ([`kubelet`]);
//! - one `NodeFile` per file the benchmark looks at ([`files`]);
//! - the API server's `EncryptionConfiguration` and audit `Policy`, loaded
//!   as the real kinds they are, with file positions.
//!
//! What cannot be read is a diagnostic (`could not check: …`), never a
//! silent pass. This crate depends on kaegis-core and kaegis-inputs only:
//! it never runs checks, reports, or talks to a cluster.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod components;
pub mod files;
pub mod flags;
pub mod kubelet;
pub mod root;

use std::path::Path;
use std::sync::Arc;

use kaegis_core::{Diagnostic, DiagnosticLevel, Node, Object, Origin};

use components::Component;
use files::FileList;
use root::{NodeRoot, reason};

/// The `apiVersion` of kaegis's node kinds.
pub const API_VERSION: &str = "node.kaegis.dev/v1";

/// The static pod manifests' folder (kubeadm's).
pub const MANIFESTS: &str = "/etc/kubernetes/manifests";

/// What a node holds.
#[derive(Debug, Default)]
pub struct Collected {
    /// Component, file, encryption and audit policy objects.
    pub objects: Vec<Object>,
    /// What could not be read, and notes (which components were found).
    pub diagnostics: Vec<Diagnostic>,
    /// The components found and how (`kube-apiserver (pid 1234)`).
    pub components: Vec<String>,
    /// The texts of the files objects with positions came from (the static
    /// pod manifests, the encryption and audit policy files), by node
    /// path, for the source lines reports show.
    pub texts: Vec<(Arc<Path>, Arc<str>)>,
    /// False when the root holds no component and none of the files
    /// looked for: probably not a node (or the wrong `--root`).
    pub found_anything: bool,
}

/// Reads the node whose `/` is `dir`.
pub fn collect(dir: &Path) -> Collected {
    let root = NodeRoot::new(dir);
    let mut out = Collected::default();
    let diags = &mut out.diagnostics;
    let procs = components::processes(&root, diags);
    let mans = components::manifests(&root, MANIFESTS, diags, &mut out.texts);
    let found = components::combine(procs, mans);

    let mut built = Vec::new();
    for f in &found {
        if let Some(b) = components::object(f, &root, diags) {
            built.push((f, b));
        }
    }
    let flag = |c: Component, name: &str| -> Option<String> {
        built
            .iter()
            .find(|(f, _)| f.component == c)
            .and_then(|(_, b)| b.flags.get(name))
            .map(|v| v.value.clone())
            .filter(|v| !v.is_empty())
    };
    let found_of = |c: Component| found.iter().find(|f| f.component == c);

    let mut list = FileList::default();
    for (c, role) in [
        (Component::ApiServer, "apiserver-manifest"),
        (Component::ControllerManager, "controller-manager-manifest"),
        (Component::Scheduler, "scheduler-manifest"),
        (Component::Etcd, "etcd-manifest"),
    ] {
        let path = found_of(c)
            .and_then(|f| f.manifest.clone())
            .unwrap_or_else(|| format!("{MANIFESTS}/{}.yaml", c.binary()));
        list.add(&path, role);
    }
    // etcd's own default is `${name}.etcd` in its working folder; kubeadm
    // (and the benchmark) use /var/lib/etcd.
    list.add(
        &flag(Component::Etcd, "data-dir").unwrap_or_else(|| "/var/lib/etcd".into()),
        "etcd-data-dir",
    );
    list.add("/etc/kubernetes/admin.conf", "admin-kubeconfig");
    list.add("/etc/kubernetes/super-admin.conf", "super-admin-kubeconfig");
    list.add(
        &flag(Component::Scheduler, "kubeconfig")
            .unwrap_or_else(|| "/etc/kubernetes/scheduler.conf".into()),
        "scheduler-kubeconfig",
    );
    list.add(
        &flag(Component::ControllerManager, "kubeconfig")
            .unwrap_or_else(|| "/etc/kubernetes/controller-manager.conf".into()),
        "controller-manager-kubeconfig",
    );
    let units = [
        "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
        "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf",
    ];
    let present: Vec<&str> = units
        .iter()
        .copied()
        .filter(|u| root.host_path(u).exists())
        .collect();
    for u in if present.is_empty() {
        &units[..1]
    } else {
        &present[..]
    } {
        list.add(u, "kubelet-service");
    }
    list.add(
        &flag(Component::Kubelet, "kubeconfig")
            .unwrap_or_else(|| "/etc/kubernetes/kubelet.conf".into()),
        "kubelet-kubeconfig",
    );
    let kubelet = built
        .iter()
        .find(|(f, _)| f.component == Component::Kubelet)
        .and_then(|(_, b)| b.kubelet.as_ref());
    match (
        found_of(Component::Kubelet),
        kubelet.and_then(|k| k.config_file.as_ref()),
    ) {
        (_, Some(config)) => list.add(config, "kubelet-config"),
        // No kubelet running: where kubeadm puts its configuration.
        (None, None) => list.add("/var/lib/kubelet/config.yaml", "kubelet-config"),
        (Some(_), None) => {}
    }
    let client_ca = kubelet
        .and_then(|k| k.config.as_ref())
        .and_then(|c| c.pointer("/authentication/x509/clientCAFile"))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .or_else(|| flag(Component::Kubelet, "client-ca-file"))
        .filter(|p| !p.is_empty());
    if let Some(ca) = client_ca {
        list.add(&ca, "kubelet-ca");
    }
    if let Some(kc) = flag(Component::Proxy, "kubeconfig") {
        list.add(&kc, "proxy-kubeconfig");
    }
    let encryption = flag(Component::ApiServer, "encryption-provider-config");
    let audit = flag(Component::ApiServer, "audit-policy-file");
    if let Some(p) = &encryption {
        list.add(p, "encryption-config");
    }
    if let Some(p) = &audit {
        list.add(p, "audit-policy");
    }
    list.add("/etc/kubernetes/pki", "pki-dir");
    for p in files::find_under(&root, "/etc/kubernetes/pki", &[".crt"], diags) {
        list.add(&p, "pki-cert");
    }
    for p in files::find_under(&root, "/etc/kubernetes/pki", &[".key"], diags) {
        list.add(&p, "pki-key");
    }
    for p in files::find_under(
        &root,
        "/etc/cni/net.d",
        &[".conf", ".conflist", ".json"],
        diags,
    ) {
        list.add(&p, "cni-config");
    }

    let file_objects = list.objects(&root, diags);
    let any_file = file_objects
        .iter()
        .any(|o| o.root.get_path(&["spec", "exists"]).and_then(Node::as_bool) == Some(true));

    for (f, _) in &built {
        out.components.push(match &f.source {
            components::Source::Process { pid } => {
                format!("{} (pid {pid})", f.component.binary())
            }
            components::Source::Manifest { path, .. } => {
                format!("{} (manifest {path}, not running)", f.component.binary())
            }
        });
    }
    out.found_anything = !built.is_empty() || any_file;
    let absent: Vec<&str> = Component::ALL
        .iter()
        .filter(|c| !found.iter().any(|f| f.component == **c))
        .map(|c| c.binary())
        .collect();
    let mut summary = if out.components.is_empty() {
        "no Kubernetes component found (no process, no static pod manifest)".to_owned()
    } else {
        format!("components found: {}", out.components.join(", "))
    };
    if !absent.is_empty() && !out.components.is_empty() {
        summary.push_str(&format!("; not on this node: {}", absent.join(", ")));
    }
    out.diagnostics
        .push(note(&root.dir().display().to_string(), summary));

    out.objects.extend(built.into_iter().map(|(_, b)| b.object));
    out.objects.extend(file_objects);
    for path in [encryption, audit].into_iter().flatten() {
        load_policy(&root, &path, &mut out);
    }
    out
}

/// Loads a configuration file the API server reads (EncryptionConfiguration,
/// audit Policy) as ordinary objects, with positions.
fn load_policy(root: &NodeRoot, path: &str, out: &mut Collected) {
    let bytes = match root.read(path) {
        Ok(b) => b,
        Err(e) => {
            out.diagnostics.push(could_not_check(path, &reason(&e)));
            return;
        }
    };
    let name: Arc<Path> = Arc::from(Path::new(path));
    let loaded = kaegis_inputs::load(
        Arc::clone(&name),
        &bytes,
        kaegis_inputs::Syntax::for_path(Path::new(path)),
    );
    let mut failed = false;
    for d in loaded.diagnostics {
        if d.level == DiagnosticLevel::Error {
            failed = true;
        }
        out.diagnostics.push(Diagnostic {
            message: format!("could not check: {}", d.message),
            level: DiagnosticLevel::Error,
            ..d
        });
    }
    if loaded.objects.is_empty() && !failed {
        out.diagnostics.push(could_not_check(
            path,
            "no object with apiVersion and kind in it",
        ));
    }
    if let Ok(text) = kaegis_inputs::load::decode(&bytes) {
        out.texts.push((name, Arc::from(text)));
    }
    out.objects.extend(loaded.objects);
}

/// An object from JSON built here (`None` only without apiVersion/kind,
/// which every caller sets).
pub(crate) fn object(v: &serde_json::Value, origin: Origin) -> Option<Object> {
    kaegis_inputs::json::object_from_value(v, origin)
}

/// "could not check: REASON" about `path`, an input error.
pub fn could_not_check(path: &str, why: &str) -> Diagnostic {
    Diagnostic {
        level: DiagnosticLevel::Error,
        file: Arc::from(Path::new(path)),
        pos: None,
        message: format!("could not check: {why}"),
    }
}

/// A note about `about` (a path or a component).
pub fn note(about: &str, message: String) -> Diagnostic {
    Diagnostic {
        level: DiagnosticLevel::Note,
        file: Arc::from(Path::new(about)),
        pos: None,
        message,
    }
}
