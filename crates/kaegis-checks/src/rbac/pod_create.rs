//! KG407: ClusterRoles (and kube-system Roles) must not grant creating pods.
use kaegis_core::rbac::RoleKind;
use kaegis_core::{Area, Context, Object, Scope, Severity, Violation};

use super::{
    CIS_HARDENING, RBAC_GOOD_PRACTICES_URL, cis, grantees, item_path, join_words, k8s, mitre,
    reviewed_role,
};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Reports each rule of a ClusterRole, or of a Role in `kube-system`,
    /// that grants `create` (or `"*"`) on pods or on a workload that
    /// creates pods: `pods` and `replicationcontrollers` (core group),
    /// `deployments`, `statefulsets`, `daemonsets` and `replicasets`
    /// (`apps`), `jobs` and `cronjobs` (`batch`); wildcards count. The
    /// finding is at the first such resource and names the subjects that
    /// the scan's bindings give the role to.
    ///
    /// It does not fire for:
    /// - a Role in any other namespace: deploying into one's own namespace
    ///   is what namespaces are for, and the namespace's Pod Security
    ///   admission level bounds what those pods may do;
    /// - a rule limited by `resourceNames`, which cannot grant `create`
    ///   (the name of a new object is not known when it is authorized);
    /// - aggregated ClusterRoles and Kubernetes' own default roles.
    ///
    /// Changing the pod template of an existing workload (`update`,
    /// `patch`) is a close relative that this check leaves out.
    ///
    /// ## Why
    /// Whoever creates a pod chooses what it runs, which service account
    /// (and token) it gets, and, when admission allows it, whether it is
    /// privileged, shares the host's namespaces or mounts the node's file
    /// system: creating a pod is often node access. A ClusterRole bound
    /// cluster-wide gives that in every namespace, including those where
    /// system components run with broad permissions and relaxed pod
    /// security; `kube-system` is such a namespace.
    ///
    /// ## How to fix
    /// Grant workload creation in the namespaces that need it, through a
    /// Role or a RoleBinding, and enforce the Pod Security Standards there:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: deployer
    ///   namespace: shop
    /// rules:
    /// - apiGroups: ["apps"]
    ///   resources: ["deployments"]
    ///   verbs: ["get", "list", "create", "update", "patch"]
    /// ```
    pub struct PodCreate {
        code: "KG407",
        slug: "rbac-create-pods",
        title: "ClusterRoles must not grant creating pods",
        severity: Severity::Medium,
        area: Area::Rbac,
        profiles: CIS_HARDENING,
        references: &[
            cis("5.1.4"),
            mitre("T1610 Deploy Container"),
            k8s("RBAC good practices: workload creation", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::RBAC_KINDS,
    }
}

/// Pods and the workloads that create them, by API group.
const POD_CREATORS: [(&str, &str); 8] = [
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

impl PodCreate {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(role) = reviewed_role(obj) else {
            return;
        };
        let scope = match (role.kind, role.namespace.as_deref()) {
            (RoleKind::ClusterRole, _) => "cluster-wide when a ClusterRoleBinding binds it",
            (RoleKind::Role, Some("kube-system")) => "in kube-system",
            (RoleKind::Role, _) => return,
        };
        for rule in &role.rules {
            if rule.is_named() || !rule.has_verb("create") {
                continue;
            }
            let kinds: Vec<&str> = POD_CREATORS
                .iter()
                .filter(|(g, r)| rule.has_group(g) && rule.has_resource(r))
                .map(|(_, r)| *r)
                .collect();
            if kinds.is_empty() {
                continue;
            }
            let shown = if kinds.len() == POD_CREATORS.len() {
                "pods and every workload kind".to_owned()
            } else {
                join_words(&kinds)
            };
            out.push(Violation::new(
                item_path(obj, rule, "resources", |r| r == "*" || kinds.contains(&r)),
                format!(
                    "the rule grants create on {shown}, {scope}: pod creation can reach the node through hostPath or privileged pods where admission allows them; {}",
                    grantees(&role, ctx)
                ),
            ));
        }
    }
}
