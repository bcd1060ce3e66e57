//! KG205: Images from private registries need pull credentials.
use kaegis_core::{
    Area, Context, Object, PodSpecView, Scope, Settings, Severity, Violation, namespace_key,
};

use super::{ImageRef, container_images};
use crate::macros::declare_check;
use crate::refs::{PRODUCTION, k8s};

declare_check! {
    /// ## What
    /// A container whose image comes from a private registry must have pull
    /// credentials: `imagePullSecrets` on the pod spec, or on the pod's
    /// ServiceAccount (`serviceAccountName`, else the deprecated
    /// `serviceAccount`, else `default`), which the ServiceAccount admission
    /// controller copies into the pod.
    ///
    /// A registry is private when the `privateRegistries` parameter lists it
    /// (hosts or host/path prefixes, matched like `allowedRegistries`). When
    /// that list is empty (the default), every registry is taken as private
    /// except the well-known public ones — `docker.io`, `registry.k8s.io`,
    /// `k8s.gcr.io`, `gcr.io`, `quay.io`, `ghcr.io`, `public.ecr.aws`,
    /// `mcr.microsoft.com`, `registry.gitlab.com`, `docker.elastic.co`,
    /// `nvcr.io`, `registry.access.redhat.com`, `cgr.dev`,
    /// `registry.suse.com`, `registry.opensource.zalan.do`, `lscr.io`,
    /// `projects.registry.vmware.com`, `registry.fedoraproject.org`,
    /// `registry.istio.io`, `cr.l5d.io`, `cr.fluentbit.io`, `reg.kyverno.io`,
    /// `oci.external-secrets.io`, `docker.redpanda.com` — and
    /// except the registries whose clouds give nodes their own credentials
    /// (the kubelet's credential providers): Amazon ECR
    /// (`*.dkr.ecr.*.amazonaws.com`), Azure Container Registry
    /// (`*.azurecr.io`), Google Container and Artifact Registry (`*.gcr.io`,
    /// `*.pkg.dev`), and loopback registries (`localhost`, `127.0.0.1`).
    /// List such a registry in `privateRegistries` to have it checked.
    ///
    /// The check reads the scan's ServiceAccounts: it says nothing when the
    /// pod's ServiceAccount is not part of the scan, since the account in the
    /// cluster may carry the secrets.
    ///
    /// ## Why
    /// Without credentials the kubelet cannot pull the image: pods sit in
    /// `ImagePullBackOff` on every node that has not cached it, which turns a
    /// routine reschedule or scale-up into an outage. Pods that start only
    /// because a node happens to hold a cached copy hide the problem until
    /// the node is replaced.
    ///
    /// ## How to fix
    /// Attach a `kubernetes.io/dockerconfigjson` Secret to the ServiceAccount
    /// (every pod using it gets it), or to the pod:
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata:
    ///   name: web
    /// imagePullSecrets:
    /// - name: registry-example-com
    /// ```
    pub struct ImagePullSecrets {
        code: "KG205",
        slug: "image-pull-secrets",
        title: "Images from private registries need pull credentials",
        severity: Severity::Medium,
        area: Area::Images,
        profiles: PRODUCTION,
        references: &[
            k8s("Pull an image from a private registry", "https://kubernetes.io/docs/tasks/configure-pod-container/pull-image-private-registry/"),
            k8s("Add imagePullSecrets to a ServiceAccount", "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#add-imagepullsecrets-to-a-service-account"),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
    }
}

/// Registries that serve public images without credentials.
const PUBLIC_REGISTRIES: &[&str] = &[
    "docker.io",
    "registry.k8s.io",
    "k8s.gcr.io",
    "gcr.io",
    "quay.io",
    "ghcr.io",
    "public.ecr.aws",
    "mcr.microsoft.com",
    "registry.gitlab.com",
    "docker.elastic.co",
    "nvcr.io",
    "registry.access.redhat.com",
    "cgr.dev",
    "registry.suse.com",
    "registry.opensource.zalan.do",
    "lscr.io",
    "projects.registry.vmware.com",
    "registry.fedoraproject.org",
    "registry.istio.io",
    "cr.l5d.io",
    "cr.fluentbit.io",
    "reg.kyverno.io",
    "oci.external-secrets.io",
    "docker.redpanda.com",
];

/// True when pulling this image needs credentials the pod must bring.
fn needs_credentials(image: &ImageRef<'_>, settings: &Settings) -> bool {
    if !settings.private_registries.is_empty() {
        return settings
            .private_registries
            .iter()
            .any(|e| image.comes_from(e));
    }
    // Hosts are ASCII (the parser admits nothing else), so byte slicing is safe.
    let host = image.host();
    let name = host.split(':').next().unwrap_or(host);
    let ends = |suffix: &str| {
        name.len() > suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    if PUBLIC_REGISTRIES
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name))
        || name.eq_ignore_ascii_case("localhost")
        || name == "127.0.0.1"
    {
        return false;
    }
    let ecr = (ends(".amazonaws.com") || ends(".amazonaws.com.cn"))
        && name.to_ascii_lowercase().contains(".dkr.ecr.");
    let node_credentials = ecr
        || ends(".azurecr.io")
        || ends(".azurecr.cn")
        || ends(".azurecr.us")
        || ends(".gcr.io")
        || ends(".pkg.dev");
    !node_credentials
}

impl ImagePullSecrets {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(inventory) = ctx.inventory else {
            return;
        };
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if pod
            .field("imagePullSecrets")
            .is_some_and(|n| !n.items().is_empty())
        {
            return;
        }
        let mut private = container_images(&pod)
            .filter(|(_, image)| needs_credentials(image, ctx.settings))
            .peekable();
        if private.peek().is_none() {
            return;
        }
        let account = pod.service_account_name();
        let key = (namespace_key(obj).to_owned(), account.to_owned());
        let Some(sa) = inventory.service_accounts.get(&key) else {
            return;
        };
        if sa.image_pull_secrets {
            return;
        }
        for (c, image) in private {
            out.push(Violation::new(
                c.path().key("image"),
                format!(
                    "{} pulls {:?} from private registry {}, but neither the pod nor ServiceAccount {account:?} lists imagePullSecrets",
                    c.describe(),
                    image.raw,
                    image.host()
                ),
            ));
        }
    }
}
