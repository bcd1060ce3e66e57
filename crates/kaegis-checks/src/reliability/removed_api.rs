//! KG711: Manifests must not use API versions the target Kubernetes no
//! longer serves.
use kaegis_core::{Area, Context, JsonPath, Object, Severity, Violation};

use super::PRODUCTION;
use super::deprecated_api::{MIGRATION_GUIDE, lifecycle};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// An object's `apiVersion` and `kind` must be served by the target
    /// Kubernetes version (`targetKubernetesVersion`, parameter, default the
    /// newest version kaegis knows). It fires when the Kubernetes
    /// "Deprecated API Migration Guide" lists that version of the kind as no
    /// longer served at or before the target: the `extensions/v1beta1`,
    /// `apps/v1beta1` and `apps/v1beta2` workloads (1.16), the `v1beta1`
    /// Ingress, RBAC, webhook, CRD, APIService, review, CSR, Lease,
    /// PriorityClass and storage APIs (1.22), `batch/v1beta1` CronJob,
    /// `policy/v1beta1` PodDisruptionBudget and PodSecurityPolicy,
    /// `autoscaling/v2beta1` and the other `v1beta1` APIs of 1.25,
    /// `autoscaling/v2beta2` and `flowcontrol/v1beta1` (1.26),
    /// CSIStorageCapacity `v1beta1` (1.27), `flowcontrol/v1beta2` (1.29) and
    /// `flowcontrol/v1beta3` (1.32). The message names the replacement.
    ///
    /// Versions still served at the target, even deprecated ones, are left
    /// to `deprecated-api`. Kinds the table does not list — custom
    /// resources, and newer kinds that reuse an old group version — are
    /// never reported.
    ///
    /// ## Why
    /// The API server rejects an object whose API version it does not serve
    /// (`no matches for kind ... in version ...`): the manifest cannot be
    /// applied, a Helm release fails half-way, and a GitOps controller stops
    /// syncing everything after it. Objects already stored survive the
    /// upgrade (they are converted), so the breakage shows only at the next
    /// deploy — often during an incident.
    ///
    /// ## How to fix
    /// Move to the replacement version and adapt the fields the migration
    /// guide lists, for example for an Ingress:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: web
    /// spec:
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
    ///       paths:
    ///       - path: /
    ///         pathType: Prefix
    ///         backend:
    ///           service:
    ///             name: web
    ///             port:
    ///               number: 80
    /// ```
    pub struct RemovedApi {
        code: "KG711",
        slug: "removed-api",
        title: "Manifests must not use API versions the target Kubernetes no longer serves",
        severity: Severity::High,
        area: Area::Reliability,
        profiles: PRODUCTION,
        references: &[MIGRATION_GUIDE],
    }
}

impl RemovedApi {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let target = ctx.settings.target_minor;
        let Some(api) = lifecycle(obj) else {
            return;
        };
        let Some(removed) = api.removed.filter(|r| target >= *r) else {
            return;
        };
        out.push(Violation::new(
            JsonPath::root().key("apiVersion"),
            format!(
                "{} {} is no longer served since Kubernetes 1.{removed} (target 1.{target}), so the API server will reject it: use {}",
                api.api_version,
                obj.id.kind,
                api.replacement(target)
            ),
        ));
    }
}
