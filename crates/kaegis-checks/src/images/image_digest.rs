//! KG202: Images must be pinned by digest.
use kaegis_core::{Area, Context, Fix, Object, PodSpecView, Severity, Violation};
use serde_json::json;

use super::container_images;
use crate::macros::declare_check;
use crate::refs::{k8s, mitre, nsa};

declare_check! {
    /// ## What
    /// When the `requireDigest` parameter is true (the default), every
    /// container image must be pinned by content digest:
    /// `image@sha256:<64 hex digits>` (a `sha512` digest also counts). A tag
    /// may stand beside the digest for readers (`nginx:1.27@sha256:…`); the
    /// digest is what the runtime pulls. It fires for an image without a
    /// digest and for a malformed one. Values that are not image references
    /// (template placeholders) are skipped. The check is in no profile but
    /// `all`: enable it where the build pipeline writes digests into the
    /// manifests.
    ///
    /// ## Why
    /// A tag is a pointer anyone with push rights can move: a compromised
    /// registry account or a careless re-push changes what every node runs
    /// without a change to the manifest, its review or its signature. A
    /// digest names the content itself, so what was scanned and approved is
    /// what runs.
    ///
    /// ## How to fix
    /// Resolve the tag to its digest (`crane digest nginx:1.27.3`, or let the
    /// CI pipeline or a tool such as kustomize `images:` write it):
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: nginx:1.27.3@sha256:<digest printed by crane>
    /// ```
    /// Or turn the check off with `parameters: {requireDigest: false}`.
    pub struct ImageDigest {
        code: "KG202",
        slug: "image-digest",
        title: "Images must be pinned by digest",
        severity: Severity::Low,
        area: Area::Images,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: &[],
        references: &[
            k8s("Container images: image names", "https://kubernetes.io/docs/concepts/containers/images/#image-names"),
            nsa("Threat detection and supply chain: immutable, verified images"),
            mitre("T1525 Implant Internal Image"),
        ],
    }
}

impl ImageDigest {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        if !ctx.settings.require_digest {
            return;
        }
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (c, image) in container_images(&pod) {
            if image.is_pinned() {
                continue;
            }
            let why = if image.digest.is_some() {
                "has a malformed digest (want sha256: and 64 hex digits)"
            } else {
                "is not pinned by digest"
            };
            let mut v = Violation::new(
                c.path().key("image"),
                format!("{} image {:?} {why}", c.describe(), image.raw),
            );
            if let Some(digest) = ctx.settings.image_digests.get(image.raw) {
                let bare = image.raw.split_once('@').map_or(image.raw, |(b, _)| b);
                v = v.with_fix(Fix::set(
                    c.path().key("image"),
                    json!(format!("{bare}@{digest}")),
                    format!("pin the image to {digest}"),
                ));
            }
            out.push(v);
        }
    }
}
