//! KG120: Pods must use only restricted volume types.
use kaegis_core::{Area, Context, Object, PodSpecView, PssControl, PssLevel, Severity, Violation};

use super::{RESTRICTED, pss};
use crate::macros::declare_check;

/// Volume sources the restricted level allows.
pub const ALLOWED: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Volume sources the restricted level forbids (every other in-tree type).
pub const FORBIDDEN: [&str; 21] = [
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

declare_check! {
    /// ## What
    /// At the restricted level, pods may use only these volume types:
    /// `configMap`, `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`,
    /// `persistentVolumeClaim`, `projected` and `secret`. Every other type
    /// (`hostPath`, `nfs`, `gitRepo`, `iscsi`, cloud disks…) is refused.
    ///
    /// ## Why
    /// Direct volume types bypass the PersistentVolume layer: the pod author
    /// chooses the server, path or disk, and with it data that belongs to
    /// someone else. `gitRepo` has had code-execution flaws; `hostPath` is
    /// the node's file system.
    ///
    /// ## How to fix
    /// Claim storage through a PersistentVolumeClaim (an administrator
    /// provides the PersistentVolume or StorageClass):
    /// ```yaml
    /// volumes:
    /// - name: data
    ///   persistentVolumeClaim:
    ///     claimName: data
    /// ```
    pub struct RestrictedVolumeTypes {
        code: "KG120",
        slug: "restricted-volume-types",
        title: "Pods must use only restricted volume types",
        severity: Severity::Medium,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: RESTRICTED,
        references: &[pss("Volume Types")],
        pss: Some(PssControl { control: "Volume Types", level: PssLevel::Restricted, since: 0, overrides: &[("host-path-volumes", 0)] }),
    }
}

impl RestrictedVolumeTypes {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (i, vol) in pod.volumes().iter().enumerate() {
            let set = |k: &str| vol.get(k).is_some_and(|n| !n.is_null());
            if ALLOWED.iter().any(|k| set(k)) {
                continue;
            }
            // A volume with no source at all is an emptyDir once the API
            // server applies defaults.
            let Some(kind) = FORBIDDEN.iter().find(|k| set(k)) else {
                continue;
            };
            let name = vol.get("name").and_then(|n| n.as_str()).unwrap_or("");
            out.push(Violation::new(
                pod.path("volumes").index(i).key(kind),
                format!("volume \"{name}\" uses the {kind} volume type"),
            ));
        }
    }
}
