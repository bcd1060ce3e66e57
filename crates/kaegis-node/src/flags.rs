//! Command lines the way Go programs read them: Kubernetes components use
//! `spf13/pflag`, etcd Go's `flag` package. Both take `--name=value` and
//! `--name value`; a boolean flag given bare (`--name`) is `true` and never
//! takes the next argument as its value (`--anonymous-auth false` leaves
//! `false` as a positional argument and the flag `true`); the last
//! occurrence of a flag wins; `--` ends the flags.
//!
//! kaegis does not know every flag's type, so whether a bare flag takes the
//! next argument is decided by [`BOOLEAN_FLAGS`] (the booleans of the six
//! components, as their `--help` lists them), and for other names by the
//! next argument: it is the value unless it looks like a flag itself.

use std::collections::BTreeMap;

use kaegis_core::Pos;

/// One argument of a command line and where it is (a column of
/// `/proc/<pid>/cmdline`, or the item of a manifest's `command`/`args`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The argument's text.
    pub text: String,
    /// Where it is.
    pub pos: Pos,
}

/// A flag's value and the position of the argument that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagValue {
    /// The value as text (`"true"` for a bare boolean).
    pub value: String,
    /// Where the argument holding the value is.
    pub pos: Pos,
}

/// Flags by name (without dashes), each its last occurrence.
pub type Flags = BTreeMap<String, FlagValue>;

/// Boolean flags of kube-apiserver, kube-controller-manager,
/// kube-scheduler, kubelet, kube-proxy and etcd: bare means `true`, and
/// they never take the next argument.
pub const BOOLEAN_FLAGS: &[&str] = &[
    // Shared by the Kubernetes components.
    "profiling",
    "contention-profiling",
    "leader-elect",
    "logtostderr",
    "alsologtostderr",
    "one-output",
    "skip-headers",
    "skip-log-headers",
    "help",
    "authentication-skip-lookup",
    "authentication-tolerate-lookup-failure",
    "permit-port-sharing",
    "permit-address-sharing",
    // kube-apiserver
    "anonymous-auth",
    "allow-privileged",
    "enable-bootstrap-token-auth",
    "enable-aggregator-routing",
    "enable-priority-and-fairness",
    "enable-logs-handler",
    "enable-garbage-collector",
    "service-account-lookup",
    "audit-log-compress",
    "delete-collection-workers-enabled",
    "watch-cache",
    "enable-admission-plugins-all",
    "storage-media-type-json",
    "event-ttl-enabled",
    "kubelet-https",
    "strict-transport-security-directives-enabled",
    "oidc-skip-issuer-verification",
    // kube-controller-manager
    "use-service-account-credentials",
    "allocate-node-cidrs",
    "configure-cloud-routes",
    "enable-dynamic-provisioning",
    "enable-hostpath-provisioner",
    "enable-taint-manager",
    // kubelet
    "rotate-certificates",
    "rotate-server-certificates",
    "protect-kernel-defaults",
    "make-iptables-util-chains",
    "seccomp-default",
    "authentication-token-webhook",
    "fail-swap-on",
    "cgroups-per-qos",
    "enable-server",
    "enable-debugging-handlers",
    "enable-controller-attach-detach",
    "register-node",
    "register-schedulable",
    "serialize-image-pulls",
    "kernel-memcg-notification",
    "local-storage-capacity-isolation",
    "exit-on-lock-contention",
    "enforce-node-allocatable-all",
    "fail-cgroupv1",
    "cpu-cfs-quota",
    "keep-terminated-pod-volumes",
    "experimental-allocatable-ignore-eviction",
    // kube-proxy
    "masquerade-all",
    "cleanup",
    "init-only",
    "bind-address-hard-fail",
    // etcd
    "client-cert-auth",
    "peer-client-cert-auth",
    "auto-tls",
    "peer-auto-tls",
    "enable-v2",
    "enable-pprof",
    "strict-reconfig-check",
    "force-new-cluster",
    "enable-grpc-gateway",
    "experimental-initial-corrupt-check",
    "experimental-enable-lease-checkpoint",
    "experimental-peer-skip-client-san-verification",
    "peer-skip-client-san-verification",
    "pre-vote",
    "initial-election-tick-advance",
    "auto-compaction-retention-enabled",
    "enable-log-rotation",
    "enable-distributed-tracing",
    "socket-reuse-port",
    "socket-reuse-address",
    "version",
];

/// True when `text` reads as a flag rather than a value: a dash followed by
/// a letter (`-1` and `-` are values).
fn looks_like_flag(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next() == Some('-')
        && chars
            .next()
            .is_some_and(|c| c == '-' || c.is_ascii_alphabetic())
}

/// Reads the flags of `args` (the arguments after the program name). The
/// values keep the position of the argument they came from; positional
/// arguments are ignored.
pub fn parse(args: &[Arg]) -> Flags {
    let mut flags = Flags::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let text = arg.text.as_str();
        if text == "--" {
            break;
        }
        // Go's flag package (etcd) takes one or two dashes alike; pflag
        // reads one dash as shorthands (`-v=2`), kept here under their
        // letter.
        let Some(body) = text.strip_prefix("--").or_else(|| text.strip_prefix('-')) else {
            continue;
        };
        if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
            // pflag: "bad flag syntax"; the program would have refused it.
            continue;
        }
        let (name, value, pos) = match body.split_once('=') {
            Some((name, value)) => (name, value.to_owned(), arg.pos),
            None if BOOLEAN_FLAGS.contains(&body) => (body, "true".to_owned(), arg.pos),
            None => match args.get(i) {
                Some(next) if !looks_like_flag(&next.text) => {
                    i += 1;
                    (body, next.text.clone(), next.pos)
                }
                _ => (body, "true".to_owned(), arg.pos),
            },
        };
        flags.insert(name.to_owned(), FlagValue { value, pos });
    }
    flags
}

/// Splits a NUL-separated `/proc/<pid>/cmdline` (or `environ`) into its
/// items, each with its column on the one line of the file (1-based, in
/// characters). A trailing NUL ends the last item; invalid UTF-8 is
/// replaced, never a panic.
pub fn split_nul(bytes: &[u8]) -> Vec<Arg> {
    let text = String::from_utf8_lossy(bytes);
    let body = text.strip_suffix('\0').unwrap_or(&text);
    if body.is_empty() {
        return Vec::new();
    }
    let mut col = 1u32;
    body.split('\0')
        .map(|item| {
            let arg = Arg {
                text: item.to_owned(),
                pos: Pos::new(1, col),
            };
            col = col.saturating_add(item.chars().count() as u32 + 1);
            arg
        })
        .collect()
}

/// The flag name an etcd environment variable stands for
/// (`ETCD_CLIENT_CERT_AUTH` → `client-cert-auth`), or `None` for other
/// variables.
pub fn etcd_env_flag(var: &str) -> Option<String> {
    let rest = var.strip_prefix("ETCD_")?;
    if rest.is_empty() {
        return None;
    }
    Some(rest.to_ascii_lowercase().replace('_', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<Arg> {
        list.iter()
            .enumerate()
            .map(|(i, t)| Arg {
                text: (*t).to_owned(),
                pos: Pos::new(i as u32 + 1, 1),
            })
            .collect()
    }

    fn values(flags: &Flags) -> Vec<(&str, &str)> {
        flags
            .iter()
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
            .collect()
    }

    #[test]
    fn equals_space_bare_and_last_wins() {
        let f = parse(&args(&[
            "--authorization-mode=Node,RBAC",
            "--secure-port",
            "6443",
            "--profiling",
            "--anonymous-auth",
            "false",
            "--v=2",
            "--authorization-mode=AlwaysAllow",
            "--etcd-servers=",
            "--offset",
            "-1",
            "--",
            "--after=ignored",
        ]));
        assert_eq!(
            values(&f),
            [
                // A boolean never takes the next argument: `false` is a
                // positional argument and anonymous auth stays on.
                ("anonymous-auth", "true"),
                ("authorization-mode", "AlwaysAllow"),
                ("etcd-servers", ""),
                ("offset", "-1"),
                ("profiling", "true"),
                ("secure-port", "6443"),
                ("v", "2"),
            ]
        );
        // The value's position is the argument that holds it.
        assert_eq!(f["secure-port"].pos, Pos::new(3, 1));
        assert_eq!(f["authorization-mode"].pos, Pos::new(8, 1));
    }

    #[test]
    fn unknown_bare_flag_before_another_flag_is_true() {
        let f = parse(&args(&["--some-switch", "--other=1", "-name", "etcd0"]));
        assert_eq!(
            values(&f),
            [("name", "etcd0"), ("other", "1"), ("some-switch", "true")]
        );
    }

    #[test]
    fn bad_syntax_is_skipped() {
        let f = parse(&args(&["---x", "--=y", "-", "positional", "--ok"]));
        assert_eq!(values(&f), [("ok", "true")]);
    }

    #[test]
    fn cmdline_columns() {
        let a = split_nul(b"/usr/bin/etcd\0--name=x\0\xff\0");
        let texts: Vec<&str> = a.iter().map(|a| a.text.as_str()).collect();
        assert_eq!(texts, ["/usr/bin/etcd", "--name=x", "\u{fffd}"]);
        assert_eq!(a[1].pos, Pos::new(1, 15));
        assert!(split_nul(b"").is_empty());
    }

    #[test]
    fn etcd_env() {
        assert_eq!(
            etcd_env_flag("ETCD_CLIENT_CERT_AUTH").as_deref(),
            Some("client-cert-auth")
        );
        assert_eq!(etcd_env_flag("ETCDCTL_API"), None);
        assert_eq!(etcd_env_flag("ETCD_"), None);
    }
}
