//! KG137: Pods must not mount the container runtime's socket.
use kaegis_core::{Area, Context, Node, Object, PodSpecView, Severity, Violation};

use super::{mitre, nsa};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s};

declare_check! {
    /// ## What
    /// Fires for a `hostPath` volume whose path is a container runtime's API
    /// socket or a directory that holds one:
    ///
    /// - a file named `docker.sock`, `containerd.sock`,
    ///   `containerd.sock.ttrpc`, `crio.sock`, `dockershim.sock`,
    ///   `cri-dockerd.sock` or `podman.sock`, in any directory
    ///   (`/var/run/docker.sock`, `/run/k3s/containerd/containerd.sock`,
    ///   `/run/user/1000/podman/podman.sock`);
    /// - the directories `/run`, `/run/containerd`, `/run/docker`,
    ///   `/run/crio`, `/run/podman`, `/run/k3s/containerd`,
    ///   `/run/cri-dockerd` and the same under `/var/run`;
    /// - Docker's and containerd's Windows named pipes
    ///   (`\\.\pipe\docker_engine`, `\\.\pipe\containerd-containerd`).
    ///
    /// Paths are compared after normalisation (`//`, `.`, `..` and a
    /// trailing `/` resolved), whether or not the volume is mounted
    /// read-only: a read-only mount does not stop a client from connecting
    /// to a socket. A mount of `/` (which also holds the sockets) is reported
    /// by KG138, not here.
    ///
    /// ## Why
    /// The runtime socket is the node's container API: whoever can talk to
    /// it starts a privileged container with the node's root file system
    /// mounted, reads every container's environment and secrets, or execs
    /// into any pod, with no Kubernetes authorisation or audit in between.
    /// Mounting it is node takeover with one command.
    ///
    /// ## How to fix
    /// Remove the volume. Build images with a daemonless builder (BuildKit
    /// rootless, Kaniko, Buildah) instead of Docker-in-Docker through the
    /// host socket; read container metadata through the Kubernetes API or
    /// the kubelet's stats endpoints:
    /// ```yaml
    /// # instead of a hostPath of /var/run/docker.sock
    /// containers:
    /// - name: build
    ///   image: moby/buildkit:v0.16.0-rootless
    /// ```
    /// Monitoring agents that truly need the socket should be waived with a
    /// reason (`kaegis.dev/ignore: container-runtime-socket`).
    pub struct ContainerRuntimeSocket {
        code: "KG137",
        slug: "container-runtime-socket",
        title: "Pods must not mount the container runtime's socket",
        severity: Severity::Critical,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: HARDENING,
        references: &[
            nsa("Pod security: hostPath"),
            mitre("T1611 Escape to Host"),
            mitre("T1610 Deploy Container"),
            k8s("Volumes: hostPath", "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"),
        ],
    }
}

/// Socket file names of container runtimes, with the runtime's name.
const SOCKETS: &[(&str, &str)] = &[
    ("docker.sock", "the Docker daemon's socket"),
    ("containerd.sock", "containerd's socket"),
    ("containerd.sock.ttrpc", "containerd's socket"),
    ("crio.sock", "CRI-O's socket"),
    ("dockershim.sock", "the dockershim socket"),
    ("cri-dockerd.sock", "cri-dockerd's socket"),
    ("podman.sock", "Podman's socket"),
];

/// Directories that hold a runtime socket (also under `/var/run`).
const SOCKET_DIRS: &[&str] = &[
    "/run",
    "/run/containerd",
    "/run/docker",
    "/run/crio",
    "/run/podman",
    "/run/k3s/containerd",
    "/run/cri-dockerd",
];

/// Windows named pipes of container runtimes, lower-case.
const PIPES: &[(&str, &str)] = &[
    (r"\\.\pipe\docker_engine", "the Docker daemon's named pipe"),
    (r"\\.\pipe\containerd-containerd", "containerd's named pipe"),
];

/// A host path made absolute and canonical without touching the file
/// system: `//`, `.` and `..` resolved, no trailing `/`. `None` for a path
/// that is not absolute (a Windows path, an empty string).
pub(crate) fn normalize_host_path(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Some("/".to_owned());
    }
    let mut out = String::with_capacity(path.len());
    for p in parts {
        out.push('/');
        out.push_str(p);
    }
    Some(out)
}

/// What runtime socket (or socket directory) a hostPath exposes, if any.
/// `raw` is the path as written, `normalized` its [`normalize_host_path`].
pub(crate) fn runtime_socket(raw: &str, normalized: Option<&str>) -> Option<&'static str> {
    if raw.starts_with(r"\\") || raw.starts_with("//") {
        let pipe = raw.replace('/', "\\");
        if let Some((_, what)) = PIPES.iter().find(|(p, _)| p.eq_ignore_ascii_case(&pipe)) {
            return Some(what);
        }
    }
    let path = normalized?;
    let file = path.rsplit('/').next().unwrap_or(path);
    if let Some((_, what)) = SOCKETS.iter().find(|(name, _)| *name == file) {
        return Some(what);
    }
    let dir = path
        .strip_prefix("/var")
        .filter(|d| d.starts_with("/run"))
        .unwrap_or(path);
    SOCKET_DIRS
        .contains(&dir)
        .then_some("a directory holding the container runtime's socket")
}

/// Each hostPath volume of a pod spec: index, volume name, path as written.
pub(crate) fn host_path_volumes<'a>(
    pod: &PodSpecView<'a>,
) -> impl Iterator<Item = (usize, &'a str, &'a str)> + 'a {
    pod.volumes().iter().enumerate().filter_map(|(i, vol)| {
        let hp = vol.get("hostPath").filter(|n| n.is_map())?;
        let name = vol.get("name").and_then(Node::as_str).unwrap_or("");
        let path = hp.get("path").and_then(Node::as_str)?;
        Some((i, name, path))
    })
}

impl ContainerRuntimeSocket {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (i, name, path) in host_path_volumes(&pod) {
            let normalized = normalize_host_path(path);
            if let Some(what) = runtime_socket(path, normalized.as_deref()) {
                out.push(Violation::new(
                    pod.path("volumes").index(i).key("hostPath").key("path"),
                    format!("volume {name:?} mounts the node's {path:?}, {what}"),
                ));
            }
        }
    }
}
