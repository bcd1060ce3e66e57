//! The `detect:` section of `.kaegis.yaml`: the parameters of `kaegis
//! detect` (networks, identities, windows, thresholds), built-in detection
//! rules to turn off, and custom detection rules in CEL over the audit
//! event.
//!
//! This crate reads and checks the section into plain data
//! ([`DetectSpec`]) with compiled CEL programs; kaegis-detect, which
//! depends on this crate and not the other way round, turns it into its
//! settings and rules (and reports a `disable` entry that names no
//! built-in rule, at the position kept here).

use std::path::PathBuf;

use ipnet::IpNet;
use kaegis_core::{Node, Pos, Severity};

use crate::config::{ConfigError, Reader, RuleHead, parse_rule_head};

/// `count` events within `window`; either may be left to its default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThresholdSpec {
    /// `count`.
    pub count: Option<u32>,
    /// `window`, in seconds.
    pub window_secs: Option<i64>,
}

/// Which events a custom detection rule looks at. Every non-empty filter
/// must match; an empty one matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventMatch {
    /// Verbs (`create`, `get`, …), exact.
    pub verbs: Vec<String>,
    /// API groups (`""` for the core group, `apps`, …), exact; `*` for any.
    pub api_groups: Vec<String>,
    /// Resources as the audit Policy writes them: `pods`, `pods/exec`,
    /// `*` (any resource or subresource), `pods/*` (pods and any of their
    /// subresources), `*/scale` (that subresource of any resource).
    pub resources: Vec<String>,
    /// Namespace globs (`*`, `?`); `""` is a cluster-scoped object.
    pub namespaces: Vec<String>,
    /// Namespace globs to leave out.
    pub exclude_namespaces: Vec<String>,
    /// User name globs, matched against the authenticated user and the
    /// impersonated one.
    pub users: Vec<String>,
}

/// One custom detection rule, compiled. Its expression is true when the
/// event is suspicious.
pub struct DetectRuleSpec {
    /// Where the rule is declared.
    pub pos: Pos,
    /// Slug (`id`).
    pub slug: String,
    /// Code (`KDC001`, … unless given).
    pub code: String,
    /// Severity (default medium).
    pub severity: Severity,
    /// One line: what the alert means.
    pub title: String,
    /// Markdown documentation built from the declaration.
    pub doc: String,
    /// MITRE ATT&CK tactic (empty when not given).
    pub tactic: String,
    /// MITRE ATT&CK technique ids (`T1609`).
    pub mitre: Vec<String>,
    /// The compiled expression: true raises an alert.
    pub expression: crate::cel::Program,
    /// Its text.
    pub expression_text: String,
    /// `message`, when given.
    pub message: Option<String>,
    /// `messageExpression`, compiled.
    pub message_expression: Option<crate::cel::Program>,
    /// Its text.
    pub message_expression_text: Option<String>,
    /// Which events it looks at.
    pub matching: EventMatch,
    /// `params`.
    pub params: Option<Node>,
}

impl std::fmt::Debug for DetectRuleSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DetectRuleSpec")
            .field("slug", &self.slug)
            .field("code", &self.code)
            .field("matching", &self.matching)
            .finish()
    }
}

/// The `detect:` section. Settings left out keep kaegis-detect's
/// defaults.
#[derive(Debug, Default)]
pub struct DetectSpec {
    /// The config file (for errors found later, e.g. an unknown rule in
    /// `disable`).
    pub file: PathBuf,
    /// `trustedCIDRs`: where API clients may come from.
    pub trusted_cidrs: Vec<IpNet>,
    /// `clusterCIDRs`: the cluster's own networks.
    pub cluster_cidrs: Vec<IpNet>,
    /// `controlPlaneUsers`: globs, added to the built-in identities.
    pub control_plane_users: Vec<String>,
    /// `securityNamespaces`: globs, added to the built-in list.
    pub security_namespaces: Vec<String>,
    /// `allowedImpersonators`: globs.
    pub allowed_impersonators: Vec<String>,
    /// `nodeProxyUsers`: globs.
    pub node_proxy_users: Vec<String>,
    /// `learningPeriod`, in seconds.
    pub learning_period_secs: Option<i64>,
    /// `bruteForce`.
    pub brute_force: ThresholdSpec,
    /// `dedupWindow`, in seconds.
    pub dedup_window_secs: Option<i64>,
    /// `rateLimit`.
    pub rate_limit: ThresholdSpec,
    /// `disable`: built-in rules (slug or code) to turn off, with their
    /// positions.
    pub disable: Vec<(Pos, String)>,
    /// `rules`: custom detection rules.
    pub rules: Vec<DetectRuleSpec>,
}

impl DetectSpec {
    /// An error about this section, at `pos` in its file.
    pub fn error(&self, pos: Pos, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            pos: Some(pos),
            message: message.into(),
        }
    }
}

/// Parses a duration: one or more `<integer><unit>` with units `s`, `m`,
/// `h` and `d` (`90s`, `30m`, `24h`, `7d`, `1h30m`), or `0`. Returns
/// seconds; `None` when the text is not a duration or overflows.
pub fn parse_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    if t == "0" {
        return Some(0);
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut saw_unit = false;
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        let n: i64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits.clear();
        saw_unit = true;
    }
    (saw_unit && digits.is_empty()).then_some(total)
}

const KEYS: [&str; 12] = [
    "trustedCIDRs",
    "clusterCIDRs",
    "controlPlaneUsers",
    "securityNamespaces",
    "allowedImpersonators",
    "nodeProxyUsers",
    "learningPeriod",
    "bruteForce",
    "dedupWindow",
    "rateLimit",
    "disable",
    "rules",
];

const DURATION_HELP: &str =
    "a duration like 90s, 30m, 24h or 7d (units s, m, h, d; combined as 1h30m)";

/// Parses the `detect:` section.
pub(crate) fn parse_detect(r: &Reader<'_>, node: &Node) -> Result<DetectSpec, ConfigError> {
    let mut spec = DetectSpec {
        file: r.file.to_path_buf(),
        ..DetectSpec::default()
    };
    if node.is_null() {
        return Ok(spec);
    }
    for e in r.map(node, "detect", &KEYS)? {
        let v = &e.value;
        match &*e.key {
            "trustedCIDRs" => spec.trusted_cidrs = cidrs(r, v, "detect.trustedCIDRs")?,
            "clusterCIDRs" => spec.cluster_cidrs = cidrs(r, v, "detect.clusterCIDRs")?,
            "controlPlaneUsers" => {
                spec.control_plane_users = r.strings(v, "detect.controlPlaneUsers")?
            }
            "securityNamespaces" => {
                spec.security_namespaces = r.strings(v, "detect.securityNamespaces")?
            }
            "allowedImpersonators" => {
                spec.allowed_impersonators = r.strings(v, "detect.allowedImpersonators")?
            }
            "nodeProxyUsers" => spec.node_proxy_users = r.strings(v, "detect.nodeProxyUsers")?,
            "learningPeriod" => {
                spec.learning_period_secs = Some(duration(r, v, "detect.learningPeriod", true)?)
            }
            "dedupWindow" => {
                spec.dedup_window_secs = Some(duration(r, v, "detect.dedupWindow", true)?)
            }
            "bruteForce" => spec.brute_force = threshold(r, v, "detect.bruteForce")?,
            "rateLimit" => spec.rate_limit = threshold(r, v, "detect.rateLimit")?,
            "disable" => {
                if !v.is_null() && !v.is_seq() {
                    return Err(r.err(
                        v.pos,
                        "detect.disable must be a list of rule slugs or codes",
                    ));
                }
                for item in v.items() {
                    let name = r.string(item, "each item of detect.disable")?;
                    spec.disable.push((item.pos, name));
                }
            }
            "rules" => {
                if v.is_null() {
                    continue;
                }
                if !v.is_seq() {
                    return Err(r.err(v.pos, "detect.rules must be a list"));
                }
                for (i, item) in v.items().iter().enumerate() {
                    let rule = parse_detect_rule(r, item, i + 1)?;
                    if spec.rules.iter().any(|x| x.slug == rule.slug) {
                        return Err(r.err(item.pos, "two rules have the same id"));
                    }
                    spec.rules.push(rule);
                }
            }
            _ => unreachable!("keys are checked above"),
        }
    }
    Ok(spec)
}

fn cidrs(r: &Reader<'_>, node: &Node, what: &str) -> Result<Vec<IpNet>, ConfigError> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    if !node.is_seq() {
        return Err(r.err(
            node.pos,
            format!("{what} must be a list of networks (10.0.0.0/8, fd00::/8) or addresses"),
        ));
    }
    node.items()
        .iter()
        .map(|item| {
            let text = r.string(item, &format!("each item of {what}"))?;
            let t = text.trim();
            t.parse::<IpNet>()
                .or_else(|_| t.parse::<std::net::IpAddr>().map(IpNet::from))
                .map(|n| n.trunc())
                .map_err(|_| {
                    r.err(
                        item.pos,
                        format!(
                            "`{text}` in {what} is not a network: write an address with a prefix length (10.0.0.0/8, fd00::/8) or a single address"
                        ),
                    )
                })
        })
        .collect()
}

fn duration(r: &Reader<'_>, node: &Node, what: &str, zero_ok: bool) -> Result<i64, ConfigError> {
    let text = r.string(node, what)?;
    match parse_duration(&text) {
        Some(0) if !zero_ok => Err(r.err(node.pos, format!("{what} must be longer than 0"))),
        Some(secs) => Ok(secs),
        None => Err(r.err(
            node.pos,
            format!("{what} must be {DURATION_HELP}, not `{text}`"),
        )),
    }
}

fn threshold(r: &Reader<'_>, node: &Node, what: &str) -> Result<ThresholdSpec, ConfigError> {
    let mut t = ThresholdSpec::default();
    for e in r.map(node, what, &["count", "window"])? {
        let v = &e.value;
        match &*e.key {
            "count" => {
                let n = r.int(v, &format!("{what}.count"))?;
                t.count = Some(
                    u32::try_from(n)
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| r.err(v.pos, format!("{what}.count must be at least 1")))?,
                );
            }
            "window" => t.window_secs = Some(duration(r, v, &format!("{what}.window"), false)?),
            _ => unreachable!("keys are checked above"),
        }
    }
    Ok(t)
}

/// API groups without a dot that a user may write in front of a resource
/// by mistake (`apps/deployments`): `resources` take `resource/subresource`.
const DOTLESS_GROUPS: [&str; 8] = [
    "apps",
    "batch",
    "policy",
    "autoscaling",
    "extensions",
    "networking",
    "storage",
    "events",
];

fn resource_patterns(r: &Reader<'_>, node: &Node) -> Result<Vec<String>, ConfigError> {
    let list = r.strings(node, "match.resources")?;
    for (item, text) in node.items().iter().zip(&list) {
        let mut parts = text.split('/');
        let resource = parts.next().unwrap_or_default();
        let sub = parts.next();
        let bad = resource.is_empty()
            || sub.is_some_and(str::is_empty)
            || parts.next().is_some()
            || (resource.contains('*') && resource != "*")
            || sub.is_some_and(|s| s.contains('*') && s != "*");
        if bad {
            return Err(r.err(
                item.pos,
                format!(
                    "`{text}` in match.resources is not a resource: write pods, pods/exec, pods/*, */scale or *"
                ),
            ));
        }
        if sub.is_some() && (resource.contains('.') || DOTLESS_GROUPS.contains(&resource)) {
            return Err(r.err(
                item.pos,
                format!(
                    "`{text}` in match.resources looks like group/resource: resources are resource or resource/subresource; put the group in match.apiGroups"
                ),
            ));
        }
    }
    Ok(list)
}

fn is_technique(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| !r.is_empty() && r.iter().all(u8::is_ascii_digit);
    match s.split_once('.') {
        Some((t, sub)) => {
            t.len() == 5
                && b[0] == b'T'
                && digits(&b[1..5])
                && sub.len() == 3
                && digits(sub.as_bytes())
        }
        None => b.len() == 5 && b[0] == b'T' && digits(&b[1..]),
    }
}

fn parse_detect_rule(
    r: &Reader<'_>,
    node: &Node,
    index: usize,
) -> Result<DetectRuleSpec, ConfigError> {
    let keys = [
        "id",
        "code",
        "severity",
        "title",
        "description",
        "tactic",
        "mitre",
        "match",
        "expression",
        "message",
        "messageExpression",
        "params",
    ];
    let entries = r.map(node, "a detection rule", &keys)?;
    let get = |k: &str| entries.iter().find(|e| &*e.key == k).map(|e| &e.value);
    let RuleHead {
        slug,
        code,
        severity,
        title,
        description,
        expression,
        expression_text,
        message,
        message_expression,
        message_expression_text,
    } = parse_rule_head(
        r,
        node,
        entries,
        format!("KDC{index:03}"),
        "for suspicious events (it raises an alert)",
    )?;
    let tactic = get("tactic")
        .map(|t| r.string(t, "tactic"))
        .transpose()?
        .unwrap_or_default();
    let mut mitre = Vec::new();
    if let Some(m) = get("mitre") {
        let ids = r.strings(m, "mitre")?;
        for (item, id) in m.items().iter().zip(ids) {
            if !is_technique(&id) {
                return Err(r.err(
                    item.pos,
                    format!(
                        "`{id}` in mitre is not a MITRE ATT&CK technique id (T1609, T1552.007)"
                    ),
                ));
            }
            mitre.push(id);
        }
    }
    let mut matching = EventMatch::default();
    if let Some(m) = get("match") {
        let keys = [
            "verbs",
            "apiGroups",
            "resources",
            "namespaces",
            "excludeNamespaces",
            "users",
        ];
        for e in r.map(m, "match", &keys)? {
            let v = &e.value;
            match &*e.key {
                "verbs" => matching.verbs = r.strings(v, "match.verbs")?,
                "apiGroups" => matching.api_groups = r.strings(v, "match.apiGroups")?,
                "resources" => matching.resources = resource_patterns(r, v)?,
                "namespaces" => matching.namespaces = r.strings(v, "match.namespaces")?,
                "excludeNamespaces" => {
                    matching.exclude_namespaces = r.strings(v, "match.excludeNamespaces")?
                }
                "users" => matching.users = r.strings(v, "match.users")?,
                _ => unreachable!("keys are checked above"),
            }
        }
    }
    let title = title
        .or_else(|| message.clone())
        .unwrap_or_else(|| format!("Custom detection rule `{slug}`"));
    let scope = [
        ("verbs", &matching.verbs),
        ("resources", &matching.resources),
        ("namespaces", &matching.namespaces),
        ("users", &matching.users),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k} {}", v.join(", ")))
    .collect::<Vec<_>>()
    .join("; ");
    let doc = format!(
        "## What\n{}\n\nCustom detection rule from `{}`: events{} alert when `{}` is true.\n",
        if description.is_empty() {
            &title
        } else {
            &description
        },
        r.file.display(),
        if scope.is_empty() {
            String::new()
        } else {
            format!(" ({scope})")
        },
        expression_text.trim()
    );
    Ok(DetectRuleSpec {
        pos: node.pos,
        slug,
        code,
        severity,
        title,
        doc,
        tactic,
        mitre,
        expression,
        expression_text,
        message,
        message_expression,
        message_expression_text,
        matching,
        params: get("params").cloned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;
    use std::path::Path;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new(".kaegis.yaml"), text)
    }

    fn err(text: &str) -> ConfigError {
        match parse(text) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Some(86_400));
        assert_eq!(parse_duration("1h30m"), Some(5_400));
        assert_eq!(parse_duration("7d"), Some(604_800));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("0"), Some(0));
        for bad in [
            "",
            "10",
            "h",
            "1.5h",
            "1w",
            "5m3",
            "-1h",
            "99999999999999999999s",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn full_section() {
        let cfg = parse(
            "detect:\n  trustedCIDRs: [10.0.0.0/8, 192.168.1.7, 'fd00::/8']\n  clusterCIDRs: [10.244.0.0/16]\n  \
             controlPlaneUsers: [argo-*]\n  securityNamespaces: [vault]\n  allowedImpersonators: [breakglass]\n  \
             nodeProxyUsers: [system:serviceaccount:monitoring:*]\n  learningPeriod: 7d\n  \
             bruteForce: {count: 5, window: 2m}\n  dedupWindow: 10m\n  rateLimit: {count: 50}\n  \
             disable: [pod-exec, KD502]\n",
        )
        .unwrap();
        let d = &cfg.detect;
        assert_eq!(d.trusted_cidrs.len(), 3);
        assert_eq!(d.trusted_cidrs[1].to_string(), "192.168.1.7/32");
        assert_eq!(d.learning_period_secs, Some(7 * 86_400));
        assert_eq!(
            d.brute_force,
            ThresholdSpec {
                count: Some(5),
                window_secs: Some(120)
            }
        );
        assert_eq!(
            d.rate_limit,
            ThresholdSpec {
                count: Some(50),
                window_secs: None
            }
        );
        assert_eq!(d.dedup_window_secs, Some(600));
        assert_eq!(
            d.disable,
            vec![
                (Pos::new(12, 13), "pod-exec".to_owned()),
                (Pos::new(12, 23), "KD502".to_owned())
            ]
        );
    }

    #[test]
    fn errors_have_positions() {
        let e = err("detect:\n  trustedCIDRs: [10.0.0.0/8, 10.0.0.0/33]\n");
        assert_eq!(e.pos, Some(Pos::new(2, 30)));
        assert!(e.message.contains("not a network"), "{}", e.message);

        let e = err("detect:\n  learningPeriod: 3600\n");
        assert_eq!(e.pos, Some(Pos::new(2, 19)));
        assert!(e.message.contains("duration like"), "{}", e.message);

        let e = err("detect:\n  bruteForce: {count: 0}\n");
        assert!(e.message.contains("at least 1"), "{}", e.message);

        let e = err("detect:\n  rateLimit: {count: 3, window: 0}\n");
        assert!(e.message.contains("longer than 0"), "{}", e.message);

        let e = err("detect:\n  trustedCidrs: []\n");
        assert_eq!(e.pos, Some(Pos::new(2, 3)));
        assert!(
            e.message.contains("unknown key `trustedCidrs`"),
            "{}",
            e.message
        );

        let e = err("detect:\n  rules:\n  - id: x\n    expression: event.verb ==\n");
        assert_eq!(e.pos, Some(Pos::new(4, 17)));
        assert!(e.message.contains("does not compile"), "{}", e.message);

        let e = err("detect:\n  rules:\n  - id: Exec_Rule\n    expression: 'true'\n");
        assert!(e.message.contains("kebab-case"), "{}", e.message);

        let e = err(
            "detect:\n  rules:\n  - id: a\n    expression: 'true'\n  - id: a\n    expression: 'true'\n",
        );
        assert_eq!(e.pos, Some(Pos::new(5, 5)));
        assert!(e.message.contains("same id"), "{}", e.message);

        let e = err(
            "detect:\n  rules:\n  - id: a\n    match: {kinds: [Pod]}\n    expression: 'true'\n",
        );
        assert!(e.message.contains("unknown key `kinds`"), "{}", e.message);

        let e = err(
            "detect:\n  rules:\n  - id: a\n    match: {resources: [apps/deployments]}\n    expression: 'true'\n",
        );
        assert!(e.message.contains("apiGroups"), "{}", e.message);

        let e = err("detect:\n  rules:\n  - id: a\n    mitre: [T16]\n    expression: 'true'\n");
        assert_eq!(e.pos, Some(Pos::new(4, 13)));

        let e = err("detect:\n  rules:\n  - id: a\n");
        assert!(e.message.contains("suspicious"), "{}", e.message);
    }

    #[test]
    fn rules_parse() {
        let cfg = parse(
            "detect:\n  rules:\n  - id: secret-read-by-ci\n    severity: high\n    tactic: Credential Access\n    \
             mitre: [T1552.007]\n    match:\n      verbs: [get, list]\n      apiGroups: ['']\n      resources: [secrets]\n      \
             namespaces: ['prod-*']\n      users: ['system:serviceaccount:ci:*']\n    \
             expression: event.responseStatus.code == 200\n  - id: other\n    expression: 'false'\n",
        )
        .unwrap();
        let rules = &cfg.detect.rules;
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].code, "KDC001");
        assert_eq!(rules[1].code, "KDC002");
        assert_eq!(rules[0].severity, Severity::High);
        assert_eq!(rules[0].mitre, vec!["T1552.007"]);
        assert_eq!(rules[0].matching.resources, vec!["secrets"]);
        assert_eq!(rules[0].pos, Pos::new(3, 5));
        assert!(
            rules[0].doc.contains("resources secrets"),
            "{}",
            rules[0].doc
        );
    }
}
