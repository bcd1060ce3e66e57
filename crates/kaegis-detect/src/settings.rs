//! The detector's parameters: networks, identities, thresholds and the
//! baseline's learning period. The config file's `detect:` section sets
//! them (see docs/detect.md); every one has a default that works without
//! configuration, and the rules that need a network to be named stay quiet
//! until it is.

use ipnet::IpNet;

/// A count over a sliding window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    /// Events (or alerts) that trip it.
    pub count: u32,
    /// The window, in seconds.
    pub window_secs: i64,
}

/// The detector's parameters.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where API clients are expected to come from; a request from
    /// elsewhere alerts. Empty: the rule is off.
    pub trusted_cidrs: Vec<IpNet>,
    /// The cluster's own networks (nodes, pods); exec and `kubectl cp`
    /// from elsewhere alert. Empty: the rule is off.
    pub cluster_cidrs: Vec<IpNet>,
    /// Extra identities (globs on the user name) that belong to the control
    /// plane, beside the built-in ones.
    pub control_plane_users: Vec<String>,
    /// Namespaces whose deletion alerts (globs).
    pub security_namespaces: Vec<String>,
    /// Identities allowed to impersonate (globs).
    pub allowed_impersonators: Vec<String>,
    /// Identities allowed to use `nodes/proxy` (globs), e.g. a monitoring
    /// agent.
    pub node_proxy_users: Vec<String>,
    /// How long first-seen baselines learn before they alert, from the
    /// first event the detector sees.
    pub learning_period_secs: i64,
    /// Failed authentications or authorizations from one source that make
    /// a brute-force alert.
    pub brute_force: Threshold,
    /// An alert with the same rule, subject and target within this many
    /// seconds of the last is suppressed (and counted).
    pub dedup_window_secs: i64,
    /// At most this many alerts per rule and subject per window.
    pub rate_limit: Threshold,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            trusted_cidrs: Vec::new(),
            cluster_cidrs: Vec::new(),
            control_plane_users: Vec::new(),
            security_namespaces: [
                "kube-system",
                "kube-public",
                "kaegis-*",
                "falco*",
                "kyverno*",
                "gatekeeper-system",
                "cert-manager",
                "*audit*",
                "*security*",
                "calico-system",
                "tigera-operator",
                "cilium*",
                "istio-system",
                "monitoring",
                "prometheus*",
            ]
            .map(String::from)
            .to_vec(),
            allowed_impersonators: Vec::new(),
            node_proxy_users: Vec::new(),
            learning_period_secs: 24 * 3600,
            brute_force: Threshold {
                count: 10,
                window_secs: 60,
            },
            dedup_window_secs: 300,
            rate_limit: Threshold {
                count: 20,
                window_secs: 60,
            },
        }
    }
}

/// True when `name` matches one of the globs (`*` matches any run).
pub fn any_glob(globs: &[String], name: &str) -> bool {
    globs.iter().any(|g| kaegis_core::engine::glob(g, name))
}

/// True when `ip` (text) is inside one of the networks. An address that
/// does not parse is outside every network.
pub fn in_networks(nets: &[IpNet], ip: &str) -> bool {
    ip.parse::<std::net::IpAddr>()
        .is_ok_and(|a| nets.iter().any(|n| n.contains(&a)))
}
