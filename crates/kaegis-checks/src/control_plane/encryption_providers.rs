//! KG840: Secrets must be encrypted at rest by a real provider.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use crate::macros::declare_check;
use crate::refs::{CIS_HARDENING, cis, k8s};

/// Providers that encrypt (the first provider of a resource is what new
/// writes use).
const ENCRYPTING: [&str; 4] = ["aescbc", "aesgcm", "secretbox", "kms"];

declare_check! {
    /// ## What
    /// Reads the API server's `EncryptionConfiguration`
    /// (`apiserver.config.k8s.io/v1`, the file `--encryption-provider-config`
    /// names; `kaegis node` loads it, and `kaegis scan` reads it from a
    /// repository) and fails when:
    /// - no entry of `resources` covers Secrets (`secrets`, `*.` or `*.*`);
    /// - the entry that covers Secrets lists `identity` first, or a provider
    ///   that does not encrypt, as its first provider — the first one is what
    ///   every new write uses; later ones only read older data.
    ///
    /// Accepted first providers: `kms` (v2 preferred: keys outside the
    /// node), `secretbox`, `aesgcm` (with key rotation) and `aescbc`.
    ///
    /// ## Why
    /// Without encryption at rest, etcd's data directory, its snapshots and
    /// every backup hold the cluster's Secrets in clear text: whoever gets a
    /// copy reads every password, token and key. A configuration that lists
    /// `identity` first looks enabled but stores new Secrets unencrypted.
    ///
    /// ## How to fix
    /// Put an encrypting provider first (keep `identity` last only while
    /// older, unencrypted Secrets are rewritten with `kubectl get secrets -A
    /// -o json | kubectl replace -f -`):
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    /// - resources: [secrets]
    ///   providers:
    ///   - kms:
    ///       apiVersion: v2
    ///       name: cloud-kms
    ///       endpoint: unix:///var/run/kmsplugin/socket.sock
    ///   - identity: {}
    /// ```
    pub struct EncryptionProviders {
        code: "KG840",
        slug: "encryption-providers",
        title: "Secrets must be encrypted at rest by a real provider",
        severity: Severity::High,
        area: Area::ControlPlane,
        kinds: &["EncryptionConfiguration"],
        profiles: CIS_HARDENING,
        references: &[
            cis("1.2.28"),
            k8s(
                "Encrypting confidential data at rest",
                "https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/",
            ),
        ],
    }
}

/// True when a `resources` item names Secrets: `secrets`, `secrets.` (the
/// core group spelled out), or a wildcard over the core group.
fn covers_secrets(name: &str) -> bool {
    matches!(name, "secrets" | "secrets." | "*." | "*.*")
}

impl EncryptionProviders {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.group() != "apiserver.config.k8s.io" {
            return;
        }
        let entries = obj.root.get("resources").map_or(&[][..], Node::items);
        // The API server uses the first entry that matches a resource.
        let entry = entries.iter().enumerate().find(|(_, e)| {
            e.get("resources")
                .map_or(&[][..], Node::items)
                .iter()
                .any(|r| r.as_str().is_some_and(covers_secrets))
        });
        let Some((i, entry)) = entry else {
            out.push(Violation::new(
                JsonPath::root().key("resources"),
                "no entry covers secrets: Secrets are stored unencrypted",
            ));
            return;
        };
        let path = JsonPath::root()
            .key("resources")
            .index(i)
            .key("providers")
            .index(0);
        let first = entry
            .get("providers")
            .and_then(|p| p.items().first())
            .and_then(|p| p.entries().first())
            .map(|e| &*e.key);
        match first {
            Some(p) if ENCRYPTING.contains(&p) => {}
            Some("identity") => out.push(Violation::new(
                path,
                "the first provider for secrets is identity: new Secrets are stored unencrypted",
            )),
            Some(other) => out.push(Violation::new(
                path,
                format!("the first provider for secrets is {other}, which kaegis does not know to encrypt (kms, secretbox, aesgcm or aescbc)"),
            )),
            None => out.push(Violation::new(
                JsonPath::root().key("resources").index(i),
                "the entry that covers secrets lists no provider",
            )),
        }
    }
}
