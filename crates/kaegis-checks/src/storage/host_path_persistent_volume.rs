//! KG801: PersistentVolumes must not be hostPath volumes.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s, mitre};

declare_check! {
    /// ## What
    /// Fires for a PersistentVolume (core group) with `spec.hostPath`: a
    /// volume that is a directory of whichever node the claiming pod runs
    /// on. `spec.local` volumes (node-local disks with a required node
    /// affinity), CSI and every other source pass.
    ///
    /// ## Why
    /// The Pod Security Standards forbid `hostPath` volumes in pods, but a
    /// PersistentVolume is a cluster-scoped object the pod never names: a
    /// workload that claims it through a PersistentVolumeClaim gets the same
    /// access to the node's file system — `/`, `/etc`, the kubelet's
    /// directory with other pods' secrets, the container runtime socket —
    /// while passing every pod-level control. The data also follows no
    /// node: after a reschedule the pod silently sees another node's
    /// directory. Kubernetes documents hostPath PersistentVolumes for
    /// single-node testing only.
    ///
    /// ## How to fix
    /// Use a storage provisioner (a CSI driver), or for node-local disks a
    /// `local` volume pinned to its node:
    /// ```yaml
    /// apiVersion: v1
    /// kind: PersistentVolume
    /// metadata:
    ///   name: data-node1
    /// spec:
    ///   capacity:
    ///     storage: 100Gi
    ///   accessModes: [ReadWriteOnce]
    ///   storageClassName: local-storage
    ///   local:
    ///     path: /mnt/disks/ssd1
    ///   nodeAffinity:
    ///     required:
    ///       nodeSelectorTerms:
    ///       - matchExpressions:
    ///         - key: kubernetes.io/hostname
    ///           operator: In
    ///           values: [node1]
    /// ```
    pub struct HostPathPersistentVolume {
        code: "KG801",
        slug: "host-path-persistent-volume",
        title: "PersistentVolumes must not be hostPath volumes",
        severity: Severity::High,
        area: Area::Storage,
        kinds: &["PersistentVolume"],
        profiles: HARDENING,
        references: &[
            mitre("T1611 Escape to Host"),
            k8s("hostPath volumes", "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"),
            k8s("local volumes", "https://kubernetes.io/docs/concepts/storage/volumes/#local"),
        ],
    }
}

impl HostPathPersistentVolume {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "PersistentVolume" || !obj.group().is_empty() {
            return;
        }
        let Some(hp) = obj
            .root
            .get_path(&["spec", "hostPath"])
            .filter(|n| !n.is_null())
        else {
            return;
        };
        let path = hp.get("path").and_then(Node::as_str).unwrap_or("");
        out.push(Violation::new(
            JsonPath::root().keys(&["spec", "hostPath"]),
            format!("PersistentVolume gives its claimants the node's {path:?} (hostPath)"),
        ));
    }
}
