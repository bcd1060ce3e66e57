//! KD201: a pod, workload or ServiceAccount created in `kube-system` or
//! `kube-public` by someone other than the control plane.
use kaegis_core::Severity;

use crate::event::Event;
use crate::identity::is_control_plane;
use crate::rule::{Hit, Level, Need, RuleContext, Technique, declare_rule};
use crate::rules::workload::workload_of;

declare_rule! {
    /// ## What
    /// Alerts when a Pod, a workload (Deployment, DaemonSet, StatefulSet,
    /// ReplicaSet, ReplicationController, Job, CronJob) or a
    /// ServiceAccount is created in `kube-system` or `kube-public` by an
    /// identity that is not part of the control plane (the controllers
    /// that create pods for workloads, kubelets creating mirror pods of
    /// static pods, and the identities `settings.controlPlaneUsers` adds
    /// are not reported). Bare pods and DaemonSets, which run on every
    /// node, are high severity; the other kinds medium.
    ///
    /// ## Why
    /// `kube-system` holds the cluster's own machinery: its service
    /// accounts are powerful, its pods are expected to be privileged, and
    /// few people look at what runs there. Attackers hide persistence in
    /// it — a DaemonSet named like a CNI agent, a CronJob that re-creates
    /// a backdoor, a ServiceAccount whose token they keep — because it
    /// blends in and because policies often exempt it. `kube-public` is
    /// readable by everyone, anonymous users included. After the cluster
    /// is installed, people rarely create anything in either.
    ///
    /// ## How to respond
    /// Check whether the object belongs to a planned installation (an
    /// add-on upgraded by a platform team). If not, inspect its image,
    /// command and service account, delete it, and find how the identity
    /// got the right to create it. Grant add-on installers their own
    /// namespaces, and limit who may write to `kube-system`; with an
    /// admission policy, for example:
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingAdmissionPolicy
    /// metadata: {name: protect-kube-system}
    /// spec:
    ///   matchConstraints:
    ///     namespaceSelector:
    ///       matchLabels: {kubernetes.io/metadata.name: kube-system}
    ///     resourceRules:
    ///     - apiGroups: ["", apps, batch]
    ///       apiVersions: ["*"]
    ///       operations: [CREATE]
    ///       resources: [pods, deployments, daemonsets, statefulsets, jobs, cronjobs, serviceaccounts]
    ///   validations:
    ///   - expression: "request.userInfo.username.startsWith('system:')"
    ///     message: only the control plane creates objects in kube-system
    /// ```
    pub struct KubeSystemWorkload {
        code: "KD201",
        slug: "kube-system-workload-created",
        title: "A pod, workload or ServiceAccount was created in kube-system or kube-public",
        severity: Severity::Medium,
        tactic: "Persistence",
        mitre: &[
            Technique { id: "T1610", name: "Deploy Container" },
            Technique { id: "T1543.005", name: "Create or Modify System Process: Container Service" },
        ],
        needs: &[
            Need { group: "", resources: &["pods", "replicationcontrollers", "serviceaccounts"], verbs: &["create"], level: Level::Metadata },
            Need { group: "apps", resources: &["deployments", "daemonsets", "statefulsets", "replicasets"], verbs: &["create"], level: Level::Metadata },
            Need { group: "batch", resources: &["jobs", "cronjobs"], verbs: &["create"], level: Level::Metadata },
        ],
    }
}

impl KubeSystemWorkload {
    fn judge(&self, ev: &Event<'_>, cx: &mut RuleContext<'_>, out: &mut Vec<Hit>) {
        if ev.verb != "create" {
            return;
        }
        let ns = ev.namespace();
        if !matches!(ns, "kube-system" | "kube-public") || !ev.succeeded() {
            return;
        }
        let (group, resource, sub) = (ev.api_group(), ev.resource(), ev.subresource());
        let kind = if group.is_empty() && resource == "serviceaccounts" && sub.is_empty() {
            "ServiceAccount"
        } else {
            match workload_of(group, resource, sub) {
                Some(w) => w.kind,
                None => return,
            }
        };
        if is_control_plane(ev.acting_user(), cx.settings) {
            return;
        }
        let name = match ev.name() {
            "" => "(generated name)",
            n => n,
        };
        let mut hit = Hit::new(
            format!("{} created {kind} {ns}/{name}", ev.acting_user().username),
            format!("{resource}/{ns}/{name}"),
        );
        if matches!(kind, "Pod" | "DaemonSet") {
            hit = hit.severity(Severity::High);
        }
        out.push(hit);
    }
}
