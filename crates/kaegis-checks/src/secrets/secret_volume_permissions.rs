//! KG304: Secret volume files must not be readable by other users or
//! writable.
use kaegis_core::{Area, Context, JsonPath, Node, Object, PodSpecView, Severity, Violation};

use super::file_mode;
use super::secret_volume_read_only::is_secret_volume;
use crate::macros::declare_check;
use crate::refs::{k8s, mitre};

declare_check! {
    /// ## What
    /// Fires for a file mode set on a Secret volume that grants any
    /// permission to other users (`mode & 0007`) or write permission to
    /// anyone (`mode & 0222`): a `secret` volume's `defaultMode` or an
    /// `items[].mode`, and a `projected` volume's `defaultMode` (when it has
    /// a `secret` source) or a secret source's `items[].mode`. `0400`,
    /// `0440`, `0500` and `0550` pass.
    ///
    /// Modes are read as Kubernetes reads YAML: a plain `0644` is octal
    /// (YAML 1.1), so `defaultMode: 0644` and `defaultMode: 420` are the same
    /// mode and are both reported; JSON has decimal only.
    ///
    /// A volume without `defaultMode` is not reported, although the API
    /// server defaults it to `0644`: the check reports what a manifest
    /// chooses, not every Secret volume. Objects read back from a cluster
    /// carry the defaulted `defaultMode: 420` and are reported, which is why
    /// this check is only in the `all` profile.
    ///
    /// ## Why
    /// Secret files should be readable by the process that needs them and no
    /// one else. A mode with "other" bits lets every user in the container —
    /// a sidecar's or helper process's UID, a compromised worker process
    /// that dropped privileges — read the credential; write bits contradict
    /// the read-only nature of the data and only hold back on kubelets that
    /// force the mount read-only.
    ///
    /// ## How to fix
    /// `0400` when the file's owner (root, or the pod's `fsGroup` with group
    /// read) is the reading process; `0440` with `fsGroup` for a non-root
    /// process:
    /// ```yaml
    /// securityContext:
    ///   fsGroup: 10001
    /// volumes:
    /// - name: db
    ///   secret:
    ///     secretName: db
    ///     defaultMode: 0440
    /// ```
    pub struct SecretVolumePermissions {
        code: "KG304",
        slug: "secret-volume-permissions",
        title: "Secret volume files must not be readable by others or writable",
        severity: Severity::Low,
        area: Area::Secrets,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
        profiles: &[],
        references: &[
            k8s("Secret files permissions", "https://kubernetes.io/docs/concepts/configuration/secret/#secret-files-permissions"),
            mitre("T1552.001 Credentials In Files"),
        ],
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// What a mode grants that it should not, or `None` when it is tight.
fn excess(mode: u32) -> Option<String> {
    let pick = |bits: &[(u32, &'static str)]| -> Vec<&'static str> {
        bits.iter()
            .filter(|(bit, _)| mode & bit != 0)
            .map(|(_, word)| *word)
            .collect()
    };
    let others = pick(&[(0o004, "read"), (0o002, "write"), (0o001, "execute")]);
    let writers = pick(&[(0o200, "the owner"), (0o020, "the group")]);
    let mut parts = Vec::new();
    if !others.is_empty() {
        parts.push(format!("gives other users {}", and_list(&others)));
    }
    if !writers.is_empty() {
        parts.push(format!("lets {} write", and_list(&writers)));
    }
    (!parts.is_empty()).then(|| parts.join(" and "))
}

impl SecretVolumePermissions {
    fn report(
        out: &mut Vec<Violation>,
        node: Option<&Node>,
        path: JsonPath,
        what: impl FnOnce() -> String,
    ) {
        let Some(mode) = node.and_then(file_mode) else {
            return;
        };
        if let Some(excess) = excess(mode) {
            out.push(Violation::new(
                path,
                format!("{} {mode:04o} ({mode}), which {excess}", what()),
            ));
        }
    }

    fn items(out: &mut Vec<Violation>, items: Option<&Node>, path: &JsonPath, volume: &str) {
        for (k, item) in items.map_or(&[][..], Node::items).iter().enumerate() {
            let key = item.get("key").and_then(Node::as_str).unwrap_or("");
            Self::report(out, item.get("mode"), path.index(k).key("mode"), || {
                format!("key \"{key}\" of Secret volume \"{volume}\" has mode")
            });
        }
    }

    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        for (i, vol) in pod.volumes().iter().enumerate() {
            if !is_secret_volume(vol) {
                continue;
            }
            let name = vol.get("name").and_then(Node::as_str).unwrap_or("");
            let base = pod.path("volumes").index(i);
            if let Some(secret) = vol.get("secret").filter(|s| s.is_map()) {
                let p = base.key("secret");
                Self::report(out, secret.get("defaultMode"), p.key("defaultMode"), || {
                    format!("Secret volume \"{name}\" sets defaultMode")
                });
                Self::items(out, secret.get("items"), &p.key("items"), name);
            }
            if let Some(projected) = vol.get("projected").filter(|s| s.is_map()) {
                let p = base.key("projected");
                Self::report(
                    out,
                    projected.get("defaultMode"),
                    p.key("defaultMode"),
                    || format!("projected Secret volume \"{name}\" sets defaultMode"),
                );
                let sources = projected.get("sources").map_or(&[][..], Node::items);
                for (s, src) in sources.iter().enumerate() {
                    if let Some(secret) = src.get("secret") {
                        let items = p.key("sources").index(s).keys(&["secret", "items"]);
                        Self::items(out, secret.get("items"), &items, name);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::excess;

    #[test]
    fn tight_modes_pass() {
        for mode in [0o400, 0o440, 0o500, 0o550, 0] {
            assert_eq!(excess(mode), None, "{mode:o}");
        }
        assert_eq!(
            excess(0o644).as_deref(),
            Some("gives other users read and lets the owner write")
        );
        assert_eq!(excess(0o600).as_deref(), Some("lets the owner write"));
        assert_eq!(excess(0o401).as_deref(), Some("gives other users execute"));
        assert_eq!(
            excess(0o777).as_deref(),
            Some(
                "gives other users read, write and execute and lets the owner and the group write"
            )
        );
    }
}
