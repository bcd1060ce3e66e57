//! KG303: Mounts of Secret volumes should say `readOnly: true`.
use kaegis_core::{Area, Context, Fix, Node, Object, PodSpecView, Severity, Violation};
use serde_json::json;

use crate::macros::declare_check;
use crate::refs::{k8s, mitre};

declare_check! {
    /// ## What
    /// Fires for every `volumeMounts[]` entry of any container (init,
    /// regular, ephemeral) that mounts a Secret volume — a `secret` volume,
    /// or a `projected` volume with at least one `secret` source — without
    /// `readOnly: true` (the field missing, or `false`). Mounts of other
    /// volumes, including the projected service account token volume that
    /// Kubernetes adds to every pod, are not reported.
    ///
    /// In the `all` profile only: since Kubernetes 1.10 (the fix for
    /// CVE-2017-1002102) the kubelet mounts `secret`, `configMap`,
    /// `downwardAPI` and `projected` volumes read-only whatever the mount
    /// says, `subPath` mounts included, so a missing flag is not by itself
    /// a weakness on a current kubelet.
    ///
    /// ## Why
    /// The explicit flag still matters, a little: it states the intent in
    /// the manifest a reviewer reads (a mount that looks writable invites a
    /// change that writes to it, and a later refactor that moves the data
    /// to another volume type keeps the protection), it does not depend on
    /// a kubelet behaviour that other runtimes and node agents (virtual
    /// kubelets, older or patched nodes) may not share, and tools that
    /// reason about a pod's writable paths see the truth in the spec.
    ///
    /// ## How to fix
    /// ```yaml
    /// volumeMounts:
    /// - name: tls
    ///   mountPath: /etc/tls
    ///   readOnly: true
    /// ```
    pub struct SecretVolumeReadOnly {
        code: "KG303",
        slug: "secret-volume-read-only",
        title: "Mount Secret volumes with readOnly: true",
        severity: Severity::Low,
        area: Area::Secrets,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: &[],
        references: &[
            k8s("CVE-2017-1002102: atomic writer volumes are read-only", "https://github.com/kubernetes/kubernetes/issues/60814"),
            k8s("Secrets as files: readOnly volume mounts", "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod"),
            mitre("T1565 Data Manipulation"),
        ],
    }
}

/// True for a `secret` volume or a `projected` volume with a `secret` source.
pub(crate) fn is_secret_volume(vol: &Node) -> bool {
    vol.get("secret").is_some_and(Node::is_map)
        || vol.get_path(&["projected", "sources"]).is_some_and(|s| {
            s.items()
                .iter()
                .any(|src| src.get("secret").is_some_and(Node::is_map))
        })
}

impl SecretVolumeReadOnly {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        let secret_volumes: Vec<&str> = pod
            .volumes()
            .iter()
            .filter(|v| is_secret_volume(v))
            .filter_map(|v| v.get("name").and_then(Node::as_str))
            .collect();
        if secret_volumes.is_empty() {
            return;
        }
        for c in pod.containers() {
            let Some(mounts) = c.node.get("volumeMounts") else {
                continue;
            };
            for (i, m) in mounts.items().iter().enumerate() {
                let Some(name) = m.get("name").and_then(Node::as_str) else {
                    continue;
                };
                if !secret_volumes.contains(&name) {
                    continue;
                }
                let read_only = m.get("readOnly").and_then(Node::as_bool);
                if read_only == Some(true) {
                    continue;
                }
                let at = m.get("mountPath").and_then(Node::as_str).unwrap_or("");
                let how = if read_only == Some(false) {
                    "with readOnly: false"
                } else {
                    "without readOnly: true"
                };
                let path = c.path().key("volumeMounts").index(i).key("readOnly");
                out.push(
                    Violation::new(
                        path.clone(),
                        format!(
                            "{} mounts Secret volume \"{name}\" at {at} {how}",
                            c.describe()
                        ),
                    )
                    .with_fix(Fix::set(
                        path,
                        json!(true),
                        "mount the Secret readOnly: true",
                    )),
                );
            }
        }
    }
}
