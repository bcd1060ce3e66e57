//! KG710: Manifests should not use deprecated API versions. Also holds the
//! table of API lifecycles that `removed-api` (KG711) reads.
use kaegis_core::{Area, Context, JsonPath, Object, Severity, Violation};

use super::{PRODUCTION, k8s};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// An object's `apiVersion` and `kind` should not be deprecated at the
    /// target Kubernetes version (`targetKubernetesVersion`, parameter,
    /// default the newest version kaegis knows) while still being served
    /// there. The message names the replacement.
    ///
    /// kaegis knows the API versions of the Kubernetes "Deprecated API
    /// Migration Guide" (the `extensions/v1beta1`, `apps/v1beta1` and
    /// `apps/v1beta2` workloads, the `v1beta1` APIs removed in 1.22 and
    /// 1.25, `autoscaling/v2beta1` and `v2beta2`, the `flowcontrol` betas,
    /// `storage.k8s.io/v1beta1` CSIStorageCapacity) and the core `v1`
    /// Endpoints API, deprecated in 1.33 in favour of EndpointSlices. An API
    /// counts as deprecated from the release that deprecated it or, where
    /// that is not documented, from the release that first served its
    /// replacement. Versions already removed at the
    /// target are reported by `removed-api` instead, with a higher severity.
    /// Kinds the table does not list — custom resources, and newer kinds
    /// that reuse an old group version, such as the
    /// `admissionregistration.k8s.io/v1beta1` ValidatingAdmissionPolicy —
    /// are never reported.
    ///
    /// ## Why
    /// A deprecated API still works, with a warning on every request, until
    /// the release that stops serving it. Manifests migrated while both
    /// versions are served upgrade without drama; manifests left behind fail
    /// to apply on the day of the cluster upgrade, often in the middle of a
    /// release pipeline.
    ///
    /// ## How to fix
    /// Change `apiVersion` (and the fields the migration guide lists for
    /// that API), for example:
    /// ```yaml
    /// apiVersion: discovery.k8s.io/v1
    /// kind: EndpointSlice
    /// metadata:
    ///   name: external-db-1
    ///   labels:
    ///     kubernetes.io/service-name: external-db
    /// addressType: IPv4
    /// ports:
    /// - name: postgres
    ///   port: 5432
    /// endpoints:
    /// - addresses: ["10.20.30.40"]
    /// ```
    /// `kubectl convert -f FILE --output-version GROUP/VERSION` rewrites most
    /// objects.
    pub struct DeprecatedApi {
        code: "KG710",
        slug: "deprecated-api",
        title: "Manifests should not use deprecated API versions",
        severity: Severity::Low,
        area: Area::Reliability,
        profiles: PRODUCTION,
        references: &[MIGRATION_GUIDE],
    }
}

/// The Kubernetes Deprecated API Migration Guide.
pub(crate) const MIGRATION_GUIDE: kaegis_core::Reference = k8s(
    "Deprecated API Migration Guide",
    "https://kubernetes.io/docs/reference/using-api/deprecation-guide/",
);

/// The life of one API version of some kinds.
#[derive(Debug)]
pub(crate) struct ApiLifecycle {
    /// `apiVersion`.
    pub api_version: &'static str,
    /// The kinds of that version this entry covers.
    pub kinds: &'static [&'static str],
    /// The first minor version at which it counts as deprecated.
    pub deprecated: u32,
    /// The first minor version that no longer serves it.
    pub removed: Option<u32>,
    /// What to use instead, from which minor version on (oldest first).
    pub replacements: &'static [(u32, &'static str)],
}

impl ApiLifecycle {
    /// The newest replacement available at `target` (the oldest one when
    /// none is yet).
    pub fn replacement(&self, target: u32) -> &'static str {
        self.replacements
            .iter()
            .rev()
            .find(|(since, _)| *since <= target)
            .or(self.replacements.first())
            .map_or("", |(_, r)| r)
    }
}

const APPS_V1: &[(u32, &str)] = &[(9, "apps/v1")];
const NETWORKING_V1: &[(u32, &str)] = &[(19, "networking.k8s.io/v1")];

/// Every deprecated or removed API version kaegis knows, from the
/// Kubernetes Deprecated API Migration Guide and release announcements.
pub(crate) static API_LIFECYCLES: &[ApiLifecycle] = &[
    // Removed in 1.16.
    ApiLifecycle {
        api_version: "extensions/v1beta1",
        kinds: &["Deployment", "DaemonSet", "ReplicaSet"],
        deprecated: 9,
        removed: Some(16),
        replacements: APPS_V1,
    },
    ApiLifecycle {
        api_version: "apps/v1beta1",
        kinds: &[
            "Deployment",
            "StatefulSet",
            "ReplicaSet",
            "ControllerRevision",
        ],
        deprecated: 9,
        removed: Some(16),
        replacements: APPS_V1,
    },
    ApiLifecycle {
        api_version: "apps/v1beta2",
        kinds: &[
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "ControllerRevision",
        ],
        deprecated: 9,
        removed: Some(16),
        replacements: APPS_V1,
    },
    ApiLifecycle {
        api_version: "extensions/v1beta1",
        kinds: &["NetworkPolicy"],
        deprecated: 8,
        removed: Some(16),
        replacements: &[(8, "networking.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "extensions/v1beta1",
        kinds: &["PodSecurityPolicy"],
        deprecated: 10,
        removed: Some(16),
        replacements: &[
            (10, "policy/v1beta1"),
            (
                25,
                "Pod Security Admission (pod-security.kubernetes.io namespace labels)",
            ),
        ],
    },
    // Removed in 1.22.
    ApiLifecycle {
        api_version: "extensions/v1beta1",
        kinds: &["Ingress"],
        deprecated: 14,
        removed: Some(22),
        replacements: &[
            (14, "networking.k8s.io/v1beta1"),
            (19, "networking.k8s.io/v1"),
        ],
    },
    ApiLifecycle {
        api_version: "networking.k8s.io/v1beta1",
        kinds: &["Ingress", "IngressClass"],
        deprecated: 19,
        removed: Some(22),
        replacements: NETWORKING_V1,
    },
    ApiLifecycle {
        api_version: "rbac.authorization.k8s.io/v1beta1",
        kinds: &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
        deprecated: 17,
        removed: Some(22),
        replacements: &[(8, "rbac.authorization.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "admissionregistration.k8s.io/v1beta1",
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        deprecated: 16,
        removed: Some(22),
        replacements: &[(16, "admissionregistration.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "apiextensions.k8s.io/v1beta1",
        kinds: &["CustomResourceDefinition"],
        deprecated: 16,
        removed: Some(22),
        replacements: &[(16, "apiextensions.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "apiregistration.k8s.io/v1beta1",
        kinds: &["APIService"],
        deprecated: 10,
        removed: Some(22),
        replacements: &[(10, "apiregistration.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "authentication.k8s.io/v1beta1",
        kinds: &["TokenReview"],
        deprecated: 6,
        removed: Some(22),
        replacements: &[(6, "authentication.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "authorization.k8s.io/v1beta1",
        kinds: &[
            "LocalSubjectAccessReview",
            "SelfSubjectAccessReview",
            "SubjectAccessReview",
            "SelfSubjectRulesReview",
        ],
        deprecated: 6,
        removed: Some(22),
        replacements: &[(6, "authorization.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "certificates.k8s.io/v1beta1",
        kinds: &["CertificateSigningRequest"],
        deprecated: 19,
        removed: Some(22),
        replacements: &[(19, "certificates.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "coordination.k8s.io/v1beta1",
        kinds: &["Lease"],
        deprecated: 14,
        removed: Some(22),
        replacements: &[(14, "coordination.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "scheduling.k8s.io/v1beta1",
        kinds: &["PriorityClass"],
        deprecated: 14,
        removed: Some(22),
        replacements: &[(14, "scheduling.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["CSIDriver"],
        deprecated: 19,
        removed: Some(22),
        replacements: &[(19, "storage.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["CSINode"],
        deprecated: 17,
        removed: Some(22),
        replacements: &[(17, "storage.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["StorageClass"],
        deprecated: 6,
        removed: Some(22),
        replacements: &[(6, "storage.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["VolumeAttachment"],
        deprecated: 13,
        removed: Some(22),
        replacements: &[(13, "storage.k8s.io/v1")],
    },
    // Removed in 1.25.
    ApiLifecycle {
        api_version: "batch/v1beta1",
        kinds: &["CronJob"],
        deprecated: 21,
        removed: Some(25),
        replacements: &[(21, "batch/v1")],
    },
    ApiLifecycle {
        api_version: "discovery.k8s.io/v1beta1",
        kinds: &["EndpointSlice"],
        deprecated: 21,
        removed: Some(25),
        replacements: &[(21, "discovery.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "events.k8s.io/v1beta1",
        kinds: &["Event"],
        deprecated: 19,
        removed: Some(25),
        replacements: &[(19, "events.k8s.io/v1")],
    },
    ApiLifecycle {
        api_version: "autoscaling/v2beta1",
        kinds: &["HorizontalPodAutoscaler"],
        deprecated: 23,
        removed: Some(25),
        replacements: &[(23, "autoscaling/v2")],
    },
    ApiLifecycle {
        api_version: "policy/v1beta1",
        kinds: &["PodDisruptionBudget"],
        deprecated: 21,
        removed: Some(25),
        replacements: &[(21, "policy/v1")],
    },
    ApiLifecycle {
        api_version: "policy/v1beta1",
        kinds: &["PodSecurityPolicy"],
        deprecated: 21,
        removed: Some(25),
        replacements: &[(
            21,
            "Pod Security Admission (pod-security.kubernetes.io namespace labels)",
        )],
    },
    ApiLifecycle {
        api_version: "node.k8s.io/v1beta1",
        kinds: &["RuntimeClass"],
        deprecated: 20,
        removed: Some(25),
        replacements: &[(20, "node.k8s.io/v1")],
    },
    // Removed in 1.26.
    ApiLifecycle {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta1",
        kinds: &["FlowSchema", "PriorityLevelConfiguration"],
        deprecated: 23,
        removed: Some(26),
        replacements: FLOWCONTROL,
    },
    ApiLifecycle {
        api_version: "autoscaling/v2beta2",
        kinds: &["HorizontalPodAutoscaler"],
        deprecated: 23,
        removed: Some(26),
        replacements: &[(23, "autoscaling/v2")],
    },
    // Removed in 1.27.
    ApiLifecycle {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["CSIStorageCapacity"],
        deprecated: 24,
        removed: Some(27),
        replacements: &[(24, "storage.k8s.io/v1")],
    },
    // Removed in 1.29.
    ApiLifecycle {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta2",
        kinds: &["FlowSchema", "PriorityLevelConfiguration"],
        deprecated: 26,
        removed: Some(29),
        replacements: FLOWCONTROL,
    },
    // Removed in 1.32.
    ApiLifecycle {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta3",
        kinds: &["FlowSchema", "PriorityLevelConfiguration"],
        deprecated: 29,
        removed: Some(32),
        replacements: FLOWCONTROL,
    },
    // Deprecated in 1.33, still served.
    ApiLifecycle {
        api_version: "v1",
        kinds: &["Endpoints"],
        deprecated: 33,
        removed: None,
        replacements: &[(21, "discovery.k8s.io/v1 EndpointSlice")],
    },
];

const FLOWCONTROL: &[(u32, &str)] = &[
    (23, "flowcontrol.apiserver.k8s.io/v1beta2"),
    (26, "flowcontrol.apiserver.k8s.io/v1beta3"),
    (29, "flowcontrol.apiserver.k8s.io/v1"),
];

/// The lifecycle entry of an object's apiVersion and kind, if kaegis knows
/// it as deprecated or removed.
pub(crate) fn lifecycle(obj: &Object) -> Option<&'static ApiLifecycle> {
    API_LIFECYCLES
        .iter()
        .find(|l| l.api_version == obj.id.api_version && l.kinds.contains(&obj.id.kind.as_str()))
}

impl DeprecatedApi {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let target = ctx.settings.target_minor;
        let Some(api) = lifecycle(obj) else {
            return;
        };
        if target < api.deprecated || api.removed.is_some_and(|r| target >= r) {
            return;
        }
        let until = match api.removed {
            Some(r) => format!(", will no longer be served from 1.{r}"),
            None => String::new(),
        };
        out.push(Violation::new(
            JsonPath::root().key("apiVersion"),
            format!(
                "{} {} is deprecated since Kubernetes 1.{}{until} (target 1.{target}): use {}",
                api.api_version,
                obj.id.kind,
                api.deprecated,
                api.replacement(target)
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for api in API_LIFECYCLES {
            assert!(!api.kinds.is_empty(), "{}", api.api_version);
            assert!(!api.replacements.is_empty(), "{}", api.api_version);
            assert!(
                api.removed.is_none_or(|r| r > api.deprecated),
                "{}",
                api.api_version
            );
            assert!(
                api.replacements.windows(2).all(|w| w[0].0 < w[1].0),
                "{}",
                api.api_version
            );
        }
    }

    fn run(yaml: &str, target: u32) -> Vec<String> {
        let path: std::sync::Arc<std::path::Path> =
            std::sync::Arc::from(std::path::Path::new("t.yaml"));
        let file = kaegis_inputs::load(path, yaml.as_bytes(), kaegis_inputs::Syntax::Yaml);
        let settings = kaegis_core::Settings {
            target_minor: target,
            ..kaegis_core::Settings::default()
        };
        let ctx = Context {
            pss_minor: kaegis_core::check::LATEST_PSS_MINOR,
            settings: &settings,
            inventory: None,
        };
        let mut out = Vec::new();
        for obj in &file.objects {
            kaegis_core::Check::check(&DeprecatedApi, obj, &ctx, &mut out);
            kaegis_core::Check::check(&super::super::removed_api::RemovedApi, obj, &ctx, &mut out);
        }
        out.into_iter().map(|v| v.message).collect()
    }

    #[test]
    fn endpoints_are_deprecated_from_1_33_and_never_removed() {
        let yaml = "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: db\n";
        assert!(run(yaml, 32).is_empty());
        let at_latest = run(yaml, kaegis_core::check::LATEST_PSS_MINOR);
        assert_eq!(at_latest.len(), 1);
        assert!(
            at_latest[0].contains("use discovery.k8s.io/v1 EndpointSlice"),
            "{at_latest:?}"
        );
    }

    #[test]
    fn one_check_speaks_at_each_target() {
        let yaml = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: n\n";
        assert!(run(yaml, 20).is_empty());
        assert!(run(yaml, 21)[0].contains("deprecated"));
        assert!(run(yaml, 25)[0].contains("no longer served"));
        assert_eq!(run(yaml, 30).len(), 1);
    }

    #[test]
    fn replacement_follows_the_target() {
        let beta2 = API_LIFECYCLES
            .iter()
            .find(|a| a.api_version == "flowcontrol.apiserver.k8s.io/v1beta2")
            .unwrap();
        assert_eq!(
            beta2.replacement(27),
            "flowcontrol.apiserver.k8s.io/v1beta3"
        );
        assert_eq!(beta2.replacement(30), "flowcontrol.apiserver.k8s.io/v1");
        assert_eq!(
            beta2.replacement(20),
            "flowcontrol.apiserver.k8s.io/v1beta2"
        );
    }
}
