//! KG203: Images must come from an allowed registry.
use kaegis_core::{Area, Context, Object, PodSpecView, Severity, Violation};

use super::container_images;
use crate::macros::declare_check;
use crate::refs::{HARDENING, cis, mitre, nsa};

declare_check! {
    /// ## What
    /// When the `allowedRegistries` parameter lists registries, every
    /// container image must come from one of them. An entry is a registry
    /// host (`registry.example.com`, `localhost:5000`) or a host and path
    /// prefix (`ghcr.io/acme`, `docker.io/library`); it matches at a `/`
    /// boundary, so `ghcr.io/acme` allows `ghcr.io/acme/api` but not
    /// `ghcr.io/acme-evil/api`. Both sides are normalised first: an image
    /// without a host comes from `docker.io`, Docker Hub's official images
    /// live under `docker.io/library/` (`nginx` is
    /// `docker.io/library/nginx`), `index.docker.io` is `docker.io`, and
    /// hosts compare case-insensitively. With an empty list (the default) the
    /// check is silent. Template placeholders are skipped.
    ///
    /// ## Why
    /// Images from a registry the organisation controls are scanned, signed
    /// and mirrored; an image pulled straight from a public account runs
    /// whatever its owner pushed, typosquatted names included, and fails when
    /// that registry rate-limits or goes down.
    ///
    /// ## How to fix
    /// Mirror the image into an allowed registry and point at the copy:
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: registry.example.com/mirror/nginx:1.27.3
    /// ```
    /// and list the registries in `.kaegis.yaml`:
    /// ```yaml
    /// parameters:
    ///   allowedRegistries: [registry.example.com, ghcr.io/acme]
    /// ```
    pub struct ImageRegistry {
        code: "KG203",
        slug: "image-registry",
        title: "Images must come from an allowed registry",
        severity: Severity::Medium,
        area: Area::Images,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: HARDENING,
        references: &[
            cis("5.5.1"),
            nsa("Threat detection and supply chain: trusted image repositories"),
            mitre("T1204.003 User Execution: Malicious Image"),
        ],
    }
}

impl ImageRegistry {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let allowed = &ctx.settings.allowed_registries;
        if allowed.is_empty() {
            return;
        }
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (c, image) in container_images(&pod) {
            if allowed.iter().any(|entry| image.comes_from(entry)) {
                continue;
            }
            out.push(Violation::new(
                c.path().key("image"),
                format!(
                    "{} image {:?} comes from {}/{}, which no allowedRegistries entry allows",
                    c.describe(),
                    image.raw,
                    image.host(),
                    image.repository()
                ),
            ));
        }
    }
}
