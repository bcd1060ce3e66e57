//! KG204: Images not pinned by digest must be pulled on every start.
use kaegis_core::{Area, Context, Fix, Node, Object, PodSpecView, Severity, Violation};
use serde_json::json;

use super::ImageRef;
use crate::macros::declare_check;
use crate::refs::{PRODUCTION, k8s, mitre};

declare_check! {
    /// ## What
    /// `imagePullPolicy: Never` always fires: the pod runs whatever image
    /// some earlier pull or side-load left on the node, or fails to start.
    /// Otherwise the check fires when the effective policy is not `Always`
    /// and the image is not pinned by a `sha256`/`sha512` digest. The
    /// effective policy is the one written, or, when the field is unset,
    /// Kubernetes' default: `Always` for an image tagged `latest` or without
    /// tag and digest, `IfNotPresent` for anything else. So `nginx:1.27`
    /// with no policy fires (defaulted to `IfNotPresent`), `nginx` or
    /// `nginx:latest` with no policy passes (defaulted to `Always`; the tag
    /// itself is KG201's business), and any digest-pinned image passes with
    /// `IfNotPresent`. Template placeholders are skipped unless the policy is
    /// `Never`.
    ///
    /// ## Why
    /// With `IfNotPresent` and a tag, a node that already holds an image of
    /// that tag runs its cached copy: after a tag was moved (a rebuild, a
    /// re-push, a compromised registry account), different nodes run
    /// different code and none of it is necessarily what was reviewed. The
    /// cache also skips the registry's authorisation: a private image pulled
    /// once onto a node can be started by any pod on that node, without
    /// credentials. `Always` makes the kubelet check the tag's current digest
    /// with the registry (a cheap request when nothing changed, and the
    /// layers stay cached); a digest makes the cached copy the right one.
    ///
    /// ## How to fix
    /// Pin the digest, or pull on every start:
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/web:2.4.1
    ///   imagePullPolicy: Always
    /// ```
    /// Clusters that need the credential check for cached private images
    /// can also enable the `AlwaysPullImages` admission plugin, or the
    /// kubelet's `KubeletEnsureSecretPulledImages` feature (alpha in v1.33).
    pub struct ImagePullPolicy {
        code: "KG204",
        slug: "image-pull-policy",
        title: "Images not pinned by digest must be pulled on every start",
        severity: Severity::Low,
        area: Area::Images,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: PRODUCTION,
        references: &[
            k8s("Container images: image pull policy", "https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy"),
            k8s("Admission controllers: AlwaysPullImages", "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#alwayspullimages"),
            mitre("T1525 Implant Internal Image"),
        ],
    }
}

impl ImagePullPolicy {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for c in pod.containers() {
            let policy = c.node.get("imagePullPolicy").and_then(Node::as_str);
            let path = c.path().key("imagePullPolicy");
            if policy == Some("Never") {
                let fix = Fix::set(path.clone(), json!("Always"), "set imagePullPolicy: Always");
                out.push(
                    Violation::new(
                        path,
                        format!(
                            "{} sets imagePullPolicy: Never, so it runs whatever image the node already holds",
                            c.describe()
                        ),
                    )
                    .with_fix(fix),
                );
                continue;
            }
            let Some(image) = c
                .node
                .get("image")
                .and_then(Node::as_str)
                .and_then(ImageRef::parse)
            else {
                continue;
            };
            if image.is_pinned() {
                continue;
            }
            let message = match policy {
                Some("Always") => continue,
                None if image.is_latest() => continue,
                None => format!(
                    "{} image {:?} is not pinned by digest and imagePullPolicy defaults to IfNotPresent, so a node may run a stale cached image",
                    c.describe(),
                    image.raw
                ),
                Some(other) => format!(
                    "{} image {:?} is not pinned by digest and imagePullPolicy is {other}, so a node may run a stale cached image",
                    c.describe(),
                    image.raw
                ),
            };
            let fix = Fix::set(path.clone(), json!("Always"), "set imagePullPolicy: Always");
            out.push(Violation::new(path, message).with_fix(fix));
        }
    }
}
