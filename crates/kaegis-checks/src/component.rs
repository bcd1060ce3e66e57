//! Reading the objects `kaegis node` builds for what runs on a node
//! (`node.kaegis.dev/v1`): a component's resolved command-line flags
//! (`spec.flags`, names without dashes, values as text) and the kubelet's
//! effective configuration (`spec.config`, KubeletConfiguration fields,
//! with `spec.configSources` saying where each value came from).
//!
//! Flags are judged the way the component reads them: Go's boolean syntax,
//! comma-separated lists, and the component's own default when a flag is
//! not given.

pub use kaegis_core::flags::list;
use kaegis_core::flags::{feature_gates, parse_go_bool};
use kaegis_core::{JsonPath, Node, Object, Violation};

/// The API group of the node objects.
pub const GROUP: &str = "node.kaegis.dev";

/// True for a node object of `kind` (`KubeAPIServer`, `Kubelet`, …).
pub fn is(obj: &Object, kind: &str) -> bool {
    obj.group() == GROUP && obj.id.kind == kind
}

/// One flag as given: its text and where it is.
pub struct Flag<'a> {
    /// The value, as text (`"true"` for a bare boolean flag).
    pub value: &'a str,
    /// `spec.flags["name"]`.
    pub path: JsonPath,
}

/// The path of `spec.flags`, where a missing flag is reported.
pub fn flags_path() -> JsonPath {
    JsonPath::root().keys(&["spec", "flags"])
}

/// The flag `name` (without dashes), when given.
pub fn flag<'a>(obj: &'a Object, name: &str) -> Option<Flag<'a>> {
    let value = obj.root.get_path(&["spec", "flags", name])?;
    Some(Flag {
        value: value.as_str()?,
        path: flags_path().key(name),
    })
}

/// A boolean flag's value: the flag's own, or `default` when not given;
/// `Err` with the text when it is not a boolean.
pub fn bool_flag<'a>(obj: &'a Object, name: &str, default: bool) -> Result<bool, &'a str> {
    match flag(obj, name) {
        None => Ok(default),
        Some(f) => parse_go_bool(f.value).ok_or(f.value),
    }
}

/// Where to report a flag: the flag when given, else `spec.flags`.
pub fn flag_or_flags(obj: &Object, name: &str) -> JsonPath {
    flag(obj, name).map_or_else(flags_path, |f| f.path)
}

/// True when the flag is given with a non-empty value.
pub fn is_set(obj: &Object, name: &str) -> bool {
    flag(obj, name).is_some_and(|f| !f.value.trim().is_empty())
}

/// True when the kubelet object carries its effective configuration;
/// otherwise (its config file or a drop-in could not be read) reports that
/// the check could not tell, rather than judging guessed values.
pub fn has_config(obj: &Object, out: &mut Vec<Violation>) -> bool {
    if obj
        .root
        .get_path(&["spec", "config"])
        .is_some_and(Node::is_map)
    {
        return true;
    }
    out.push(Violation::new(
        JsonPath::root().key("spec"),
        "could not check: the kubelet's effective configuration is unknown (its config file or a drop-in could not be read)",
    ));
    false
}

/// A field of the kubelet's effective configuration (`spec.config.a.b`).
pub fn config<'a>(obj: &'a Object, field: &[&str]) -> Option<&'a Node> {
    let mut path = vec!["spec", "config"];
    path.extend_from_slice(field);
    obj.root.get_path(&path).filter(|n| !n.is_null())
}

/// The path of a configuration field.
pub fn config_path(field: &[&str]) -> JsonPath {
    JsonPath::root().keys(&["spec", "config"]).keys(field)
}

/// Where a configuration field's value came from, for messages: `set by
/// the command line`, `set in the config file`, `the default`.
pub fn config_source(obj: &Object, field: &str) -> &'static str {
    match obj
        .root
        .get_path(&["spec", "configSources", field])
        .and_then(Node::as_str)
    {
        Some("flag") => "set on the command line",
        Some("file") => "set in the config file",
        Some("drop-in") => "set in a config drop-in",
        _ => "the default",
    }
}

/// A configuration field as a boolean (a YAML boolean or its text).
pub fn config_bool(obj: &Object, field: &[&str]) -> Option<bool> {
    let node = config(obj, field)?;
    node.as_bool()
        .or_else(|| node.as_str().and_then(parse_go_bool))
}

/// A configuration field as text.
pub fn config_str<'a>(obj: &'a Object, field: &[&str]) -> Option<&'a str> {
    config(obj, field)?.as_str()
}

/// True for a Go duration that is zero (`0`, `0s`, `0h0m0s`, `0.0m`).
pub fn is_zero_duration(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && t.chars()
            .all(|c| c == '0' || c == '.' || "hmsuµn".contains(c))
        && t.starts_with('0')
}

/// TLS cipher suites the Go standard library rates as insecure or that use
/// CBC mode, 3DES or RC4: what "strong ciphers only" excludes.
pub fn is_weak_cipher(name: &str) -> bool {
    name.contains("_CBC_")
        || name.contains("3DES")
        || name.contains("RC4")
        || name.ends_with("_CBC_SHA")
        || name.starts_with("TLS_RSA_")
}

/// The host of a `host:port` or URL (`http://0.0.0.0:2379` → `0.0.0.0`).
pub fn host_of(addr: &str) -> &str {
    let rest = addr.split_once("://").map_or(addr, |(_, r)| r);
    let rest = rest.split('/').next().unwrap_or(rest);
    if let Some(inner) = rest.strip_prefix('[') {
        return inner.split(']').next().unwrap_or(inner);
    }
    match rest.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => rest,
    }
}

/// True for a loopback host.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// Reports each of `names` that is not given (or empty): `--name is not
/// set: why`.
pub fn require_set(obj: &Object, out: &mut Vec<Violation>, names: &[&str], why: &str) {
    for name in names {
        if !is_set(obj, name) {
            out.push(Violation::new(
                flags_path(),
                format!("--{name} is not set: {why}"),
            ));
        }
    }
}

/// Reports a boolean flag whose value (or `default` when not given) is
/// not `want`; a value that is not a boolean is reported as such.
pub fn require_bool(
    obj: &Object,
    out: &mut Vec<Violation>,
    name: &str,
    default: bool,
    want: bool,
    why: &str,
) {
    match bool_flag(obj, name, default) {
        Ok(v) if v == want => {}
        Ok(v) => {
            let how = if flag(obj, name).is_some() {
                format!("--{name}={v}")
            } else {
                format!("--{name} is not set (default {v})")
            };
            out.push(Violation::new(
                flag_or_flags(obj, name),
                format!("{how}: {why}"),
            ));
        }
        Err(text) => out.push(Violation::new(
            flag_or_flags(obj, name),
            format!("could not check: --{name}={text} is not a boolean"),
        )),
    }
}

/// Reports an integer flag below `min` (or unset, or not an integer).
pub fn require_at_least(obj: &Object, out: &mut Vec<Violation>, name: &str, min: i64, why: &str) {
    let Some(f) = flag(obj, name) else {
        out.push(Violation::new(
            flags_path(),
            format!("--{name} is not set: {why}"),
        ));
        return;
    };
    match f.value.trim().parse::<i64>() {
        Ok(v) if v >= min => {}
        Ok(v) => out.push(Violation::new(
            f.path,
            format!("--{name}={v} is below {min}: {why}"),
        )),
        Err(_) => out.push(Violation::new(
            f.path,
            format!("could not check: --{name}={} is not an integer", f.value),
        )),
    }
}

/// The admission plugins the API server enables on top of its defaults
/// (`--enable-admission-plugins`) and those it disables
/// (`--disable-admission-plugins`).
pub fn admission_plugins(obj: &Object) -> (Vec<&str>, Vec<&str>) {
    let of = |name: &str| flag(obj, name).map(|f| list(f.value)).unwrap_or_default();
    (
        of("enable-admission-plugins"),
        of("disable-admission-plugins"),
    )
}

/// Reports a `host:port` address flag whose host is not loopback; an
/// unset flag has `default` (`None`: unset is fine).
pub fn require_loopback(
    obj: &Object,
    out: &mut Vec<Violation>,
    name: &str,
    default: Option<&str>,
    why: &str,
) {
    let (value, path, given) = match flag(obj, name) {
        Some(f) => (f.value.to_owned(), f.path, true),
        None => match default {
            Some(d) => (d.to_owned(), flags_path(), false),
            None => return,
        },
    };
    if !is_loopback(host_of(&value)) {
        let how = if given {
            format!("--{name}={value}")
        } else {
            format!("--{name} is not set (default {value})")
        };
        out.push(Violation::new(path, format!("{how}: {why}")));
    }
}

/// Reports weak or unset TLS cipher suites of a `--tls-cipher-suites` flag.
pub fn require_strong_ciphers(obj: &Object, out: &mut Vec<Violation>, who: &str) {
    let Some(f) = flag(obj, "tls-cipher-suites") else {
        out.push(Violation::new(
            flags_path(),
            format!("--tls-cipher-suites is not set: {who} offers Go's defaults, which include CBC-mode suites"),
        ));
        return;
    };
    for suite in list(f.value) {
        if is_weak_cipher(suite) {
            out.push(Violation::new(
                f.path.clone(),
                format!("{who} offers the weak TLS cipher suite {suite}"),
            ));
        }
    }
}

/// The value of a `--feature-gates` entry (`RotateKubeletServerCertificate=false`).
pub fn feature_gate(obj: &Object, gate: &str) -> Option<bool> {
    let f = flag(obj, "feature-gates")?;
    feature_gates(f.value)
        .into_iter()
        .flatten()
        .find_map(|(name, on)| (name == gate).then_some(on))
}

/// The `NodeFile` object's role (`apiserver-manifest`, `pki-key`, …) when it
/// is one of `roles` and the file exists.
fn existing_file_role<'a>(obj: &'a Object, roles: &[&str]) -> Option<&'a str> {
    if !is(obj, "NodeFile")
        || obj
            .root
            .get_path(&["spec", "exists"])
            .and_then(Node::as_bool)
            == Some(false)
    {
        return None;
    }
    // `roles` lists every role of a file (the cluster CA is both the
    // kubelet's client CA and a PKI certificate); `role` the most specific.
    let spec = obj.root.get("spec")?;
    spec.get("roles")
        .map_or(&[][..], Node::items)
        .iter()
        .chain(spec.get("role"))
        .filter_map(Node::as_str)
        .find(|r| roles.contains(r))
}

fn file_path(obj: &Object) -> &str {
    obj.root
        .get_path(&["spec", "path"])
        .and_then(Node::as_str)
        .unwrap_or(&obj.id.name)
}

/// The API server's authorization modes (`--authorization-mode`, whose
/// default is `AlwaysAllow`) and where to report them; `None`, after a
/// "could not check" finding, when an `--authorization-config` file
/// configures authorization instead.
pub fn authorization_modes<'a>(
    obj: &'a Object,
    out: &mut Vec<Violation>,
) -> Option<(Vec<&'a str>, JsonPath)> {
    if is_set(obj, "authorization-config") && flag(obj, "authorization-mode").is_none() {
        out.push(Violation::new(
            flag_or_flags(obj, "authorization-config"),
            "could not check: authorization is configured by the --authorization-config file, which kaegis does not read yet",
        ));
        return None;
    }
    let modes =
        flag(obj, "authorization-mode").map_or_else(|| vec!["AlwaysAllow"], |f| list(f.value));
    Some((modes, flag_or_flags(obj, "authorization-mode")))
}

/// Reports a file of one of `roles` whose permission bits go beyond `max`
/// (e.g. `0o600`): group or other access, or execute bits, the benchmark
/// does not allow.
pub fn require_mode(obj: &Object, out: &mut Vec<Violation>, roles: &[&str], max: u32, why: &str) {
    if existing_file_role(obj, roles).is_none() {
        return;
    }
    let path = JsonPath::root().keys(&["spec", "mode"]);
    let Some(text) = obj.root.get_path(&["spec", "mode"]).and_then(Node::as_str) else {
        out.push(Violation::new(
            path,
            format!(
                "could not check: the permissions of {} are unknown",
                file_path(obj)
            ),
        ));
        return;
    };
    match u32::from_str_radix(text.trim_start_matches("0o"), 8) {
        Ok(mode) if mode & !max & 0o7777 == 0 => {}
        Ok(mode) => out.push(Violation::new(
            path,
            format!(
                "{} has mode {mode:04o}, more open than {max:04o}: {why}",
                file_path(obj)
            ),
        )),
        Err(_) => out.push(Violation::new(
            path,
            format!(
                "could not check: {} has the mode {text:?}, not an octal number",
                file_path(obj)
            ),
        )),
    }
}

/// Reports a file of one of `roles` not owned by `user:group`.
pub fn require_owner(
    obj: &Object,
    out: &mut Vec<Violation>,
    roles: &[&str],
    user: &str,
    group: &str,
    why: &str,
) {
    if existing_file_role(obj, roles).is_none() {
        return;
    }
    let name = |key: &str, id: &str| {
        obj.root
            .get_path(&["spec", key])
            .and_then(Node::as_str)
            .map(str::to_owned)
            .or_else(|| {
                obj.root
                    .get_path(&["spec", id])
                    .and_then(Node::as_i64)
                    .map(|n| n.to_string())
            })
    };
    let (Some(u), Some(g)) = (name("user", "uid"), name("group", "gid")) else {
        out.push(Violation::new(
            JsonPath::root().key("spec"),
            format!(
                "could not check: the owner of {} is unknown",
                file_path(obj)
            ),
        ));
        return;
    };
    let is = |have: &str, want: &str| have == want || (want == "root" && have == "0");
    if !is(&u, user) || !is(&g, group) {
        out.push(Violation::new(
            JsonPath::root().keys(&["spec", "user"]),
            format!(
                "{} is owned by {u}:{g}, not {user}:{group}: {why}",
                file_path(obj)
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_durations() {
        for z in ["0", "0s", "0h0m0s", "0.0m"] {
            assert!(is_zero_duration(z), "{z}");
        }
        for nz in ["4h", "5m0s", "", "10s"] {
            assert!(!is_zero_duration(nz), "{nz}");
        }
    }

    #[test]
    fn hosts() {
        assert_eq!(host_of("http://0.0.0.0:2379"), "0.0.0.0");
        assert_eq!(host_of("127.0.0.1:10249"), "127.0.0.1");
        assert_eq!(host_of("https://[::1]:2379"), "::1");
        assert_eq!(host_of("localhost"), "localhost");
        assert!(is_loopback("127.0.0.1"));
        assert!(!is_loopback("0.0.0.0"));
    }

    #[test]
    fn weak_ciphers() {
        assert!(is_weak_cipher("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"));
        assert!(is_weak_cipher("TLS_RSA_WITH_AES_128_GCM_SHA256"));
        assert!(is_weak_cipher("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"));
        assert!(!is_weak_cipher("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"));
        assert!(!is_weak_cipher(
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        ));
    }
}
