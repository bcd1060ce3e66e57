//! `.kaegis.yaml`: found upward from the scanned path, or given with
//! `--config`. Every key is optional; unknown keys are errors (a typo must
//! not silently disable a policy). The format is documented in
//! `docs/config.md`.

use std::path::{Path, PathBuf};

use crate::rules::{RuleMatch, RuleSpec, compile};
use kaegis_core::{
    Exemption, LabelSelector, Node, Pos, Profile, Selection, Settings, Severity, Value,
};

/// The entries of a mapping that may hold only `keys`, each once: an error
/// (position and message) names the unknown or repeated one, calling keys
/// `noun` ("key" in kaegis's files, "field" in Kubernetes objects). Shared
/// by every strict YAML reader.
pub fn mapping<'n>(
    node: &'n Node,
    what: &str,
    keys: &[&str],
    noun: &str,
) -> Result<&'n [kaegis_core::Entry], (Pos, String)> {
    if !node.is_map() {
        return Err((node.pos, format!("{what} must be a mapping")));
    }
    let entries = node.entries();
    for (i, e) in entries.iter().enumerate() {
        if !keys.contains(&&*e.key) {
            return Err((
                e.key_pos,
                format!(
                    "unknown {noun} `{}` in {what}; expected one of: {}",
                    e.key,
                    keys.join(", ")
                ),
            ));
        }
        if entries[..i].iter().any(|p| p.key == e.key) {
            return Err((e.key_pos, format!("`{}` is set twice in {what}", e.key)));
        }
    }
    Ok(entries)
}

/// The names the config file may have, in the order they are looked for.
pub const CONFIG_FILE_NAMES: [&str; 2] = [".kaegis.yaml", ".kaegis.yml"];

/// A config file error, with its position.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}:{}: {message}", file.display(), pos.map_or_else(String::new, |p| p.to_string()))]
pub struct ConfigError {
    /// The config file.
    pub file: PathBuf,
    /// Where in it.
    pub pos: Option<Pos>,
    /// What is wrong and what to write instead.
    pub message: String,
}

/// A parsed config file.
#[derive(Debug, Default)]
pub struct Config {
    /// Where it was read from.
    pub file: PathBuf,
    /// `profile`.
    pub profile: Option<Profile>,
    /// `pssVersion`, as a minor version.
    pub pss_minor: Option<u32>,
    /// `enable`.
    pub enable: Vec<String>,
    /// `disable`.
    pub disable: Vec<String>,
    /// `severity`: overrides by slug or code.
    pub severities: Vec<(String, Severity)>,
    /// `parameters`.
    pub settings: Settings,
    /// `exemptions`.
    pub exemptions: Vec<Exemption>,
    /// `rules`: custom CEL rules, with the position of each declaration.
    pub rules: Vec<(Pos, RuleSpec)>,
    /// `admission`: how `kaegis admission` decides.
    pub admission: AdmissionSpec,
    /// `detect`: the parameters, built-in rules to turn off and custom
    /// rules of `kaegis detect`.
    pub detect: crate::detect::DetectSpec,
}

/// What the admission webhook does with a check's findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Deny the request.
    Enforce,
    /// Admit it with warnings.
    Warn,
    /// Admit it and log the findings.
    Audit,
}

impl Mode {
    /// All modes, strictest first.
    pub const ALL: [Mode; 3] = [Mode::Enforce, Mode::Warn, Mode::Audit];

    /// The name used in config and labels (`kaegis.dev/<mode>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

/// A level a mode applies: a profile, or nothing (`privileged`, `none`).
pub type Level = Option<Profile>;

/// Parses a level as config files and namespace labels write it:
/// `privileged` or `none` (nothing), `baseline` and `restricted` (the Pod
/// Security Standards, as Pod Security Admission names them), or a profile.
pub fn parse_level(s: &str) -> Option<Level> {
    match s {
        "privileged" | "none" => Some(None),
        "baseline" => Some(Some(Profile::PssBaseline)),
        "restricted" => Some(Some(Profile::PssRestricted)),
        other => Profile::parse(other).map(Some),
    }
}

/// The `admission:` section.
#[derive(Clone, Debug)]
pub struct AdmissionSpec {
    /// The level each mode applies (`enforce`, `warn`, `audit`).
    pub levels: [(Mode, Level); 3],
    /// `checks`: a mode for single checks (slug or code), whatever the
    /// levels select; `off` leaves a check out of every mode.
    pub checks: Vec<(String, Option<Mode>)>,
    /// `namespaceLabels`: namespaces may set their own levels with
    /// `kaegis.dev/enforce`, `kaegis.dev/warn`, `kaegis.dev/audit` labels.
    pub namespace_labels: bool,
    /// `exemptions.namespaces`: globs.
    pub exempt_namespaces: Vec<String>,
    /// `exemptions.usernames`: exact user names.
    pub exempt_usernames: Vec<String>,
    /// `exemptions.groups`: exact group names.
    pub exempt_groups: Vec<String>,
    /// `exemptions.labels`: objects whose labels match are exempt.
    pub exempt_labels: Option<LabelSelector>,
    /// `mutate.enabled`: add secure defaults in every namespace (otherwise
    /// only where `kaegis.dev/mutate: "true"`).
    pub mutate: bool,
}

impl Default for AdmissionSpec {
    /// What Pod Security Admission recommends for a cautious rollout:
    /// enforce baseline, warn on restricted.
    fn default() -> Self {
        Self {
            levels: [
                (Mode::Enforce, Some(Profile::PssBaseline)),
                (Mode::Warn, Some(Profile::PssRestricted)),
                (Mode::Audit, None),
            ],
            checks: Vec::new(),
            namespace_labels: true,
            exempt_namespaces: Vec::new(),
            exempt_usernames: Vec::new(),
            exempt_groups: Vec::new(),
            exempt_labels: None,
            mutate: false,
        }
    }
}

/// Reads config nodes, turning every mistake into a [`ConfigError`] at
/// the node's position.
pub(crate) struct Reader<'a> {
    pub(crate) file: &'a Path,
}

impl Reader<'_> {
    pub(crate) fn err(&self, pos: Pos, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_path_buf(),
            pos: Some(pos),
            message: message.into(),
        }
    }

    pub(crate) fn map<'n>(
        &self,
        node: &'n Node,
        what: &str,
        keys: &[&str],
    ) -> Result<&'n [kaegis_core::Entry], ConfigError> {
        mapping(node, what, keys, "key").map_err(|(pos, message)| self.err(pos, message))
    }

    pub(crate) fn string(&self, node: &Node, what: &str) -> Result<String, ConfigError> {
        match &node.value {
            Value::Scalar { text, .. } => Ok(text.to_string()),
            _ => Err(self.err(node.pos, format!("{what} must be a string"))),
        }
    }

    pub(crate) fn strings(&self, node: &Node, what: &str) -> Result<Vec<String>, ConfigError> {
        if node.is_null() {
            return Ok(Vec::new());
        }
        if !node.is_seq() {
            return Err(self.err(node.pos, format!("{what} must be a list of strings")));
        }
        node.items()
            .iter()
            .map(|n| self.string(n, &format!("each item of {what}")))
            .collect()
    }

    pub(crate) fn bool(&self, node: &Node, what: &str) -> Result<bool, ConfigError> {
        node.as_bool()
            .ok_or_else(|| self.err(node.pos, format!("{what} must be true or false")))
    }

    pub(crate) fn int(&self, node: &Node, what: &str) -> Result<i64, ConfigError> {
        node.as_i64()
            .ok_or_else(|| self.err(node.pos, format!("{what} must be an integer")))
    }

    pub(crate) fn minor(&self, node: &Node, what: &str) -> Result<u32, ConfigError> {
        let text = self.string(node, what)?;
        let t = text.strip_prefix('v').unwrap_or(&text);
        t.strip_prefix("1.")
            .and_then(|m| m.parse::<u32>().ok())
            .ok_or_else(|| {
                self.err(
                    node.pos,
                    format!("{what} must be a version like v1.30, not `{text}`"),
                )
            })
    }
}

fn profile_names() -> String {
    Profile::ALL
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Config {
    /// Looks for a config file in `start` (or its directory, for a file) and
    /// every ancestor, nearest first.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let abs = std::path::absolute(start).ok()?;
        let mut dir = if abs.is_dir() {
            Some(abs.as_path())
        } else {
            abs.parent()
        };
        while let Some(d) = dir {
            for name in CONFIG_FILE_NAMES {
                let candidate = d.join(name);
                if candidate.is_file() {
                    return Some(candidate);
                }
            }
            dir = d.parent();
        }
        None
    }

    /// Reads and parses a config file.
    pub fn load(file: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
            file: file.to_path_buf(),
            pos: None,
            message: format!("cannot read the config file: {e}"),
        })?;
        Self::parse(file, &text)
    }

    /// Parses a config file's text.
    pub fn parse(file: &Path, text: &str) -> Result<Self, ConfigError> {
        let r = Reader { file };
        let stream = kaegis_inputs::yaml::parse_yaml(text);
        if let Some(e) = stream.error {
            return Err(r.err(e.pos, e.message));
        }
        let mut cfg = Config {
            file: file.to_path_buf(),
            ..Config::default()
        };
        cfg.detect.file = file.to_path_buf();
        let Some((_, root)) = stream.documents.first() else {
            return Ok(cfg);
        };
        if stream.documents.len() > 1 {
            return Err(r.err(
                stream.documents[1].1.pos,
                "the config file must hold one YAML document",
            ));
        }
        let keys = [
            "profile",
            "pssVersion",
            "enable",
            "disable",
            "severity",
            "parameters",
            "exemptions",
            "rules",
            "admission",
            "detect",
        ];
        for e in r.map(root, "the config file", &keys)? {
            let v = &e.value;
            match &*e.key {
                "profile" => {
                    let name = r.string(v, "profile")?;
                    cfg.profile = Some(Profile::parse(&name).ok_or_else(|| {
                        r.err(
                            v.pos,
                            format!("unknown profile `{name}`; one of: {}", profile_names()),
                        )
                    })?);
                }
                "pssVersion" => cfg.pss_minor = Some(r.minor(v, "pssVersion")?),
                "enable" => cfg.enable = r.strings(v, "enable")?,
                "disable" => cfg.disable = r.strings(v, "disable")?,
                "severity" => {
                    if !v.is_map() {
                        return Err(r.err(v.pos, "severity must map check slugs to severities"));
                    }
                    for s in v.entries() {
                        let name = r.string(&s.value, "a severity")?;
                        let sev = Severity::parse(&name).ok_or_else(|| {
                            r.err(s.value.pos, format!("unknown severity `{name}`; one of: info, low, medium, high, critical"))
                        })?;
                        cfg.severities.push((s.key.to_string(), sev));
                    }
                }
                "parameters" => cfg.settings = parse_settings(&r, v)?,
                "exemptions" => {
                    if !v.is_seq() {
                        return Err(r.err(v.pos, "exemptions must be a list"));
                    }
                    for item in v.items() {
                        cfg.exemptions.push(parse_exemption(&r, item)?);
                    }
                }
                "rules" => {
                    if !v.is_seq() {
                        return Err(r.err(v.pos, "rules must be a list"));
                    }
                    for (i, item) in v.items().iter().enumerate() {
                        let rule = parse_rule(&r, item, i + 1)?;
                        if cfg.rules.iter().any(|(_, x)| x.slug == rule.slug) {
                            return Err(r.err(item.pos, "two rules have the same id"));
                        }
                        cfg.rules.push((item.pos, rule));
                    }
                }
                "admission" => cfg.admission = parse_admission(&r, v)?,
                "detect" => cfg.detect = crate::detect::parse_detect(&r, v)?,
                _ => unreachable!("keys are checked above"),
            }
        }
        cfg.settings.custom_rules = cfg
            .rules
            .iter()
            .map(|(_, rule)| rule.slug.clone())
            .collect();
        Ok(cfg)
    }

    /// Applies the config under the command line: flags given on the command
    /// line (`cli_profile` and friends) win over the file.
    pub fn apply(&self, sel: &mut Selection, profile_from_cli: bool, pss_from_cli: bool) {
        if let Some(p) = self.profile
            && !profile_from_cli
        {
            sel.profile = p;
        }
        if let Some(m) = self.pss_minor
            && !pss_from_cli
        {
            sel.pss_minor = m;
        }
        sel.enable.extend(self.enable.iter().cloned());
        sel.disable.extend(self.disable.iter().cloned());
        sel.severities.extend(self.severities.iter().cloned());
        sel.exemptions.extend(self.exemptions.iter().cloned());
        sel.settings = self.settings.clone();
    }
}

fn parse_settings(r: &Reader<'_>, node: &Node) -> Result<Settings, ConfigError> {
    let mut s = Settings::default();
    let keys = [
        "allowedRegistries",
        "requireDigest",
        "imageDigests",
        "privateRegistries",
        "requiredLabels",
        "sandboxRuntimeClasses",
        "untrustedNamespaces",
        "targetKubernetesVersion",
        "minReplicas",
        "minSecretEntropy",
        "secretMaxAgeDays",
    ];
    for e in r.map(node, "parameters", &keys)? {
        let v = &e.value;
        match &*e.key {
            "allowedRegistries" => s.allowed_registries = r.strings(v, "allowedRegistries")?,
            "requireDigest" => s.require_digest = r.bool(v, "requireDigest")?,
            "imageDigests" => {
                if !v.is_map() {
                    return Err(r.err(
                        v.pos,
                        "imageDigests must be a mapping of image to digest (`nginx:1.25: sha256:…`)",
                    ));
                }
                for d in v.entries() {
                    let digest = r.string(&d.value, "an imageDigests value")?;
                    if !kaegis_core::settings::is_sha256_digest(&digest) {
                        return Err(r.err(
                            d.value.pos,
                            format!(
                                "imageDigests[{:?}] must be sha256: and 64 hex digits",
                                d.key
                            ),
                        ));
                    }
                    s.image_digests.insert(d.key.to_string(), digest);
                }
            }
            "privateRegistries" => s.private_registries = r.strings(v, "privateRegistries")?,
            "requiredLabels" => s.required_labels = r.strings(v, "requiredLabels")?,
            "sandboxRuntimeClasses" => {
                s.sandbox_runtime_classes = r.strings(v, "sandboxRuntimeClasses")?
            }
            "untrustedNamespaces" => {
                s.untrusted_namespaces = r.strings(v, "untrustedNamespaces")?
            }
            "targetKubernetesVersion" => s.target_minor = r.minor(v, "targetKubernetesVersion")?,
            "minReplicas" => {
                s.min_replicas = r.int(v, "minReplicas")?;
                if s.min_replicas < 1 {
                    return Err(r.err(v.pos, "minReplicas must be at least 1"));
                }
            }
            "secretMaxAgeDays" => {
                s.secret_max_age_days = r.int(v, "secretMaxAgeDays")?;
                if s.secret_max_age_days < 1 {
                    return Err(r.err(v.pos, "secretMaxAgeDays must be at least 1"));
                }
            }
            "minSecretEntropy" => {
                let text = r.string(v, "minSecretEntropy")?;
                s.min_secret_entropy = text
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| {
                        r.err(
                            v.pos,
                            "minSecretEntropy must be a non-negative number (bits per character)",
                        )
                    })?;
            }
            _ => unreachable!("keys are checked above"),
        }
    }
    Ok(s)
}

pub(crate) fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub(crate) fn parse_expression(
    r: &Reader<'_>,
    node: &Node,
    what: &str,
) -> Result<kube_cel::cel::Program, ConfigError> {
    let text = r.string(node, what)?;
    compile(&text).map_err(|e| {
        r.err(
            node.pos,
            format!(
                "{what} does not compile (at {}:{} of the expression): {}",
                e.pos.line, e.pos.col, e.message
            ),
        )
    })
}

/// What every CEL rule declaration says, the catalog's (`rules:`) and the
/// detector's (`detect.rules:`): identity, severity, expression and message.
pub(crate) struct RuleHead {
    pub(crate) slug: String,
    pub(crate) code: String,
    pub(crate) severity: Severity,
    pub(crate) title: Option<String>,
    pub(crate) description: String,
    pub(crate) expression: kube_cel::cel::Program,
    pub(crate) expression_text: String,
    pub(crate) message: Option<String>,
    pub(crate) message_expression: Option<kube_cel::cel::Program>,
    pub(crate) message_expression_text: Option<String>,
}

/// Reads the keys of [`RuleHead`] from a rule's entries (already checked
/// against the allowed keys). `default_code` is used when `code` is absent;
/// `expression_means` completes "needs an `expression` that is true …".
pub(crate) fn parse_rule_head(
    r: &Reader<'_>,
    node: &Node,
    entries: &[kaegis_core::Entry],
    default_code: String,
    expression_means: &str,
) -> Result<RuleHead, ConfigError> {
    let get = |k: &str| entries.iter().find(|e| &*e.key == k).map(|e| &e.value);
    let id_node =
        get("id").ok_or_else(|| r.err(node.pos, "a rule needs an `id` (a kebab-case name)"))?;
    let slug = r.string(id_node, "id")?;
    if !is_slug(&slug) {
        return Err(r.err(
            id_node.pos,
            format!("rule id `{slug}` must be kebab-case: lower-case letters, digits and dashes"),
        ));
    }
    let code = match get("code") {
        Some(c) => r.string(c, "code")?,
        None => default_code,
    };
    let severity = match get("severity") {
        Some(v) => {
            let name = r.string(v, "severity")?;
            Severity::parse(&name).ok_or_else(|| {
                r.err(
                    v.pos,
                    format!("unknown severity `{name}`; one of: info, low, medium, high, critical"),
                )
            })?
        }
        None => Severity::Medium,
    };
    let expr_node = get("expression").ok_or_else(|| {
        r.err(
            node.pos,
            format!("rule `{slug}` needs an `expression` that is true {expression_means}"),
        )
    })?;
    let expression = parse_expression(r, expr_node, "expression")?;
    let expression_text = r.string(expr_node, "expression")?;
    let (message_expression, message_expression_text) = match get("messageExpression") {
        Some(m) => (
            Some(parse_expression(r, m, "messageExpression")?),
            Some(r.string(m, "messageExpression")?),
        ),
        None => (None, None),
    };
    let message = get("message").map(|m| r.string(m, "message")).transpose()?;
    let title = get("title").map(|t| r.string(t, "title")).transpose()?;
    let description = match get("description") {
        Some(d) => r.string(d, "description")?,
        None => String::new(),
    };
    Ok(RuleHead {
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
    })
}

fn parse_rule(r: &Reader<'_>, node: &Node, index: usize) -> Result<RuleSpec, ConfigError> {
    let keys = [
        "id",
        "code",
        "severity",
        "title",
        "description",
        "match",
        "expression",
        "message",
        "messageExpression",
        "params",
    ];
    let entries = r.map(node, "a rule", &keys)?;
    let get = |k: &str| entries.iter().find(|e| &*e.key == k).map(|e| &e.value);
    let head = parse_rule_head(
        r,
        node,
        entries,
        format!("CEL{index:03}"),
        "for objects that pass",
    )?;
    let RuleHead {
        slug,
        code,
        severity,
        expression,
        expression_text,
        message_expression,
        description,
        ..
    } = head;
    let message = head
        .message
        .unwrap_or_else(|| format!("fails rule `{slug}`: {expression_text}"));
    let title = head.title.unwrap_or_else(|| message.clone());
    let mut matching = RuleMatch::default();
    if let Some(m) = get("match") {
        for e in r.map(
            m,
            "match",
            &["kinds", "namespaces", "excludeNamespaces", "labels"],
        )? {
            match &*e.key {
                "kinds" => matching.kinds = r.strings(&e.value, "kinds")?,
                "namespaces" => matching.namespaces = r.strings(&e.value, "namespaces")?,
                "excludeNamespaces" => {
                    matching.exclude_namespaces = r.strings(&e.value, "excludeNamespaces")?
                }
                "labels" => {
                    r.map(&e.value, "labels", &["matchLabels", "matchExpressions"])?;
                    let sel = LabelSelector::parse(Some(&e.value));
                    if sel.invalid {
                        return Err(r.err(e.value.pos, "labels must be a label selector"));
                    }
                    matching.labels = Some(sel);
                }
                _ => unreachable!("keys are checked above"),
            }
        }
    }
    let doc = format!(
        "## What\n{}\n\nCustom rule from `{}`: objects{} pass when `{}` is true.\n",
        if description.is_empty() {
            &title
        } else {
            &description
        },
        r.file.display(),
        if matching.kinds.is_empty() {
            String::new()
        } else {
            format!(" of kind {}", matching.kinds.join(", "))
        },
        expression_text.trim()
    );
    Ok(RuleSpec {
        slug,
        code,
        severity,
        title,
        doc,
        expression,
        message,
        message_expression,
        matching,
        params: get("params").cloned(),
    })
}

fn parse_admission(r: &Reader<'_>, node: &Node) -> Result<AdmissionSpec, ConfigError> {
    let mut spec = AdmissionSpec::default();
    let keys = [
        "enforce",
        "warn",
        "audit",
        "checks",
        "namespaceLabels",
        "exemptions",
        "mutate",
    ];
    let level = |v: &Node, what: &str| -> Result<Level, ConfigError> {
        let name = r.string(v, what)?;
        parse_level(&name).ok_or_else(|| {
            r.err(
                v.pos,
                format!(
                    "unknown level `{name}` for {what}; one of: privileged, baseline, restricted, {}",
                    profile_names()
                ),
            )
        })
    };
    for e in r.map(node, "admission", &keys)? {
        let v = &e.value;
        match &*e.key {
            "enforce" => spec.levels[0].1 = level(v, "admission.enforce")?,
            "warn" => spec.levels[1].1 = level(v, "admission.warn")?,
            "audit" => spec.levels[2].1 = level(v, "admission.audit")?,
            "checks" => {
                if !v.is_map() {
                    return Err(r.err(
                        v.pos,
                        "admission.checks must map check slugs to enforce, warn, audit or off",
                    ));
                }
                for c in v.entries() {
                    let name = r.string(&c.value, "a check's mode")?;
                    let mode = match name.as_str() {
                        "enforce" => Some(Mode::Enforce),
                        "warn" => Some(Mode::Warn),
                        "audit" => Some(Mode::Audit),
                        "off" => None,
                        _ => {
                            return Err(r.err(
                                c.value.pos,
                                format!("unknown mode `{name}`; one of: enforce, warn, audit, off"),
                            ));
                        }
                    };
                    spec.checks.push((c.key.to_string(), mode));
                }
            }
            "namespaceLabels" => spec.namespace_labels = r.bool(v, "admission.namespaceLabels")?,
            "exemptions" => {
                let keys = ["namespaces", "usernames", "groups", "labels"];
                for x in r.map(v, "admission.exemptions", &keys)? {
                    let w = &x.value;
                    match &*x.key {
                        "namespaces" => spec.exempt_namespaces = r.strings(w, "namespaces")?,
                        "usernames" => spec.exempt_usernames = r.strings(w, "usernames")?,
                        "groups" => spec.exempt_groups = r.strings(w, "groups")?,
                        "labels" => {
                            r.map(w, "labels", &["matchLabels", "matchExpressions"])?;
                            let sel = LabelSelector::parse(Some(w));
                            if sel.invalid {
                                return Err(r.err(w.pos, "labels must be a label selector"));
                            }
                            spec.exempt_labels = Some(sel);
                        }
                        _ => unreachable!("keys are checked above"),
                    }
                }
            }
            "mutate" => {
                for x in r.map(v, "admission.mutate", &["enabled"])? {
                    spec.mutate = r.bool(&x.value, "admission.mutate.enabled")?;
                }
            }
            _ => unreachable!("keys are checked above"),
        }
    }
    Ok(spec)
}

fn parse_exemption(r: &Reader<'_>, node: &Node) -> Result<Exemption, ConfigError> {
    let keys = ["checks", "namespaces", "names", "kinds", "labels", "reason"];
    let mut ex = Exemption::default();
    let mut reason = None;
    for e in r.map(node, "an exemption", &keys)? {
        let v = &e.value;
        match &*e.key {
            "checks" => ex.checks = r.strings(v, "checks")?,
            "namespaces" => ex.namespaces = r.strings(v, "namespaces")?,
            "names" => ex.names = r.strings(v, "names")?,
            "kinds" => ex.kinds = r.strings(v, "kinds")?,
            "labels" => {
                r.map(v, "labels", &["matchLabels", "matchExpressions"])?;
                let sel = LabelSelector::parse(Some(v));
                if sel.invalid {
                    return Err(r.err(v.pos, "labels must be a label selector (matchLabels, matchExpressions with In, NotIn, Exists, DoesNotExist)"));
                }
                ex.labels = Some(sel);
            }
            "reason" => reason = Some(r.string(v, "reason")?),
            _ => unreachable!("keys are checked above"),
        }
    }
    match reason
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    {
        Some(reason) => ex.reason = reason,
        None => {
            return Err(r.err(
                node.pos,
                "every exemption needs a `reason`: say why these objects may break these checks",
            ));
        }
    }
    Ok(ex)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new(".kaegis.yaml"), text)
    }

    #[test]
    fn full_config() {
        let cfg = parse(
            "profile: production\npssVersion: v1.30\nenable: [image-digest]\ndisable: [KG101]\n\
             severity:\n  image-tag: high\nparameters:\n  allowedRegistries: [registry.example.com]\n  \
             requireDigest: false\n  targetKubernetesVersion: v1.29\n  minReplicas: 3\n\
             exemptions:\n- checks: [host-path-volumes]\n  namespaces: [monitoring]\n  names: ['node-exporter*']\n  \
             labels: {matchLabels: {app: x}}\n  reason: reads node metrics\n",
        )
        .unwrap();
        assert_eq!(cfg.profile, Some(Profile::Production));
        assert_eq!(cfg.pss_minor, Some(30));
        assert_eq!(
            cfg.severities,
            vec![("image-tag".to_owned(), Severity::High)]
        );
        assert_eq!(
            cfg.settings.allowed_registries,
            vec!["registry.example.com"]
        );
        assert!(!cfg.settings.require_digest);
        assert_eq!(cfg.settings.target_minor, 29);
        assert_eq!(cfg.settings.min_replicas, 3);
        assert_eq!(cfg.exemptions.len(), 1);
        assert_eq!(cfg.exemptions[0].reason, "reads node metrics");
    }

    #[test]
    fn errors_carry_positions() {
        let e = parse("profile: production\nparamters: {}\n").unwrap_err();
        assert_eq!(e.pos, Some(Pos::new(2, 1)));
        assert!(
            e.message.contains("unknown key `paramters`"),
            "{}",
            e.message
        );

        let e = parse("exemptions:\n- checks: [privileged]\n").unwrap_err();
        assert!(e.message.contains("reason"), "{}", e.message);
        assert_eq!(e.pos, Some(Pos::new(2, 3)));

        let e = parse("severity:\n  privileged: severe\n").unwrap_err();
        assert_eq!(e.pos, Some(Pos::new(2, 15)));

        let e = parse("profile: [\n").unwrap_err();
        assert!(e.pos.is_some());
        assert!(e.to_string().starts_with(".kaegis.yaml:"), "{e}");
    }

    #[test]
    fn rules_compile_or_fail_with_positions() {
        let cfg = parse(
            "rules:\n- id: team-label\n  severity: high\n  match: {kinds: [Deployment]}\n  \
             expression: \"has(object.metadata.labels) && 'team' in object.metadata.labels\"\n  \
             message: workloads need a team label\n",
        )
        .unwrap();
        assert_eq!(cfg.rules.len(), 1);
        assert_eq!(cfg.settings.custom_rules, vec!["team-label"]);

        let e =
            parse("rules:\n- id: broken\n  expression: \"object.spec.replicas >\"\n").unwrap_err();
        assert_eq!(e.pos, Some(Pos::new(3, 15)));
        assert!(e.message.contains("does not compile"), "{}", e.message);

        let e = parse("rules:\n- id: Bad_Name\n  expression: 'true'\n").unwrap_err();
        assert!(e.message.contains("kebab-case"), "{}", e.message);
    }

    #[test]
    fn rules_run_in_the_engine() {
        use kaegis_core::{Check, Engine, Inventory, Selection};
        let cfg = parse(
            "rules:\n- id: team-label\n  match: {kinds: [apps/Deployment]}\n  \
             expression: \"has(object.metadata.labels) && 'team' in object.metadata.labels && object.spec.replicas >= params.min\"\n  \
             messageExpression: \"'deployment ' + object.metadata.name + ' has no team label'\"\n  \
             params: {min: 2}\n\
             - id: ns-label\n  expression: \"namespaceObject == null || namespaceObject.metadata.labels.env == 'prod'\"\n",
        )
        .unwrap();
        let rules: Vec<&'static dyn Check> = cfg
            .rules
            .into_iter()
            .map(|(_, r)| r.into_check() as &'static dyn Check)
            .collect();
        let engine = Engine::new(&rules, &Selection::default()).unwrap();
        let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {env: dev}}\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: web}\nspec: {replicas: 3}\n---\n\
                    apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b, namespace: other, labels: {team: x}}\nspec: {replicas: 2}\n";
        let file = kaegis_inputs::load(
            std::sync::Arc::from(Path::new("t.yaml")),
            text.as_bytes(),
            kaegis_inputs::Syntax::Yaml,
        );
        let inv = Inventory::build(&file.objects);
        let found: Vec<String> = file
            .objects
            .iter()
            .flat_map(|o| engine.run_all(o, &inv).findings)
            .map(|f| format!("{} {} {}", f.check.slug, f.object, f.message))
            .collect();
        assert_eq!(
            found,
            vec![
                "team-label Deployment web/a deployment a has no team label".to_owned(),
                "ns-label Deployment web/a fails rule `ns-label`: namespaceObject == null || namespaceObject.metadata.labels.env == 'prod'".to_owned(),
            ]
        );
    }

    #[test]
    fn empty_file_is_the_default() {
        let cfg = parse("").unwrap();
        assert!(cfg.profile.is_none());
        assert!(cfg.settings.require_digest);
    }
}
