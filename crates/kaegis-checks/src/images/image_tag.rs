//! KG201: Images must name a version, not `latest`.
use kaegis_core::{Area, Context, Object, PodSpecView, Severity, Violation};

use super::container_images;
use crate::macros::declare_check;
use crate::refs::{PRODUCTION, k8s, mitre};

declare_check! {
    /// ## What
    /// Every container image must carry a tag other than `latest`: it fires
    /// for `nginx` (no tag: the runtime pulls `:latest`) and for
    /// `nginx:latest`. An image pinned by digest (`nginx@sha256:…`, with or
    /// without a tag) passes whatever its tag says, because the digest
    /// decides what runs. Init, regular and ephemeral containers are
    /// checked; values that are not image references (template placeholders
    /// such as `${IMAGE}`) are skipped.
    ///
    /// ## Why
    /// `latest` is whatever was pushed last: two nodes may run two different
    /// builds of the same Deployment, a rollback goes back to nothing, and an
    /// image nobody reviewed reaches production on the next restart.
    /// Kubernetes also pulls `latest` images on every start
    /// (`imagePullPolicy: Always` by default), so a registry outage stops
    /// pods from starting.
    ///
    /// ## How to fix
    /// Name a release, or better, pin the digest:
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: nginx:1.27.3
    ///   # or: nginx:1.27.3@sha256:<digest>
    /// ```
    pub struct ImageTag {
        code: "KG201",
        slug: "image-tag",
        title: "Images must name a version, not latest",
        severity: Severity::Medium,
        area: Area::Images,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: PRODUCTION,
        references: &[
            k8s("Container images: image names and tags", "https://kubernetes.io/docs/concepts/containers/images/#image-names"),
            k8s("Configuration best practices: containers", "https://kubernetes.io/docs/concepts/configuration/overview/"),
            mitre("T1525 Implant Internal Image"),
        ],
    }
}

impl ImageTag {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (c, image) in container_images(&pod) {
            if image.digest.is_some() || !image.is_latest() {
                continue;
            }
            let why = if image.tag.is_none() {
                "has no tag, so the runtime pulls :latest"
            } else {
                "uses the mutable tag :latest"
            };
            out.push(Violation::new(
                c.path().key("image"),
                format!("{} image {:?} {why}", c.describe(), image.raw),
            ));
        }
    }
}
