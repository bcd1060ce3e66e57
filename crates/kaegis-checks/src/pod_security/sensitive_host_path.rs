//! KG138: Pods must not mount sensitive directories of the node.
use kaegis_core::{Area, Context, Object, PodSpecView, Severity, Violation};

use super::container_runtime_socket::{host_path_volumes, normalize_host_path, runtime_socket};
use super::{mitre, nsa};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s};

declare_check! {
    /// ## What
    /// Fires for a `hostPath` volume that exposes a sensitive part of the
    /// node, read-only or not. The path is normalised first (`//`, `.`, `..`
    /// and a trailing `/` resolved), then matched:
    ///
    /// - these directories and everything under them: `/proc`, `/sys`,
    ///   `/boot`, `/dev` (except the syslog socket `/dev/log`), `/root`,
    ///   `/home` (GKE keeps node binaries in `/home/kubernetes`),
    ///   `/etc/kubernetes`,
    ///   `/var/lib/etcd`, `/var/lib/docker`, `/var/lib/containerd`, and
    ///   `/var/lib/kubelet` — except the kubelet's plugin registration paths
    ///   that CSI drivers and device plugins are built to mount
    ///   (`/var/lib/kubelet/plugins_registry`,
    ///   `/var/lib/kubelet/device-plugins`, and a driver's own
    ///   `/var/lib/kubelet/plugins/<name>`);
    /// - under `/etc`, only the credential and boot-time configuration
    ///   paths: `/etc/shadow`, `/etc/gshadow`, `/etc/sudoers`,
    ///   `/etc/sudoers.d`, `/etc/ssh`, `/etc/crontab`, `/etc/cron.d`,
    ///   `/etc/systemd`, `/etc/containerd`, `/etc/docker`, `/etc/crio` (and
    ///   below). Common harmless mounts such as `/etc/localtime`,
    ///   `/etc/machine-id`, `/etc/os-release` or `/etc/ssl/certs` pass;
    /// - exactly `/`, `/etc`, `/var` and `/var/lib`, which contain the
    ///   above.
    ///
    /// The container runtime's sockets and their directories (`/run`,
    /// `/var/run`, `/run/containerd`…) are KG137's and are not reported
    /// again here.
    ///
    /// ## Why
    /// These paths are the node's identity and control: `/etc/kubernetes`
    /// and `/var/lib/kubelet` hold the kubelet's and control plane's
    /// credentials and every pod's mounted secrets, `/var/lib/etcd` every
    /// object of the cluster, the runtime directories every container's
    /// file system and environment, `/proc` and `/sys` the node's processes
    /// and kernel settings, `/dev` its disks. Read access leaks
    /// credentials; write access is node takeover.
    ///
    /// ## How to fix
    /// Remove the volume, or narrow it to the one file the agent needs and
    /// mount it read-only:
    /// ```yaml
    /// volumes:
    /// - name: machine-id
    ///   hostPath:
    ///     path: /etc/machine-id
    ///     type: File
    /// ```
    /// Node agents that need one of these paths (node exporters, CSI
    /// drivers, log shippers reading `/var/lib/docker/containers`) should be
    /// waived with a reason (`kaegis.dev/ignore: sensitive-host-path`).
    pub struct SensitiveHostPath {
        code: "KG138",
        slug: "sensitive-host-path",
        title: "Pods must not mount sensitive directories of the node",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: HARDENING,
        references: &[
            nsa("Pod security: hostPath"),
            mitre("T1611 Escape to Host"),
            mitre("T1552 Unsecured Credentials"),
            k8s("Volumes: hostPath", "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"),
        ],
    }
}

/// Directories sensitive with everything under them, and what they hold.
const TREES: &[(&str, &str)] = &[
    ("/proc", "the node's processes and kernel settings"),
    ("/sys", "the node's kernel, device and cgroup interfaces"),
    ("/boot", "the node's kernel and boot loader"),
    // A socket, not a device: host syslog, left to KG136's judgement.
    ("/dev/log", ""),
    ("/dev", "the node's devices"),
    ("/root", "root's home directory and its keys"),
    // GKE's Container-Optimized OS keeps node binaries and drivers here.
    (
        "/home/kubernetes",
        "the node's Kubernetes binaries and drivers",
    ),
    ("/home", "the users' home directories and their keys"),
    (
        "/etc/kubernetes",
        "the kubelet's and control plane's configuration and credentials",
    ),
    (
        "/var/lib/etcd",
        "etcd's data, every object and Secret of the cluster",
    ),
    (
        "/var/lib/docker",
        "the container runtime's state, every container's file system and environment",
    ),
    (
        "/var/lib/containerd",
        "the container runtime's state, every container's file system",
    ),
    (
        "/var/lib/kubelet",
        "the kubelet's state, every pod's mounted secrets and the kubelet's credentials",
    ),
    ("/etc/shadow", "the node's password hashes"),
    ("/etc/gshadow", "the node's group password hashes"),
    ("/etc/sudoers", "the node's sudo rules"),
    ("/etc/sudoers.d", "the node's sudo rules"),
    ("/etc/ssh", "the node's SSH host keys and configuration"),
    ("/etc/crontab", "the node's scheduled jobs"),
    ("/etc/cron.d", "the node's scheduled jobs"),
    ("/etc/systemd", "the node's service definitions"),
    ("/etc/containerd", "the container runtime's configuration"),
    ("/etc/docker", "the container runtime's configuration"),
    ("/etc/crio", "the container runtime's configuration"),
];

/// Directories sensitive only as themselves: they contain the trees above.
const EXACT: &[(&str, &str)] = &[
    ("/", "the node's whole file system"),
    (
        "/etc",
        "the node's whole configuration, credentials included",
    ),
    (
        "/var",
        "the node's state, the kubelet's and the runtime's included",
    ),
    (
        "/var/lib",
        "the node's state, the kubelet's and the runtime's included",
    ),
];

/// Paths under `/var/lib/kubelet` that plugins are designed to mount.
fn kubelet_plugin_path(path: &str) -> bool {
    under(path, "/var/lib/kubelet/plugins_registry")
        || under(path, "/var/lib/kubelet/device-plugins")
        || path.starts_with("/var/lib/kubelet/plugins/")
}

/// True when `path` is `root` or below it.
fn under(path: &str, root: &str) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// What a normalised host path exposes, when it is sensitive.
pub(crate) fn sensitive(path: &str) -> Option<&'static str> {
    if let Some((_, what)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(what);
    }
    if kubelet_plugin_path(path) {
        return None;
    }
    TREES
        .iter()
        .find(|(root, _)| under(path, root))
        .map(|(_, what)| *what)
        .filter(|what| !what.is_empty())
}

impl SensitiveHostPath {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (i, name, path) in host_path_volumes(&pod) {
            let Some(normalized) = normalize_host_path(path) else {
                continue;
            };
            if runtime_socket(path, Some(&normalized)).is_some() {
                continue;
            }
            if let Some(what) = sensitive(&normalized) {
                out.push(Violation::new(
                    pod.path("volumes").index(i).key("hostPath").key("path"),
                    format!("volume {name:?} mounts the node's {path:?}, which exposes {what}"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sensitive;
    use crate::pod_security::container_runtime_socket::{normalize_host_path, runtime_socket};

    fn kind(p: &str) -> &'static str {
        let n = normalize_host_path(p);
        if runtime_socket(p, n.as_deref()).is_some() {
            "socket"
        } else if n.as_deref().and_then(sensitive).is_some() {
            "sensitive"
        } else {
            "ok"
        }
    }

    #[test]
    fn classifies_host_paths() {
        for p in [
            "/var/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/var/run/",
            "/run",
            "/var/run/crio",
            "/run/k3s/containerd/containerd.sock",
            "/run/user/1000/podman/podman.sock",
            r"\\.\pipe\docker_engine",
            "//./pipe/docker_engine",
        ] {
            assert_eq!(kind(p), "socket", "{p}");
        }
        for p in [
            "/",
            "//",
            "/etc/",
            "/etc/kubernetes/pki",
            "/var/lib/kubelet",
            "/var/lib/kubelet/pods",
            "/proc",
            "/sys/fs/cgroup",
            "/dev/kmsg",
            "/var/lib/docker/containers",
            "/tmp/../etc",
            "/var/lib",
            "/home/ubuntu/.ssh",
            "/home/kubernetes/bin",
            "/etc/ssh/",
            "/boot",
        ] {
            assert_eq!(kind(p), "sensitive", "{p}");
        }
        for p in [
            "/dev/log",
            "/etc/localtime",
            "/etc/ssl/certs",
            "/etc/machine-id",
            "/var/log",
            "/run/xtables.lock",
            "/lib/modules",
            "/var/lib/kubelet/plugins/ebs.csi.aws.com",
            "/var/lib/kubelet/plugins_registry",
            "/var/lib/kubelet/device-plugins",
            "/data",
            "/procfs",
            "/var/runtime",
            "/etc/kubernetes-backup",
            "C:\\data",
            "",
        ] {
            assert_eq!(kind(p), "ok", "{p}");
        }
    }
}
