//! Checks of the `images` area: where container images come from and how
//! they are pinned.
//!
//! Every check here reads image references through one parser,
//! [`ImageRef`], which normalises them the way Docker and the container
//! runtimes do: a reference without a registry host comes from `docker.io`,
//! and a single-component name there lives under `library/`
//! (`nginx` is `docker.io/library/nginx`). The first path component is a
//! registry host only when it contains a `.` or a `:`, is `localhost`, or
//! has an upper-case letter (repository paths are lower-case).
//!
//! Values that are not image references at all — template placeholders such
//! as `${IMAGE}` or `{{ .Values.image }}` left in a manifest — are skipped by
//! every image check: kaegis cannot tell what they will become.

pub mod image_digest;
pub mod image_pull_policy;
pub mod image_pull_secrets;
pub mod image_registry;
pub mod image_registry_host;
pub mod image_tag;
pub mod minimal_base_image;

use std::borrow::Cow;

use kaegis_core::{Check, ContainerView, Node, PodSpecView};

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &image_tag::ImageTag,
    &image_digest::ImageDigest,
    &image_registry::ImageRegistry,
    &image_pull_policy::ImagePullPolicy,
    &image_pull_secrets::ImagePullSecrets,
    &minimal_base_image::MinimalBaseImage,
    &image_registry_host::ImageRegistryHost,
];

/// Docker Hub, as references name it once normalised.
pub const DOCKER_HUB: &str = "docker.io";

/// A parsed container image reference:
/// `[host[:port]/]path[:tag][@algorithm:hex]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// The reference as written.
    pub raw: &'a str,
    /// The registry host (with its port) when the reference names one.
    pub explicit_host: Option<&'a str>,
    /// The repository path as written after the host (without the
    /// `library/` Docker adds to official images).
    pub path: &'a str,
    /// The tag, when there is one.
    pub tag: Option<&'a str>,
    /// The digest (`sha256:…`), when there is one.
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Parses a reference; `None` for anything that is not a well-formed
    /// image reference (empty, a template placeholder, spaces, an upper-case
    /// repository path, an empty tag or digest).
    pub fn parse(raw: &'a str) -> Option<Self> {
        if raw.is_empty()
            || !raw.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b':' | b'@')
            })
        {
            return None;
        }
        let (name, digest) = match raw.split_once('@') {
            Some((name, digest)) => {
                let (algo, hex) = digest.split_once(':')?;
                if algo.is_empty() || hex.is_empty() || digest.contains('@') {
                    return None;
                }
                (name, Some(digest))
            }
            None => (raw, None),
        };
        let (explicit_host, rest) = match name.split_once('/') {
            Some((first, rest)) if is_host(first) => (Some(first), rest),
            _ => (None, name),
        };
        // A tag is what follows the last `:` after the last `/`.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                let tag = &rest[at + 1..];
                if tag.is_empty() || tag.len() > 128 {
                    return None;
                }
                (&rest[..at], Some(tag))
            }
            None => (rest, None),
        };
        let path_ok = !path.is_empty()
            && path.split('/').all(|c| !c.is_empty())
            && path.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'_' | b'-' | b'/')
            });
        if !path_ok || explicit_host.is_some_and(str::is_empty) {
            return None;
        }
        Some(Self {
            raw,
            explicit_host,
            path,
            tag,
            digest,
        })
    }

    /// The registry host, normalised: `docker.io` when the reference names
    /// none, and for Docker Hub's other names (`index.docker.io`,
    /// `registry-1.docker.io`, `registry.hub.docker.com`).
    pub fn host(&self) -> &'a str {
        match self.explicit_host {
            None => DOCKER_HUB,
            Some(h) => normalize_host(h),
        }
    }

    /// True for Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.host() == DOCKER_HUB
    }

    /// The repository path, normalised: Docker Hub's single-component names
    /// gain `library/`.
    pub fn repository(&self) -> Cow<'a, str> {
        if self.is_docker_hub() && !self.path.contains('/') {
            Cow::Owned(format!("library/{}", self.path))
        } else {
            Cow::Borrowed(self.path)
        }
    }

    /// The last component of the repository path (`nginx`, `node`).
    pub fn short_name(&self) -> &'a str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }

    /// True when the reference carries a well-formed `sha256` (or `sha512`)
    /// digest: the runtime then pulls exactly that content, whatever the tag.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some_and(|d| {
            let hex_ok = |h: &str, n: usize| {
                h.len() == n
                    && h.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            };
            match d.split_once(':') {
                Some(("sha256", h)) => hex_ok(h, 64),
                Some(("sha512", h)) => hex_ok(h, 128),
                _ => false,
            }
        })
    }

    /// True when the reference has no tag and no digest (the runtime pulls
    /// `:latest`).
    pub fn is_untagged(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }

    /// True when the image resolves to the `latest` tag: tagged `latest`, or
    /// with neither tag nor digest. This is also the test Kubernetes uses to
    /// default `imagePullPolicy` to `Always`.
    pub fn is_latest(&self) -> bool {
        self.tag == Some("latest") || self.is_untagged()
    }

    /// True when the image comes from `entry`: a registry host
    /// (`registry.example.com`, `docker.io`) or a host and path prefix
    /// (`docker.io/library`, `ghcr.io/acme`), matched at a `/` boundary after
    /// normalising both sides. Hosts compare case-insensitively; a scheme
    /// (`https://`) and a trailing `/` in the entry are ignored.
    pub fn comes_from(&self, entry: &str) -> bool {
        let entry = entry.trim();
        let entry = entry
            .strip_prefix("https://")
            .or_else(|| entry.strip_prefix("http://"))
            .unwrap_or(entry)
            .trim_end_matches('/');
        let (entry_host, entry_path) = entry.split_once('/').unwrap_or((entry, ""));
        if entry_host.is_empty() || !normalize_host(entry_host).eq_ignore_ascii_case(self.host()) {
            return false;
        }
        if entry_path.is_empty() {
            return true;
        }
        let repo = self.repository();
        match repo.strip_prefix(entry_path) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }
}

/// True when the first component of a name is a registry host.
fn is_host(first: &str) -> bool {
    first.contains(['.', ':'])
        || first == "localhost"
        || first.bytes().any(|b| b.is_ascii_uppercase())
}

/// Docker Hub's other names become `docker.io`; any other host is kept.
fn normalize_host(host: &str) -> &str {
    const HUB_ALIASES: [&str; 4] = [
        DOCKER_HUB,
        "index.docker.io",
        "registry-1.docker.io",
        "registry.hub.docker.com",
    ];
    if HUB_ALIASES.iter().any(|a| a.eq_ignore_ascii_case(host)) {
        DOCKER_HUB
    } else {
        host
    }
}

/// Every container of a pod spec whose `image` is a well-formed reference,
/// with that reference and the path to the `image` field's container.
pub fn container_images<'p>(
    pod: &'p PodSpecView<'_>,
) -> impl Iterator<Item = (ContainerView<'p>, ImageRef<'p>)> + 'p {
    pod.containers().filter_map(|c| {
        let image = c.node.get("image").and_then(Node::as_str)?;
        Some((c, ImageRef::parse(image)?))
    })
}

#[cfg(test)]
mod tests {
    use super::ImageRef;

    /// Host, repository, tag, digest, and whether the host was written.
    type Parts = (String, String, Option<String>, Option<String>, bool);

    fn parts(s: &str) -> Option<Parts> {
        let r = ImageRef::parse(s)?;
        Some((
            r.host().to_owned(),
            r.repository().into_owned(),
            r.tag.map(str::to_owned),
            r.digest.map(str::to_owned),
            r.explicit_host.is_some(),
        ))
    }

    #[test]
    fn normalises_like_docker() {
        let p = |s| parts(s).unwrap();
        assert_eq!(
            p("nginx"),
            (
                "docker.io".into(),
                "library/nginx".into(),
                None,
                None,
                false
            )
        );
        assert_eq!(p("nginx:1.25").2.as_deref(), Some("1.25"));
        assert_eq!(p("bitnami/redis:7").1, "bitnami/redis");
        assert_eq!(p("docker.io/nginx").1, "library/nginx");
        assert_eq!(p("index.docker.io/nginx").0, "docker.io");
        assert_eq!(p("localhost/app").0, "localhost");
        assert_eq!(
            p("localhost:5000/app:v1"),
            (
                "localhost:5000".into(),
                "app".into(),
                Some("v1".into()),
                None,
                true
            )
        );
        assert_eq!(p("registry.k8s.io/pause:3.9").0, "registry.k8s.io");
        assert_eq!(p("Registry/app").0, "Registry");
        // `foo:5000` without a slash is a repository and a tag.
        assert_eq!(
            p("foo:5000"),
            (
                "docker.io".into(),
                "library/foo".into(),
                Some("5000".into()),
                None,
                false
            )
        );
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let r = ImageRef::parse(
            "quay.io/a/b:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        )
        .unwrap();
        assert_eq!(r.digest, Some(d));
        assert_eq!(r.tag, Some("1"));
        assert!(r.is_pinned());
        assert!(!ImageRef::parse("a@sha256:abc").unwrap().is_pinned());
        assert!(ImageRef::parse("ghcr.io/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").unwrap().tag.is_none());
    }

    #[test]
    fn rejects_what_is_not_a_reference() {
        for s in [
            "",
            "${IMAGE}",
            "{{ .Values.image }}",
            "<image>",
            "a b",
            "UPPER",
            "a/",
            "/a",
            "a//b",
            "a:",
            "a@",
            "a@sha256",
            "x.io/",
            "a@b:c@d:e",
        ] {
            assert!(ImageRef::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn matches_registry_prefixes_at_slash_boundaries() {
        let r = ImageRef::parse("registry.example.com/team/app:1").unwrap();
        assert!(r.comes_from("registry.example.com"));
        assert!(r.comes_from("REGISTRY.example.com/"));
        assert!(r.comes_from("https://registry.example.com/team"));
        assert!(r.comes_from("registry.example.com/team/app"));
        assert!(!r.comes_from("registry.example.com/tea"));
        assert!(!r.comes_from("registry.example.co"));
        assert!(!r.comes_from("example.com"));
        let hub = ImageRef::parse("nginx").unwrap();
        assert!(hub.comes_from("docker.io"));
        assert!(hub.comes_from("index.docker.io/library"));
        assert!(!hub.comes_from("docker.io/nginx"));
        assert!(!hub.comes_from(""));
    }
}
