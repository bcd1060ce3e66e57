//! KG207: Images should name their registry host.
use kaegis_core::{Area, Context, Object, PodSpecView, Severity, Violation};

use super::container_images;
use crate::macros::declare_check;
use crate::refs::{k8s, mitre};

declare_check! {
    /// ## What
    /// Every container image should be a fully qualified reference that
    /// names its registry host: `docker.io/library/nginx:1.27`, not
    /// `nginx:1.27`; `docker.io/bitnami/redis:7`, not `bitnami/redis:7`. A
    /// first path component counts as a host when it contains a `.` or a `:`,
    /// is `localhost`, or has an upper-case letter, which is how runtimes
    /// read it (`localhost/app` and `registry.internal:5000/app` pass). Template
    /// placeholders are skipped. The check is in no profile but `all`: most
    /// published manifests use short names, and on containerd and Docker
    /// they always mean Docker Hub.
    ///
    /// ## Why
    /// A short name is resolved by the container runtime, not by the
    /// manifest: containerd and Docker expand it to `docker.io`, while CRI-O
    /// and Podman consult `unqualified-search-registries` in
    /// `registries.conf` and may try several registries in order, so the
    /// same manifest can pull different images on different nodes. An
    /// attacker who registers the name on a registry searched first (or a
    /// node whose search list was changed) gets code running in the pod.
    /// Naming the host also makes allow-lists and mirrors explicit.
    ///
    /// ## How to fix
    /// Write the host out:
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: docker.io/library/nginx:1.27.3
    /// ```
    pub struct ImageRegistryHost {
        code: "KG207",
        slug: "image-registry-host",
        title: "Images should name their registry host",
        severity: Severity::Low,
        area: Area::Images,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: &[],
        references: &[
            k8s("Container images: image names", "https://kubernetes.io/docs/concepts/containers/images/#image-names"),
            mitre("T1204.003 User Execution: Malicious Image"),
        ],
    }
}

impl ImageRegistryHost {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (c, image) in container_images(&pod) {
            if image.explicit_host.is_some() {
                continue;
            }
            out.push(Violation::new(
                c.path().key("image"),
                format!(
                    "{} image {:?} names no registry host; write it as \"docker.io/{}{}\"",
                    c.describe(),
                    image.raw,
                    image.repository(),
                    &image.raw[image.path.len()..]
                ),
            ));
        }
    }
}
