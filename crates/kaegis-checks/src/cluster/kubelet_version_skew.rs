//! KG952: Kubelets must be within the supported skew of the control plane.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Scope, Severity, Violation};

use super::versions::Version;
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s};

/// How many minors a kubelet may trail kube-apiserver (since 1.28).
const MAX_KUBELET_LAG: u64 = 3;

declare_check! {
    /// ## What
    /// Fires for a Node whose kubelet (`status.nodeInfo.kubeletVersion`) is
    /// newer than the API server, or more than three minor versions older —
    /// the version skew Kubernetes supports since 1.28. The API server's
    /// version comes from the `ClusterVersion` object `kaegis cluster` adds
    /// (or one in a dump); without it the check is silent.
    ///
    /// ## Why
    /// Outside the supported skew nothing guarantees the kubelet and the
    /// API server understand each other: fields are dropped, admission
    /// decisions (such as NodeRestriction's) and security features the
    /// control plane relies on may not apply on that node, and the old
    /// kubelet is itself usually an unsupported release with open CVEs.
    ///
    /// ## How to fix
    /// Upgrade the node (drain, upgrade the kubelet — or replace the node
    /// with one from a current image — then uncordon), one minor at a time,
    /// after the control plane:
    /// ```yaml
    /// status:
    ///   nodeInfo:
    ///     kubeletVersion: v1.37.2   # the control plane's version, or up to three minors older
    /// ```
    pub struct KubeletVersionSkew {
        code: "KG952",
        slug: "kubelet-version-skew",
        title: "Kubelets must be within the supported skew of the control plane",
        severity: Severity::Medium,
        area: Area::Cluster,
        kinds: &["Node"],
        scope: Scope::Inventory,
        profiles: HARDENING,
        references: &[
            k8s("Version skew policy", "https://kubernetes.io/releases/version-skew-policy/"),
        ],
    }
}

impl KubeletVersionSkew {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        if !obj.group().is_empty() {
            return;
        }
        let Some(server) = ctx
            .inventory
            .and_then(|i| i.cluster_version.as_deref())
            .and_then(|v| Version::parse(v).ok())
        else {
            return;
        };
        let Some(text) = obj
            .root
            .get_path(&["status", "nodeInfo", "kubeletVersion"])
            .and_then(Node::as_str)
        else {
            return;
        };
        let Ok(kubelet) = Version::parse(text) else {
            return;
        };
        let path = JsonPath::root().keys(&["status", "nodeInfo", "kubeletVersion"]);
        let (s, k) = (server.minor_version(), kubelet.minor_version());
        if (k.major, k.minor) > (s.major, s.minor) {
            out.push(Violation::new(
                path,
                format!(
                    "node {} runs kubelet {kubelet}, newer than the API server ({server})",
                    obj.id.name
                ),
            ));
        } else if k.major == s.major && s.minor - k.minor > MAX_KUBELET_LAG {
            out.push(Violation::new(
                path,
                format!(
                    "node {} runs kubelet {kubelet}, {} minor versions behind the API server ({server}); at most {MAX_KUBELET_LAG} are supported",
                    obj.id.name,
                    s.minor - k.minor
                ),
            ));
        }
    }
}
