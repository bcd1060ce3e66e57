//! KG206: Containers should run minimal images, not full OS or toolchain images.
use kaegis_core::{Area, Context, Object, PodSpecView, Severity, Violation};

use super::{ImageRef, container_images};
use crate::macros::declare_check;
use crate::refs::{PRODUCTION, k8s, nsa};

declare_check! {
    /// ## What
    /// Fires for a container that runs a general-purpose distribution image
    /// or a language image that carries its whole build toolchain:
    ///
    /// - full operating systems: `ubuntu`, `debian` (except `-slim` tags),
    ///   `centos`, `fedora`, `amazonlinux`, `rockylinux`, `almalinux`,
    ///   `oraclelinux`, `archlinux`, `opensuse/leap`, `opensuse/tumbleweed`,
    ///   Red Hat's full UBI (`ubi8/ubi`, `ubi9/ubi`, `ubi10/ubi`);
    /// - language and build images: `buildpack-deps`, `node`, `python`,
    ///   `ruby`, `perl`, `openjdk`, `eclipse-temurin`, `amazoncorretto`,
    ///   `maven`, `gradle`, `golang`, `rust`, `gcc`, and
    ///   `mcr.microsoft.com/dotnet/sdk`.
    ///
    /// Docker Hub names match as official images (`python` is
    /// `docker.io/library/python`) and on any mirror that keeps the
    /// `library/` path (`public.ecr.aws/docker/library/python`); the others
    /// match as the path's tail on any registry (`quay.io/centos/centos`).
    /// An image in a different namespace (`calico/node`, `bitnami/python`)
    /// does not match. A tag naming a small variant passes: one containing
    /// `slim`, `alpine`, `distroless`, `minimal` or `micro`
    /// (`python:3.12-slim`, `node:22-alpine`, `rockylinux:9-minimal`). An
    /// image pinned by digest without a tag passes, since its variant cannot
    /// be read from the reference; an image without tag or digest is the
    /// full `latest` and fires.
    ///
    /// ## Why
    /// A full distribution image ships a shell, a package manager, compilers
    /// and hundreds of libraries the application never calls: each is a
    /// vulnerability scanners report, and all of them are tools an attacker
    /// who gets code execution uses to download, build and run the next
    /// stage. Images several times larger also pull and start more slowly.
    ///
    /// ## How to fix
    /// Build in the full image, ship in a small one (multi-stage build), or
    /// use the slim variant:
    /// ```yaml
    /// containers:
    /// - name: api
    ///   image: python:3.12-slim
    /// - name: worker
    ///   image: gcr.io/distroless/static-debian12:nonroot
    /// ```
    pub struct MinimalBaseImage {
        code: "KG206",
        slug: "minimal-base-image",
        title: "Containers should run minimal images, not full OS or toolchain images",
        severity: Severity::Low,
        area: Area::Images,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: PRODUCTION,
        references: &[
            nsa("Pod security: build secure container images"),
            k8s("Security checklist: images", "https://kubernetes.io/docs/concepts/security/security-checklist/#images"),
        ],
    }
}

/// Docker Hub official images that are full operating systems.
const OS_IMAGES: &[&str] = &[
    "ubuntu",
    "debian",
    "centos",
    "fedora",
    "amazonlinux",
    "rockylinux",
    "almalinux",
    "oraclelinux",
    "archlinux",
];

/// Docker Hub official images that carry a language's build toolchain.
const TOOLCHAIN_IMAGES: &[&str] = &[
    "buildpack-deps",
    "node",
    "python",
    "ruby",
    "perl",
    "openjdk",
    "eclipse-temurin",
    "amazoncorretto",
    "maven",
    "gradle",
    "golang",
    "rust",
    "gcc",
];

/// Repositories outside Docker Hub's `library/`, matched as the path's tail,
/// with what they are.
const OTHER_IMAGES: &[(&str, &str)] = &[
    ("opensuse/leap", "a full operating system"),
    ("opensuse/tumbleweed", "a full operating system"),
    ("amazonlinux/amazonlinux", "a full operating system"),
    ("centos/centos", "a full operating system"),
    ("fedora/fedora", "a full operating system"),
    ("ubi8/ubi", "a full operating system"),
    ("ubi9/ubi", "a full operating system"),
    ("ubi10/ubi", "a full operating system"),
    ("dotnet/sdk", "a build toolchain"),
];

/// Tag words that name a small variant of an image.
const SMALL_VARIANTS: &[&str] = &["slim", "alpine", "distroless", "minimal", "micro"];

/// What the image is, when it is a full OS or toolchain image.
fn full_image(image: &ImageRef<'_>) -> Option<&'static str> {
    // `image.path` is the repository without Docker Hub's implicit
    // `library/`, so official images match without allocating.
    let path = image.path;
    let tail_is = |p: &str| {
        path.strip_suffix(p)
            .is_some_and(|head| head.is_empty() || head.ends_with('/'))
    };
    let library = |n: &str| {
        (path == n && image.is_docker_hub())
            || path
                .strip_suffix(n)
                .is_some_and(|head| head == "library/" || head.ends_with("/library/"))
    };
    let what = if OS_IMAGES.iter().any(|n| library(n)) {
        "a full operating system"
    } else if TOOLCHAIN_IMAGES.iter().any(|n| library(n)) {
        "a language image with its build toolchain"
    } else {
        OTHER_IMAGES.iter().find(|(p, _)| tail_is(p))?.1
    };
    let tag = match image.tag {
        Some(tag) => tag.to_ascii_lowercase(),
        None if image.digest.is_some() => return None,
        None => String::new(),
    };
    if SMALL_VARIANTS.iter().any(|v| tag.contains(v)) {
        return None;
    }
    Some(what)
}

impl MinimalBaseImage {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (c, image) in container_images(&pod) {
            if let Some(what) = full_image(&image) {
                out.push(Violation::new(
                    c.path().key("image"),
                    format!(
                        "{} runs {:?}, {what}; use a slim, alpine or distroless variant",
                        c.describe(),
                        image.raw
                    ),
                ));
            }
        }
    }
}
