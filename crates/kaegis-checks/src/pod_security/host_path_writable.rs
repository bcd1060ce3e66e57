//! KG136: hostPath volumes must be mounted read-only.
use kaegis_core::{Area, Context, Node, Object, PodSpecView, Severity, Violation};

use super::container_runtime_socket::normalize_host_path;
use super::{mitre, nsa};
use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s};

declare_check! {
    /// ## What
    /// Every `volumeMounts` entry of a container (init, regular and
    /// ephemeral) that mounts a `hostPath` volume must set `readOnly: true`.
    /// It fires once per such mount without it, so a volume two containers
    /// mount read-write is reported twice. A hostPath volume no container
    /// mounts does not fire.
    ///
    /// Left out are the host files a read-only mount cannot protect: volumes
    /// of `type: Socket`, `CharDevice` or `BlockDevice`; paths whose last
    /// component ends in `.sock`; the syslog and journald sockets
    /// (`/dev/log`, `/run/systemd/journal/socket`,
    /// `/run/systemd/journal/dev-log`); and the iptables lock file
    /// `/run/xtables.lock` (or `/var/run/xtables.lock`) that kube-proxy and
    /// CNI plugins mount, which is only ever locked, and locking works on a
    /// read-only mount too. A read-only mount does not stop a process from
    /// connecting to a socket or writing to a device, so the setting would
    /// only look like a fix (the runtime sockets are KG137's).
    ///
    /// ## Why
    /// A writable hostPath lets the container change the node itself: plant
    /// binaries, cron jobs or systemd units, rewrite the kubelet's or
    /// runtime's configuration, or fill the node's disk. Node agents that
    /// only read host files (logs, metrics, certificates) need no write
    /// access, and a read-only mount keeps a compromise of the agent from
    /// becoming a compromise of every node.
    ///
    /// ## How to fix
    /// ```yaml
    /// containers:
    /// - name: log-shipper
    ///   volumeMounts:
    ///   - name: varlog
    ///     mountPath: /var/log
    ///     readOnly: true
    /// volumes:
    /// - name: varlog
    ///   hostPath:
    ///     path: /var/log
    /// ```
    pub struct HostPathWritable {
        code: "KG136",
        slug: "host-path-writable",
        title: "hostPath volumes must be mounted read-only",
        severity: Severity::High,
        area: Area::PodSecurity,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: HARDENING,
        references: &[
            nsa("Pod security: immutable container file systems"),
            mitre("T1611 Escape to Host"),
            k8s("Volumes: hostPath", "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath"),
        ],
    }
}

/// Host files whose protection a read-only mount cannot improve: sockets
/// (connecting needs no write access to the mount) and the iptables lock,
/// which is only ever locked, never written.
fn read_only_meaningless(path: &str) -> bool {
    let Some(path) = normalize_host_path(path) else {
        return false;
    };
    let file = path.rsplit('/').next().unwrap_or("");
    file.ends_with(".sock")
        || matches!(
            path.as_str(),
            "/dev/log"
                | "/run/systemd/journal/socket"
                | "/run/systemd/journal/dev-log"
                | "/run/xtables.lock"
                | "/var/run/xtables.lock"
        )
}

/// The host path of a volume, when it is a hostPath whose write protection
/// a read-only mount can give (not a socket, a device node or a lock file).
fn writable_host_path(vol: &Node) -> Option<&str> {
    let hp = vol.get("hostPath").filter(|n| n.is_map())?;
    let path = hp.get("path").and_then(Node::as_str).unwrap_or("");
    let kind = hp.get("type").and_then(Node::as_str).unwrap_or("");
    if matches!(kind, "Socket" | "CharDevice" | "BlockDevice") || read_only_meaningless(path) {
        return None;
    }
    Some(path)
}

impl HostPathWritable {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        let volumes = pod.volumes();
        if !volumes.iter().any(|v| v.get("hostPath").is_some()) {
            return;
        }
        for c in pod.containers() {
            let mounts = c.node.get("volumeMounts").map_or(&[][..], Node::items);
            for (j, mount) in mounts.iter().enumerate() {
                if mount.get("readOnly").and_then(Node::as_bool) == Some(true) {
                    continue;
                }
                let Some(name) = mount.get("name").and_then(Node::as_str) else {
                    continue;
                };
                // Volume names are unique; the last one wins if not.
                let Some(host) = volumes
                    .iter()
                    .rev()
                    .find(|v| v.get("name").and_then(Node::as_str) == Some(name))
                    .and_then(writable_host_path)
                else {
                    continue;
                };
                let at = mount.get("mountPath").and_then(Node::as_str).unwrap_or("");
                out.push(Violation::new(
                    c.path().key("volumeMounts").index(j).key("readOnly"),
                    format!(
                        "{} mounts hostPath volume {name:?} (the node's {host:?}) read-write at {at:?}",
                        c.describe()
                    ),
                ));
            }
        }
    }
}
