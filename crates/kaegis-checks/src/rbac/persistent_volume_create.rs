//! KG412: ClusterRoles must not grant creating PersistentVolumes.
use kaegis_core::rbac::RoleKind;
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, cis, grantees, item_path, k8s, mitre, reviewed_role,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each rule of a ClusterRole that grants `create` on
    /// `persistentvolumes` in the core API group (wildcard verbs, resources
    /// and API groups included), at the resource item, naming the subjects
    /// that the scan's bindings give the role to.
    ///
    /// PersistentVolumes are cluster-scoped, so a namespaced Role cannot
    /// grant them and is not read. `persistentvolumeclaims` (what
    /// applications should ask for) are not reported, nor are rules
    /// limited by `resourceNames` (which cannot grant `create`), aggregated
    /// ClusterRoles and Kubernetes' own default roles.
    ///
    /// ## Why
    /// A PersistentVolume can be a `hostPath` volume, or point at any NFS
    /// share, iSCSI target or cloud disk. Whoever creates one, then claims
    /// it from a namespace where they can run pods, mounts the node's file
    /// system or another tenant's data, bypassing the Pod Security
    /// Standards' ban on `hostPath` in pods. Volumes should come from a
    /// StorageClass provisioner or the cluster administrators.
    ///
    /// ## How to fix
    /// Let workloads claim storage through a StorageClass, and keep volume
    /// creation for the provisioner:
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["persistentvolumeclaims"]
    ///   verbs: ["get", "list", "create"]
    /// ```
    pub struct PersistentVolumeCreate {
        code: "KG412",
        slug: "rbac-persistent-volume-create",
        title: "RBAC rules must not grant creating PersistentVolumes",
        severity: Severity::Medium,
        area: Area::Rbac,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.9"),
            mitre("T1611 Escape to Host"),
            k8s("RBAC good practices: persistent volume creation", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

impl PersistentVolumeCreate {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(role) = reviewed_role(obj).filter(|r| r.kind == RoleKind::ClusterRole) else {
            return;
        };
        for rule in &role.rules {
            if rule.is_named() || !rule.allows("create", "", "persistentvolumes") {
                continue;
            }
            out.push(Violation::new(
                item_path(obj, rule, "resources", |r| r == "persistentvolumes" || r == "*"),
                format!(
                    "the rule grants create on persistentvolumes: a holder can define a hostPath or network volume and mount it from any namespace where it can run pods; {}",
                    grantees(&role, ctx)
                ),
            ));
        }
    }
}
