//! The kubelet's effective configuration (`kubelet.config.k8s.io/v1beta1`
//! `KubeletConfiguration`, camelCase fields), resolved the way the kubelet
//! resolves it:
//!
//! 1. defaults — and they depend on how the kubelet is configured. With
//!    `--config`, the configuration file's API defaults apply, which are
//!    secure (anonymous authentication off, webhook authentication on,
//!    authorization `Webhook`, read-only port 0). Without it, the command
//!    line's legacy defaults apply (`--anonymous-auth=true`,
//!    `--authentication-token-webhook=false`,
//!    `--authorization-mode=AlwaysAllow`, `--read-only-port=10255`): the
//!    kubelet's `applyLegacyDefaults`;
//! 2. the `--config` file;
//! 3. the drop-ins of `--config-dir` (`*.conf`, in name order; mappings
//!    merged, everything else — lists included — replaced);
//! 4. the flags given on the command line, which win over every file (the
//!    kubelet parses its command line again onto the loaded configuration);
//!    `--feature-gates` is merged key by key over the file's `featureGates`.
//!
//! For the fields the benchmark reads ([`FIELDS`]) `configSources` says
//! which step set the value: `flag`, `drop-in`, `file` or `default`.

use std::collections::BTreeMap;

use kaegis_core::{Diagnostic, Node, Value as NodeValue};
use serde_json::{Map, Value, json};

use crate::flags::Flags;
use crate::root::{NodeRoot, join_node, parent_node, reason};
use kaegis_core::flags::{feature_gates, list, parse_go_bool};

/// How a flag's text becomes a configuration value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Type {
    Bool,
    Int,
    Float,
    Text,
    /// `--feature-gates=A=true,B=false`: a map of booleans.
    Gates,
    /// `--tls-cipher-suites=a,b`: a list.
    List,
}

/// A configuration field the CIS benchmark (section 4.2) reads: its flag,
/// its path in `KubeletConfiguration`, the flag's value type, and its
/// defaults for a configuration file and for the command line.
#[derive(Debug)]
pub struct Field {
    /// The flag (without dashes).
    pub flag: &'static str,
    /// The field's path, dotted (`authentication.anonymous.enabled`).
    pub path: &'static str,
    ty: Type,
    /// The default when the kubelet reads a `--config` file (JSON text;
    /// `None`: unset).
    file_default: Option<&'static str>,
    /// The default without `--config`.
    flag_default: Option<&'static str>,
}

const fn field(
    flag: &'static str,
    path: &'static str,
    ty: Type,
    file_default: Option<&'static str>,
    flag_default: Option<&'static str>,
) -> Field {
    Field {
        flag,
        path,
        ty,
        file_default,
        flag_default,
    }
}

/// The fields resolved and traced, with their defaults (Kubernetes'
/// `SetDefaults_KubeletConfiguration` and the kubelet's legacy flag
/// defaults).
pub const FIELDS: &[Field] = &[
    field(
        "anonymous-auth",
        "authentication.anonymous.enabled",
        Type::Bool,
        Some("false"),
        Some("true"),
    ),
    field(
        "authentication-token-webhook",
        "authentication.webhook.enabled",
        Type::Bool,
        Some("true"),
        Some("false"),
    ),
    field(
        "authorization-mode",
        "authorization.mode",
        Type::Text,
        Some("\"Webhook\""),
        Some("\"AlwaysAllow\""),
    ),
    field(
        "client-ca-file",
        "authentication.x509.clientCAFile",
        Type::Text,
        None,
        None,
    ),
    field(
        "read-only-port",
        "readOnlyPort",
        Type::Int,
        Some("0"),
        Some("10255"),
    ),
    field(
        "streaming-connection-idle-timeout",
        "streamingConnectionIdleTimeout",
        Type::Text,
        Some("\"4h0m0s\""),
        Some("\"4h0m0s\""),
    ),
    field(
        "protect-kernel-defaults",
        "protectKernelDefaults",
        Type::Bool,
        Some("false"),
        Some("false"),
    ),
    field(
        "make-iptables-util-chains",
        "makeIPTablesUtilChains",
        Type::Bool,
        Some("true"),
        Some("true"),
    ),
    field(
        "event-qps",
        "eventRecordQPS",
        Type::Float,
        Some("50"),
        Some("50"),
    ),
    field("tls-cert-file", "tlsCertFile", Type::Text, None, None),
    field(
        "tls-private-key-file",
        "tlsPrivateKeyFile",
        Type::Text,
        None,
        None,
    ),
    field(
        "rotate-certificates",
        "rotateCertificates",
        Type::Bool,
        Some("false"),
        Some("false"),
    ),
    field(
        "rotate-server-certificates",
        "serverTLSBootstrap",
        Type::Bool,
        Some("false"),
        Some("false"),
    ),
    field("feature-gates", "featureGates", Type::Gates, None, None),
    field(
        "tls-cipher-suites",
        "tlsCipherSuites",
        Type::List,
        None,
        None,
    ),
    field(
        "pod-max-pids",
        "podPidsLimit",
        Type::Int,
        Some("-1"),
        Some("-1"),
    ),
    field(
        "seccomp-default",
        "seccompDefault",
        Type::Bool,
        Some("false"),
        Some("false"),
    ),
];

/// The kubelet's resolved configuration.
#[derive(Debug, Default)]
pub struct Effective {
    /// `--config`, when given.
    pub config_file: Option<String>,
    /// The drop-in files read, in order.
    pub drop_ins: Vec<String>,
    /// The effective configuration; `None` when a file it depends on could
    /// not be read (a diagnostic says which): no value is better than a
    /// guess.
    pub config: Option<Value>,
    /// Where each of [`FIELDS`] came from.
    pub sources: BTreeMap<&'static str, &'static str>,
}

/// Resolves the kubelet's configuration from its flags and files.
pub fn resolve(flags: &Flags, root: &NodeRoot, diagnostics: &mut Vec<Diagnostic>) -> Effective {
    let flag = |n: &str| {
        flags
            .get(n)
            .map(|f| f.value.as_str())
            .filter(|v| !v.is_empty())
    };
    let config_file = flag("config").map(str::to_owned);
    let mut eff = Effective {
        config_file: config_file.clone(),
        ..Effective::default()
    };
    let mut config = Value::Object(Map::new());
    let mut sources = BTreeMap::new();
    for f in FIELDS {
        let default = if config_file.is_some() {
            f.file_default
        } else {
            f.flag_default
        };
        if let Some(d) = default.and_then(|d| serde_json::from_str(d).ok()) {
            set_path(&mut config, f.path, d);
        }
        sources.insert(f.path, "default");
    }
    let mut complete = true;
    if let Some(path) = &config_file {
        match read_config(root, path) {
            Ok(v) => layer(&mut config, &v, &mut sources, "file"),
            Err(why) => {
                diagnostics.push(crate::could_not_check(path, &why));
                complete = false;
            }
        }
    }
    if let Some(dir) = flag("config-dir") {
        match root.list(dir) {
            Ok(entries) => {
                for path in entries.into_iter().filter(|p| p.ends_with(".conf")) {
                    match read_config(root, &path) {
                        Ok(v) => layer(&mut config, &v, &mut sources, "drop-in"),
                        Err(why) => {
                            diagnostics.push(crate::could_not_check(&path, &why));
                            complete = false;
                        }
                    }
                    eff.drop_ins.push(path);
                }
            }
            Err(e) => {
                diagnostics.push(crate::could_not_check(dir, &reason(&e)));
                complete = false;
            }
        }
    }
    for f in FIELDS {
        let Some(given) = flags.get(f.flag) else {
            continue;
        };
        let value = match convert(f.ty, &given.value) {
            Ok(v) => v,
            Err(why) => {
                diagnostics.push(crate::note(
                    "kubelet",
                    format!(
                        "kubelet flag --{}={}: {why}; the kubelet would refuse it",
                        f.flag, given.value
                    ),
                ));
                Value::String(given.value.clone())
            }
        };
        let value = match (f.ty, get_path(&config, f.path), value) {
            // Flag gates over the file's, key by key.
            (Type::Gates, Some(Value::Object(file)), Value::Object(from_flag)) => {
                let mut merged = file.clone();
                merged.extend(from_flag);
                Value::Object(merged)
            }
            (_, _, v) => v,
        };
        set_path(&mut config, f.path, value);
        sources.insert(f.path, "flag");
    }
    // A relative client CA (or certificate) path in a configuration file is
    // relative to that file's folder.
    if let Some(file) = &config_file {
        for key in [
            "authentication.x509.clientCAFile",
            "tlsCertFile",
            "tlsPrivateKeyFile",
        ] {
            if sources.get(key) != Some(&"flag")
                && let Some(Value::String(p)) = get_path(&config, key)
                && !p.is_empty()
                && !p.starts_with('/')
            {
                let abs = join_node(parent_node(file), p);
                set_path(&mut config, key, Value::String(abs));
            }
        }
    }
    if complete {
        eff.config = Some(config);
        eff.sources = sources;
    }
    eff
}

/// Reads a `KubeletConfiguration` file (YAML or JSON) as JSON.
fn read_config(root: &NodeRoot, path: &str) -> Result<Value, String> {
    let bytes = root.read(path).map_err(|e| reason(&e))?;
    let text = kaegis_inputs::load::decode(&bytes)?;
    let stream = kaegis_inputs::yaml::parse_yaml(text);
    if let Some(e) = stream.error {
        return Err(format!("invalid YAML at {}: {}", e.pos, e.message));
    }
    let Some((_, node)) = stream.documents.into_iter().find(|(_, n)| !n.is_null()) else {
        return Err("empty file: no KubeletConfiguration".to_owned());
    };
    let kind = node.get("kind").and_then(Node::as_str);
    if kind != Some("KubeletConfiguration") {
        return Err(format!(
            "not a KubeletConfiguration (kind {})",
            kind.unwrap_or("missing")
        ));
    }
    Ok(to_json(&node))
}

/// Merges `over` into `config` (mappings merged, anything else replaced)
/// and marks the traced fields `over` sets.
fn layer(
    config: &mut Value,
    over: &Value,
    sources: &mut BTreeMap<&'static str, &'static str>,
    source: &'static str,
) {
    merge(config, over);
    for f in FIELDS {
        if get_path(over, f.path).is_some() {
            sources.insert(f.path, source);
        }
    }
}

/// JSON merge of mappings, as the kubelet merges its drop-ins.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(v, |v, k| v.get(k))
        .filter(|v| !v.is_null())
}

fn set_path(v: &mut Value, path: &str, value: Value) {
    let mut cur = v;
    let mut keys = path.split('.').peekable();
    while let Some(k) = keys.next() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(map) = cur else { return };
        if keys.peek().is_none() {
            map.insert(k.to_owned(), value);
            return;
        }
        cur = map.entry(k).or_insert_with(|| Value::Object(Map::new()));
    }
}

/// A flag's text as the configuration field's JSON value.
fn convert(ty: Type, text: &str) -> Result<Value, String> {
    match ty {
        Type::Bool => parse_go_bool(text)
            .map(Value::Bool)
            .ok_or_else(|| "not a boolean".to_owned()),
        Type::Int => text
            .parse::<i64>()
            .map(|n| json!(n))
            .map_err(|_| "not an integer".to_owned()),
        Type::Float => match text.parse::<i64>() {
            Ok(n) => Ok(json!(n)),
            Err(_) => text
                .parse::<f64>()
                .map(|n| json!(n))
                .map_err(|_| "not a number".to_owned()),
        },
        Type::Text => Ok(Value::String(text.to_owned())),
        Type::List => Ok(Value::Array(
            list(text)
                .into_iter()
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        )),
        Type::Gates => feature_gates(text)
            .into_iter()
            .map(|g| {
                g.map(|(k, on)| (k.to_owned(), Value::Bool(on)))
                    .map_err(|pair| format!("feature gate `{pair}` is not NAME=true|false"))
            })
            .collect::<Result<Map<_, _>, _>>()
            .map(Value::Object),
    }
}

/// A YAML/JSON tree as JSON, plain scalars typed the way Kubernetes'
/// decoder types them (booleans, integers, floats, null).
pub fn to_json(node: &Node) -> Value {
    match &node.value {
        NodeValue::Null => Value::Null,
        NodeValue::Scalar { text, plain } => {
            if *plain {
                if let Some(b) = node.as_bool() {
                    return Value::Bool(b);
                }
                if let Some(n) = node.as_i64() {
                    return json!(n);
                }
                if let Ok(f) = text.parse::<f64>()
                    && f.is_finite()
                    && text
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '.')
                {
                    return json!(f);
                }
            }
            Value::String(text.to_string())
        }
        NodeValue::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        NodeValue::Map(entries) => {
            let mut m = Map::new();
            for e in entries {
                m.insert(e.key.to_string(), to_json(&e.value));
            }
            Value::Object(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_in_merge_replaces_lists_and_merges_maps() {
        let mut base = json!({"a": {"x": 1, "y": 2}, "l": [1, 2], "s": "k"});
        merge(&mut base, &json!({"a": {"y": 3}, "l": [9]}));
        assert_eq!(base, json!({"a": {"x": 1, "y": 3}, "l": [9], "s": "k"}));
    }

    #[test]
    fn flag_values() {
        assert_eq!(convert(Type::Bool, "F").unwrap(), json!(false));
        assert!(convert(Type::Bool, "no").is_err());
        assert_eq!(convert(Type::Float, "5").unwrap(), json!(5));
        assert_eq!(
            convert(Type::Gates, "A=true, B=false").unwrap(),
            json!({"A": true, "B": false})
        );
        assert!(convert(Type::Gates, "A").is_err());
        assert_eq!(convert(Type::List, "a,b,").unwrap(), json!(["a", "b"]));
    }
}
