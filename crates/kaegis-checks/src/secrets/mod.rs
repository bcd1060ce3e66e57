//! Checks of the `secrets` area: how workloads receive Secrets, and
//! credentials committed where they do not belong (env values, ConfigMaps,
//! annotations, Secret manifests).
//!
//! This module also holds the credential detection the checks share:
//! credential-like names ([`is_credential_name`]), known token formats
//! ([`find_token`]), Shannon entropy ([`shannon_entropy`]), placeholders and
//! references ([`is_placeholder`], [`is_reference`]), the judgement "this
//! value looks like a real credential" ([`looks_real`]), assignments inside
//! embedded configuration files ([`find_credential_assignment`]), base64 as
//! the API server decodes it ([`decode_base64`]), file modes as the
//! Kubernetes YAML decoder reads them ([`file_mode`]), and redaction for
//! messages ([`redacted`]): a message never carries a secret, at most its
//! first four characters and its length.

pub mod credentials_in_annotations;
pub mod credentials_in_configmap;
pub mod credentials_in_env;
pub mod secret_env_from;
pub mod secret_env_var;
pub mod secret_in_manifest;
pub mod secret_rotation;
pub mod secret_volume_permissions;
pub mod secret_volume_read_only;
pub mod service_account_token_secret;

use kaegis_core::{Check, Node, Object};

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &secret_env_var::SecretEnvVar,
    &secret_env_from::SecretEnvFrom,
    &secret_volume_read_only::SecretVolumeReadOnly,
    &secret_volume_permissions::SecretVolumePermissions,
    &credentials_in_env::CredentialsInEnv,
    &credentials_in_configmap::CredentialsInConfigMap,
    &credentials_in_annotations::CredentialsInAnnotations,
    &secret_in_manifest::SecretInManifest,
    &secret_rotation::SecretRotation,
    &service_account_token_secret::ServiceAccountTokenSecret,
];

/// True for a core-group object of this kind (`v1` Secret, ConfigMap…).
pub(crate) fn is_core(obj: &Object, kind: &str) -> bool {
    obj.id.kind == kind && obj.group().is_empty()
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/// Fragments one of which every credential-like name contains; a cheap,
/// allocation-free test before the name is split into words.
const NAME_FRAGMENTS: &[&str] = &["pass", "pwd", "secret", "token", "key", "cred", "auth"];

/// Words that make a name credential-like on their own.
const CREDENTIAL_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWORDS",
    "PASSWD",
    "PASS",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "APIKEY",
    "APIKEYS",
    "PRIVATEKEY",
    "ACCESSKEY",
    "SECRETKEY",
    "CLIENTSECRET",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "AUTH",
    "AUTHTOKEN",
    "AUTHKEY",
];

/// Pairs of adjacent words that make a name credential-like (`API_KEY`).
const CREDENTIAL_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("PRIVATE", "KEY"),
    ("ACCESS", "KEY"),
    ("SECRET", "KEY"),
    ("AUTH", "KEY"),
    ("ENCRYPTION", "KEY"),
    ("SIGNING", "KEY"),
    ("MASTER", "KEY"),
    ("SESSION", "KEY"),
];

/// Words that, after the credential word, make a credential-like name name
/// something else: the credential's name, file, location, owner, kind or
/// policy, not the credential itself (`SECRET_NAME`, `TOKEN_FILE`,
/// `PASSWORD_MIN_LENGTH`, `AWS_ACCESS_KEY_ID`).
const NON_SECRET_LAST_WORDS: &[&str] = &[
    "NAME",
    "NAMES",
    "FILE",
    "FILES",
    "FILENAME",
    "PATH",
    "PATHS",
    "DIR",
    "DIRECTORY",
    "MOUNT",
    "VOLUME",
    "URL",
    "URLS",
    "URI",
    "ENDPOINT",
    "HOST",
    "HOSTNAME",
    "PORT",
    "ADDR",
    "ADDRESS",
    "DOMAIN",
    "SERVER",
    "USER",
    "USERNAME",
    "LOGIN",
    "EMAIL",
    "ID",
    "IDS",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "DISABLE",
    "REQUIRED",
    "TYPE",
    "MODE",
    "METHOD",
    "PROVIDER",
    "REF",
    "KIND",
    "NAMESPACE",
    "TTL",
    "TIMEOUT",
    "EXPIRY",
    "EXPIRATION",
    "LIFETIME",
    "DURATION",
    "INTERVAL",
    "PERIOD",
    "LENGTH",
    "LEN",
    "SIZE",
    "COUNT",
    "MAX",
    "MIN",
    "LIMIT",
    "VERSION",
    "IMAGE",
    "HEADER",
    "AUDIENCE",
    "ISSUER",
    "SCOPE",
    "SCOPES",
    "REALM",
    "POLICY",
    "FORMAT",
    "ALGORITHM",
    "ALG",
    "LOCATION",
    "PREFIX",
    "SUFFIX",
    "HASH",
    "SELECTOR",
    "LABEL",
    "LABELS",
    "ANNOTATION",
    "ANNOTATIONS",
    "HINT",
    "DESCRIPTION",
    "KEYS",
];

/// Splits a name into upper-case words at `_`, `-`, `.`, `/`, spaces and
/// lower-to-upper case changes (`dbPassword`, `APIKey`, `db.password`).
pub fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // aB → a|B ; ABc → A|Bc (an acronym followed by a word).
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_uppercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// True when a name (an env var, a ConfigMap key, a key in an embedded
/// configuration file) says its value is a credential: a word such as
/// PASSWORD, SECRET, TOKEN, CREDENTIALS, AUTH or a pair such as API KEY,
/// PRIVATE KEY, ACCESS KEY; unless a later word says it names something
/// about the credential instead (`SECRET_NAME`, `TOKEN_FILE`,
/// `PASSWORD_REQUIRED`, `ACCESS_KEY_ID`, `AUTH_TOKEN_HEADER`,
/// `secretNameAnnotation`), or it starts with `existing` (`existingSecret`
/// names a Secret object).
pub fn is_credential_name(name: &str) -> bool {
    if !NAME_FRAGMENTS
        .iter()
        .any(|f| contains_ignore_ascii_case(name, f))
    {
        return false;
    }
    let words = name_words(name);
    if words.first().is_some_and(|w| w == "EXISTING") {
        return false;
    }
    // `PWD` alone is the shell's working directory.
    let single =
        |w: &String| CREDENTIAL_WORDS.contains(&w.as_str()) || (w == "PWD" && words.len() > 1);
    let mut last = None;
    for (i, w) in words.iter().enumerate() {
        if single(w) {
            last = Some(i);
        }
        if let Some(next) = words.get(i + 1)
            && CREDENTIAL_PAIRS.contains(&(w.as_str(), next.as_str()))
        {
            last = Some(i + 1);
        }
    }
    last.is_some_and(|p| {
        !words[p + 1..]
            .iter()
            .any(|w| NON_SECRET_LAST_WORDS.contains(&w.as_str()))
    })
}

fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/// Shannon entropy of a string in bits per character (over bytes): about 2
/// for `admin`, 3.3 for `password123`, above 4 for random tokens.
pub fn shannon_entropy(s: &str) -> f64 {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whole values that stand for a credential rather than being one.
const PLACEHOLDER_VALUES: &[&str] = &[
    "changeme",
    "changeit",
    "replaceme",
    "placeholder",
    "secret",
    "secrets",
    "password",
    "passwd",
    "token",
    "apikey",
    "api-key",
    "api_key",
    "apitoken",
    "authtoken",
    "accesskey",
    "secretkey",
    "passphrase",
    "credentials",
    "pass",
    "pwd",
    "key",
    "dummy",
    "example",
    "sample",
    "test",
    "todo",
    "tbd",
    "fixme",
    "redacted",
    "hidden",
    "masked",
    "none",
    "null",
    "nil",
    "undefined",
    "empty",
    "default",
    "unset",
    "notset",
];

/// Fragments that mark a value as a placeholder wherever they appear.
const PLACEHOLDER_FRAGMENTS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "change me",
    "replaceme",
    "replace-me",
    "replace_me",
    "replace me",
    "placeholder",
    "example",
    "redacted",
    "your-",
    "your_",
    "yourpassword",
    "yoursecret",
    "yourtoken",
    "<your",
    "...",
    "xxxx",
    "****",
];

/// True for a value that stands in for a credential: empty, `<password>`,
/// `[token]`, `changeme`, `REPLACE_ME`, `xxx`, `***`, `your-token-here`,
/// an upper-case substitution variable (`GOOGLE_API_KEY_VAL`), a value made
/// of one repeated character, a substitution marker (`__TOKEN__`, `@TOKEN@`,
/// `%TOKEN%`), or a SOPS-encrypted value (`ENC[…]`).
pub fn is_placeholder(value: &str) -> bool {
    let t = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if t.is_empty() {
        return true;
    }
    let wrapped = |open: char, close: char| t.starts_with(open) && t.ends_with(close);
    if wrapped('<', '>') || wrapped('[', ']') || t.starts_with("ENC[") {
        return true;
    }
    let marker = |m: &str| t.len() > 2 * m.len() && t.starts_with(m) && t.ends_with(m);
    if marker("__") || marker("@") || marker("%") {
        return true;
    }
    // One character repeated, ignoring separators: xxx, ***, 0000-0000.
    let mut alnum = t.chars().filter(|c| c.is_alphanumeric());
    if let Some(first) = alnum.next() {
        if alnum.all(|c| c.eq_ignore_ascii_case(&first)) {
            return true;
        }
    } else if t.chars().all(|c| c == t.chars().next().unwrap_or(c)) {
        return true;
    }
    // SOME_VARIABLE_NAME: a token for envsubst, sed or kustomize to replace.
    if t.contains('_')
        && t.starts_with(|c: char| c.is_ascii_uppercase())
        && t.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    PLACEHOLDER_VALUES.contains(&lower.as_str())
        || PLACEHOLDER_FRAGMENTS.iter().any(|f| lower.contains(f))
        || PLACEHOLDER_VALUES.contains(&strip_filler(&lower))
}

/// Filler words that, in front of a credential word, make a sample value:
/// `mypassword`, `supersecret`, `somerandomtoken`, `yourapikey`.
const FILLER_PREFIXES: &[&str] = &[
    "my", "your", "some", "the", "random", "super", "dummy", "fake", "test", "sample", "default",
];

/// A lower-case value without filler prefixes, separators and trailing
/// digits: `mypassword123` → `password`, `super-secret` → `secret`.
fn strip_filler(lower: &str) -> &str {
    let mut rest = lower;
    loop {
        let before = rest;
        for p in FILLER_PREFIXES {
            rest = rest.strip_prefix(p).unwrap_or(rest);
            rest = rest.trim_start_matches(['-', '_', '.']);
        }
        if rest == before {
            break;
        }
    }
    rest.trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, '-' | '_' | '.' | '!'))
}

/// True for a value that refers to a credential kept elsewhere: `$(VAR)`
/// (Kubernetes' own expansion), `${VAR}`, `$VAR`, a template (`{{ … }}`,
/// `%{…}`, `#{…}`), or a secret store reference (`arn:aws:…`, `vault:…`,
/// `ref+…://`, `projects/…/secrets/…`).
pub fn is_reference(value: &str) -> bool {
    let t = value.trim();
    if t.contains("$(")
        || t.contains("${")
        || t.contains("{{")
        || t.contains("%{")
        || t.contains("#{")
    {
        return true;
    }
    if let Some(var) = t.strip_prefix('$')
        && var.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    [
        "arn:",
        "vault:",
        "ref+",
        "secretsmanager:",
        "sm://",
        "awssm:",
        "azurekeyvault:",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
        || (lower.starts_with("projects/") && lower.contains("/secrets/"))
}

/// True for a file path (`/etc/secret/token`, `./key.pem`, `~/.aws`,
/// `file:…`, `C:\…`).
pub fn is_path(value: &str) -> bool {
    let t = value.trim();
    t.starts_with('/')
        || t.starts_with("./")
        || t.starts_with("../")
        || t.starts_with("~/")
        || t.starts_with("file:")
        || t.starts_with("\\\\")
        || (t.len() > 2 && t.as_bytes()[0].is_ascii_alphabetic() && t[1..].starts_with(":\\"))
}

/// True for a flag or a quantity rather than a credential: a boolean word,
/// a number, or digits with a unit (`3600`, `1.5`, `30s`, `1h30m`, `10Mi`).
pub fn is_flag_or_number(value: &str) -> bool {
    let t = value.trim();
    let lower = t.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | "enabled"
            | "disabled"
            | "enable"
            | "disable"
            | "required"
            | "optional"
    ) {
        return true;
    }
    // Groups of digits, each followed by at most three letters of unit.
    let b = t.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        if i == start {
            return false;
        }
        let unit = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i - unit > 3 {
            return false;
        }
    }
    true
}

/// True for a dotted identifier path such as `process.env.PASSWORD`,
/// `Values.db.password` or `auth.example.com`: code or configuration
/// referring to a value, or a host name, not a credential.
fn is_identifier_path(value: &str) -> bool {
    let mut parts = value.split('.');
    let ident = |p: &str| {
        !p.is_empty()
            && p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    value.contains('.') && parts.all(ident)
}

/// Words that, as one part of a lower-case DNS name, make the name the
/// *name* of a Secret or certificate rather than a credential
/// (`my-tls-secret`, `gitlab-token`, `webhook-server-cert`).
const OBJECT_NAME_WORDS: &[&str] = &[
    "secret",
    "secrets",
    "token",
    "tokens",
    "tls",
    "cert",
    "certs",
    "certificate",
    "key",
    "keys",
    "creds",
    "credentials",
    "password",
    "auth",
];

/// True for a Kubernetes object name that names a credential's Secret
/// (`db-password`, `my-tls-secret`): lower-case DNS characters, at least one
/// `-`, and one `-`/`.`-separated part such as `secret`, `token`, `tls`,
/// `cert`, `key`, `creds`.
fn is_secret_object_name(value: &str) -> bool {
    value.contains('-')
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && value
            .split(['-', '.'])
            .any(|part| OBJECT_NAME_WORDS.contains(&part))
}

/// The password of a URL with one in its user info (`scheme://user:pw@host`).
pub fn url_password(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (_, password) = userinfo.split_once(':')?;
    Some(password)
}

/// True when a value stored under a credential-like name looks like a real
/// credential: not empty, not a placeholder, not a reference, not a path,
/// not a flag or number, not a URL (unless it carries a real-looking
/// password), no whitespace, not a dotted identifier path, not the name of
/// a Secret object (`db-password`), and Shannon entropy of at least
/// `min_entropy` bits per character.
pub fn looks_real(value: &str, min_entropy: f64) -> bool {
    let t = value.trim();
    if t.is_empty()
        || is_placeholder(t)
        || is_reference(t)
        || is_path(t)
        || is_flag_or_number(t)
        || t.chars().any(char::is_whitespace)
    {
        return false;
    }
    if t.contains("://") {
        return url_password(t).is_some_and(|pw| looks_real(pw, min_entropy));
    }
    !is_identifier_path(t) && !is_secret_object_name(t) && shannon_entropy(t) >= min_entropy
}

/// How a finding shows a value: the first four characters and the length
/// when the value has at least 16 characters (a quarter at most), the length
/// alone otherwise. Never the value itself.
pub fn redacted(value: &str) -> String {
    let n = value.chars().count();
    if n >= 16 {
        let head: String = value.chars().take(4).collect();
        format!("\"{head}…\", {n} chars")
    } else {
        format!("{n} chars")
    }
}

// ---------------------------------------------------------------------------
// Known token formats
// ---------------------------------------------------------------------------

/// A credential in a known format found in some text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    /// What it is, for messages: "an AWS access key id".
    pub kind: &'static str,
    /// The matched text (only ever shown through [`redacted`]).
    pub text: &'a str,
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Length of the run of bytes from `start` satisfying `f`.
fn run_len(b: &[u8], start: usize, f: impl Fn(u8) -> bool) -> usize {
    b[start.min(b.len())..]
        .iter()
        .take_while(|&&c| f(c))
        .count()
}

/// Every start of `needle` in `text` that is not preceded by a byte of the
/// same token (`f`).
fn starts<'t>(
    text: &'t str,
    needle: &'t str,
    f: impl Fn(u8) -> bool + 't,
) -> impl Iterator<Item = usize> + 't {
    let b = text.as_bytes();
    text.match_indices(needle)
        .map(|(i, _)| i)
        .filter(move |&i| i == 0 || !f(b[i - 1]))
}

/// A token format recognised by its prefix and the shape of what follows.
struct Format {
    kind: &'static str,
    prefixes: &'static [&'static str],
    /// The bytes the body after the prefix is made of.
    body: fn(u8) -> bool,
    /// The body's shortest and longest lengths.
    min: usize,
    max: usize,
    /// The body must contain a digit.
    digit: bool,
}

fn upper_or_digit(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn alnum_or_underscore(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn alnum_or_dash(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

const FORMATS: &[Format] = &[
    Format {
        kind: "an AWS access key id",
        prefixes: &["AKIA", "ASIA"],
        body: upper_or_digit,
        min: 16,
        max: 16,
        digit: false,
    },
    Format {
        kind: "a GitHub token",
        prefixes: &["ghp_", "gho_", "ghs_", "ghu_", "ghr_"],
        body: |c| c.is_ascii_alphanumeric(),
        min: 36,
        max: usize::MAX,
        digit: false,
    },
    Format {
        kind: "a GitHub token",
        prefixes: &["github_pat_"],
        body: alnum_or_underscore,
        min: 22,
        max: usize::MAX,
        digit: false,
    },
    Format {
        kind: "a Slack token",
        prefixes: &["xoxa-", "xoxb-", "xoxp-", "xoxr-"],
        body: alnum_or_dash,
        min: 20,
        max: usize::MAX,
        digit: true,
    },
    Format {
        kind: "a Google API key",
        prefixes: &["AIza"],
        body: is_b64url,
        min: 35,
        max: 35,
        digit: false,
    },
    Format {
        kind: "a Stripe live key",
        prefixes: &["sk_live_", "rk_live_"],
        body: |c| c.is_ascii_alphanumeric(),
        min: 16,
        max: usize::MAX,
        digit: false,
    },
];

/// Finds the first credential in a known format in `text`: an AWS access
/// key id (`AKIA…`/`ASIA…`), a GitHub token (`ghp_`, `gho_`, `ghs_`, `ghu_`,
/// `ghr_`, `github_pat_`), a Slack token (`xoxa-`/`xoxb-`/`xoxp-`/`xoxr-`),
/// a Google API key (`AIza…`), a Stripe live key (`sk_live_`/`rk_live_`), a
/// PEM private key (also base64-encoded, as in a kubeconfig's
/// `client-key-data`), a JWT (`eyJ….eyJ….…`), or a URL carrying a
/// real-looking password (`postgres://app:…@db`). Matches that are
/// placeholders (`AKIAIOSFODNN7EXAMPLE`, `xoxb-your-token`) do not count.
pub fn find_token(text: &str, min_entropy: f64) -> Option<Token<'_>> {
    // Every format needs at least 16 bytes (the shortest bodies, and a URL
    // whose password reaches the entropy floor): most manifest strings are
    // shorter, and skip the searches below.
    if text.len() < 16 {
        return None;
    }
    let b = text.as_bytes();
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    for f in FORMATS {
        for prefix in f.prefixes {
            for i in starts(text, prefix, alnum) {
                let from = i + prefix.len();
                let body = run_len(b, from, f.body);
                let end = from + body;
                if body < f.min
                    || body > f.max
                    || b.get(end).is_some_and(|&c| alnum(c))
                    || (f.digit && !b[from..end].iter().any(u8::is_ascii_digit))
                {
                    continue;
                }
                let t = &text[i..end];
                if !is_placeholder(t) {
                    return Some(Token {
                        kind: f.kind,
                        text: t,
                    });
                }
            }
        }
    }
    if let Some(t) = find_pem_private_key(text) {
        return Some(t);
    }
    if let Some(t) = find_base64_pem_private_key(text) {
        return Some(t);
    }
    if let Some(t) = find_jwt(text) {
        return Some(t);
    }
    find_url_password(text, min_entropy)
}

/// `-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED |PGP ]PRIVATE KEY[ BLOCK]-----`
/// followed by a body of at least 40 base64 characters.
fn find_pem_private_key(text: &str) -> Option<Token<'_>> {
    for (i, _) in text.match_indices("-----BEGIN ") {
        let header_start = i + 11;
        let Some(len) = text[header_start..].find("-----") else {
            continue;
        };
        let label = &text[header_start..header_start + len];
        if label.len() > 40
            || !(label.ends_with("PRIVATE KEY") || label.ends_with("PRIVATE KEY BLOCK"))
        {
            continue;
        }
        let body_start = header_start + len + 5;
        let body_end = text[body_start..]
            .find("-----END")
            .map_or(text.len(), |e| body_start + e);
        let body = &text[body_start..body_end];
        let b64 = body
            .bytes()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
            .count();
        if b64 >= 40 && !body.contains("...") {
            return Some(Token {
                kind: "a PEM private key",
                text: &text[i..body_end],
            });
        }
    }
    None
}

/// A base64 run starting with the encoding of `-----BEGIN` whose decoded
/// header names a private key (kubeconfig `client-key-data`, Secret data
/// copied into a ConfigMap).
fn find_base64_pem_private_key(text: &str) -> Option<Token<'_>> {
    let b = text.as_bytes();
    let b64 = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=');
    for i in starts(text, "LS0tLS1CRUdJTi", b64) {
        let len = run_len(b, i, b64);
        if len < 64 {
            continue;
        }
        let head = &text[i..i + len.min(96) / 4 * 4];
        let Some(decoded) = decode_base64(head) else {
            continue;
        };
        let decoded = String::from_utf8_lossy(&decoded);
        let header = decoded.lines().next().unwrap_or("");
        if header.contains("PRIVATE KEY") {
            return Some(Token {
                kind: "a base64-encoded PEM private key",
                text: &text[i..i + len],
            });
        }
    }
    None
}

/// `eyJ<header>.eyJ<payload>.<signature>`, with a signature of at least 16
/// characters; the jwt.io sample token does not count.
fn find_jwt(text: &str) -> Option<Token<'_>> {
    let b = text.as_bytes();
    for i in starts(text, "eyJ", is_b64url) {
        let header = run_len(b, i, is_b64url);
        let p = i + header;
        if header < 10 || b.get(p) != Some(&b'.') || !text[p + 1..].starts_with("eyJ") {
            continue;
        }
        let payload = run_len(b, p + 1, is_b64url);
        let s = p + 1 + payload;
        if payload < 10 || b.get(s) != Some(&b'.') {
            continue;
        }
        let signature = run_len(b, s + 1, is_b64url);
        // The well-known sample token of jwt.io ("John Doe").
        let sample =
            text[p + 1..].starts_with("eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIi");
        if signature >= 16 && !sample {
            return Some(Token {
                kind: "a JSON Web Token",
                text: &text[i..s + 1 + signature],
            });
        }
    }
    None
}

/// `scheme://user:password@host` with a password that looks real.
fn find_url_password(text: &str, min_entropy: f64) -> Option<Token<'_>> {
    let b = text.as_bytes();
    let url_byte = |c: u8| c.is_ascii_graphic() && !matches!(c, b'"' | b'\'' | b'`' | b'<' | b'>');
    for (i, _) in text.match_indices("://") {
        let start = i - b[..i]
            .iter()
            .rev()
            .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
            .count();
        if start == i {
            continue;
        }
        let end = i + 3 + run_len(b, i + 3, url_byte);
        let url = &text[start..end];
        if let Some(pw) = url_password(url)
            && looks_real(pw, min_entropy)
        {
            return Some(Token {
                kind: "a URL with an embedded password",
                text: url,
            });
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Embedded configuration files
// ---------------------------------------------------------------------------

/// A `key: value` or `key=value` line of an embedded configuration file
/// whose key is credential-like and whose value looks real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment<'a> {
    /// 1-based line number inside the value.
    pub line: usize,
    /// The key as written.
    pub key: &'a str,
    /// The value (only ever shown through [`redacted`]).
    pub value: &'a str,
}

/// Finds the first line of an embedded configuration file (YAML, INI,
/// properties, dotenv, TOML, JSON) that assigns a real-looking value to a
/// credential-like key: `password: s3cr3t…`, `db.password=…`,
/// `"apiKey": "…"`, `export TOKEN=…`. Comment lines are skipped; keys must be
/// single words (so `local token = …` in code is not an assignment); values
/// holding brackets, parentheses or semicolons are code, not credentials.
pub fn find_credential_assignment(text: &str, min_entropy: f64) -> Option<Assignment<'_>> {
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        let line = line.strip_prefix("- ").unwrap_or(line);
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with(['#', ';', '/', '*']) {
            continue;
        }
        let Some(sep) = line.find([':', '=']) else {
            continue;
        };
        let key = line[..sep].trim().trim_matches(|c| c == '"' || c == '\'');
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            || !is_credential_name(key)
        {
            continue;
        }
        let value = unquote(
            line[sep + 1..]
                .trim_start_matches(['=', ' ', '\t'])
                .trim_end(),
        );
        if value.contains(['(', ')', '[', ']', '{', '}', ';', '<', '>'])
            || value.starts_with(['|', '>', '&', '*', '!', '@', '%'])
        {
            continue;
        }
        if looks_real(value, min_entropy) {
            return Some(Assignment {
                line: n + 1,
                key,
                value,
            });
        }
    }
    None
}

/// A value without its quotes, trailing comma and (unquoted) trailing
/// comment.
fn unquote(v: &str) -> &str {
    let v = v.strip_suffix(',').unwrap_or(v).trim_end();
    for q in ['"', '\''] {
        if let Some(rest) = v.strip_prefix(q) {
            return rest.find(q).map_or(rest, |end| &rest[..end]);
        }
    }
    v.split(" #").next().unwrap_or(v).trim()
}

// ---------------------------------------------------------------------------
// Encodings
// ---------------------------------------------------------------------------

/// Decodes standard base64 (with padding) as the API server decodes a
/// Secret's `data`: line breaks are ignored, anything else that is not of the
/// alphabet is an error.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let clean: Vec<u8> = text.bytes().filter(|&c| c != b'\n' && c != b'\r').collect();
    if !clean.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let chunks = clean.chunks(4).count();
    for (n, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && n + 1 != chunks) {
            return None;
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = (acc << 6) | sextet(c)?;
        }
        acc <<= 6 * pad as u32;
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

/// A file mode (`defaultMode`, `items[].mode`) as Kubernetes' YAML decoder
/// reads it ([`Node::as_i64`]: YAML 1.1, so a plain `0644` is octal 420, as
/// is `0o644`; `420` is decimal). `None` for anything that is not an
/// integer in `0..=0o777`.
pub fn file_mode(node: &Node) -> Option<u32> {
    u32::try_from(node.as_i64()?).ok().filter(|m| *m <= 0o777)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaegis_core::Pos;

    #[test]
    fn credential_names() {
        for name in [
            "PASSWORD",
            "DB_PASSWORD",
            "POSTGRES_PASSWD",
            "dbPassword",
            "spring.datasource.password",
            "API_KEY",
            "apiKey",
            "OPENAI_APIKEY",
            "GITHUB_TOKEN",
            "x-auth-token",
            "AWS_SECRET_ACCESS_KEY",
            "secretAccessKey",
            "CLIENT_SECRET",
            "OAUTH2_PROXY_COOKIE_SECRET",
            "GOOGLE_APPLICATION_CREDENTIALS_JSON",
            "PRIVATE_KEY",
            "MYSQL_ROOT_PWD",
            "AUTH",
            "ENCRYPTION_KEY",
            "SMTP_AUTH_USER_PASSWORD",
            "discovery.sendtargets.auth.password_in",
        ] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in [
            "SECRET_NAME",
            "CABUNDLE_SECRET_NAME",
            "TOKEN_FILE",
            "PASSWORD_FILE",
            "SECRETS_PATH",
            "PASSWORD_REQUIRED",
            "AUTH_URL",
            "AUTH_PROXY_IMAGE",
            "AWS_ACCESS_KEY_ID",
            "accessKeyId",
            "PWD",
            "KEY",
            "MONKEY",
            "PASSTHROUGH",
            "existingSecret",
            "secretRef",
            "MAX_TOTAL_TOKENS_LIMIT",
            "HOSTNAME",
            "author",
            "OAUTH_ISSUER",
            "storageSecretNameAnnotation",
            "AUTH_TOKEN_HEADER",
            "TOKEN_AUTH_URL",
        ] {
            assert!(!is_credential_name(name), "{name}");
        }
    }

    #[test]
    fn words() {
        assert_eq!(name_words("APIKey"), ["API", "KEY"]);
        assert_eq!(name_words("dbPassword"), ["DB", "PASSWORD"]);
        assert_eq!(name_words("OAUTH2_PROXY"), ["OAUTH2", "PROXY"]);
        assert_eq!(name_words("db.password"), ["DB", "PASSWORD"]);
    }

    #[test]
    fn entropy() {
        assert_eq!(shannon_entropy(""), 0.0);
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy("admin") < 3.0);
        assert!(shannon_entropy("Zq8#rT2!vW9@pL5x") > 3.5);
    }

    #[test]
    fn placeholders_and_references() {
        for v in [
            "",
            "<password>",
            "<Client Secret>",
            "[token]",
            "changeme",
            "CHANGE_ME",
            "REPLACE_ME",
            "xxx",
            "xxxx-xxxx",
            "***",
            "your-token-here",
            "GOOGLE_API_KEY_VAL",
            "INSERT_ETCD_DISCOVERY_TOKEN",
            "AKIAIOSFODNN7EXAMPLE",
            "password",
            "ENC[AES256_GCM,data:abc,type:str]",
            "__SERVICEACCOUNT_TOKEN__",
            "@DB_PASSWORD@",
            "%API_KEY%",
            "mypassword",
            "supersecret",
            "somerandomtoken",
            "your-api-key",
            "password123",
            "Secret123!",
        ] {
            assert!(is_placeholder(v), "{v:?}");
        }
        for v in [
            "hunter2",
            "Ple4seCh4ngeThisN0tAVerySecretV4lue",
            "Zq8rT2vW9pL5x",
        ] {
            assert!(!is_placeholder(v), "{v:?}");
        }
        for v in [
            "$(DB_PASSWORD)",
            "${TOKEN}",
            "$TOKEN",
            "{{ .Values.password }}",
            "arn:aws:secretsmanager:eu-west-1:123:secret:db",
            "vault:secret/data/db#password",
            "projects/p/secrets/db/versions/1",
        ] {
            assert!(is_reference(v), "{v:?}");
        }
        assert!(!is_reference("$2y$10$abcdefghijklmnopqrstuv"));
    }

    #[test]
    fn real_looking_values() {
        let real = |v| looks_real(v, 3.0);
        assert!(real("Zq8rT2vW9pL5xK"));
        assert!(real("s3cr3t-P@ssw0rd!"));
        assert!(real("postgres://app:Zq8rT2vW9pL5xK@db:5432/app"));
        for v in [
            "true",
            "false",
            "3600",
            "1h30m",
            "10Mi",
            "admin",
            "/var/run/secrets/token",
            "./key.pem",
            "https://auth.internal.corp/token",
            "postgres://app:$(DB_PASSWORD)@db/app",
            "process.env.DB_PASSWORD",
            "two words here",
            "changeme",
            "my-tls-secret",
            "kserve-webhook-server-cert",
        ] {
            assert!(!real(v), "{v:?}");
        }
        // The threshold is a parameter.
        assert!(!looks_real("Zq8rT2vW9pL5xK", 4.5));
    }

    #[test]
    fn redaction_never_shows_short_values() {
        assert_eq!(redacted("hunter2"), "7 chars");
        assert_eq!(redacted("abcdefghijklmnopq"), "\"abcd…\", 17 chars");
    }

    // Token literals are assembled at run time so that this source file does
    // not itself look like it leaks credentials to secret scanners.
    fn fake(prefix: &str, body: &str) -> String {
        format!("{prefix}{body}")
    }

    #[test]
    fn known_tokens() {
        let kind = |s: &str| find_token(s, 3.0).map(|t| t.kind);
        let aws = fake("AKIA", "Q3ZJ7R2M5T8W1X4N");
        assert_eq!(kind(&aws), Some("an AWS access key id"));
        assert_eq!(kind(&format!("key={aws};")), Some("an AWS access key id"));
        assert_eq!(kind(&format!("{aws}X")), None);
        assert_eq!(
            kind(&fake("ASIA", "Q3ZJ7R2M5T8W1X4N")),
            Some("an AWS access key id")
        );
        let gh = fake("ghp_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
        assert_eq!(kind(&gh), Some("a GitHub token"));
        assert_eq!(
            kind(&fake(
                "github_pat_",
                "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
            )),
            Some("a GitHub token")
        );
        assert_eq!(
            kind(&fake(
                "xoxb-",
                "123456789012-1234567890123-AbCdEfGhIjKlMnOp"
            )),
            Some("a Slack token")
        );
        assert_eq!(kind(&fake("xoxb-", "your-token-goes-here-please")), None);
        assert_eq!(
            kind(&fake("AIza", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q")),
            Some("a Google API key")
        );
        assert_eq!(
            kind(&fake("sk_live_", "4eC39HqLyjWDarjtT1zdp7dc")),
            Some("a Stripe live key")
        );
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
        assert_eq!(kind(&pem), Some("a PEM private key"));
        let escaped =
            format!("{{\"private_key\": \"-----BEGIN RSA PRIVATE KEY-----\\n{body}\\n\"}}");
        assert_eq!(kind(&escaped), Some("a PEM private key"));
        assert_eq!(
            kind("-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"),
            None
        );
        assert_eq!(
            kind("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
            None
        );
        let jwt = fake(
            "eyJhbGciOiJSUzI1NiJ9.",
            "eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        );
        assert_eq!(kind(&jwt), Some("a JSON Web Token"));
        assert_eq!(
            kind(
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
            ),
            None
        );
        assert_eq!(
            kind("url: postgres://app:Zq8rT2vW9pL5xK@db:5432/app"),
            Some("a URL with an embedded password")
        );
        assert_eq!(kind("postgres://postgres:postgres@localhost/db"), None);
        assert_eq!(kind("https://example.com/path?x=1"), None);
        assert_eq!(kind("plain text with no secrets"), None);
    }

    #[test]
    fn base64_pem_private_key() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\nLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo\n-----END RSA PRIVATE KEY-----\n";
        let encoded = encode_base64(pem.as_bytes());
        assert_eq!(
            find_token(&encoded, 3.0).map(|t| t.kind),
            Some("a base64-encoded PEM private key")
        );
        let cert = pem.replace("RSA PRIVATE KEY", "CERTIFICATE");
        assert_eq!(find_token(&encode_base64(cert.as_bytes()), 3.0), None);
    }

    fn encode_base64(data: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let mut n = 0u32;
            for (i, &b) in chunk.iter().enumerate() {
                n |= u32::from(b) << (16 - 8 * i);
            }
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn base64() {
        assert_eq!(
            decode_base64("aHVudGVyMg==").as_deref(),
            Some(&b"hunter2"[..])
        );
        assert_eq!(decode_base64("YWJj").as_deref(), Some(&b"abc"[..]));
        assert_eq!(decode_base64("YW\nJj").as_deref(), Some(&b"abc"[..]));
        assert_eq!(decode_base64("").as_deref(), Some(&b""[..]));
        assert_eq!(decode_base64("not base64!"), None);
        assert_eq!(decode_base64("YWJ"), None);
        assert_eq!(decode_base64("YQ==YWJj"), None);
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_base64(&encode_base64(&all)), Some(all));
    }

    #[test]
    fn assignments_in_embedded_files() {
        let find = |t| find_credential_assignment(t, 3.0).map(|a| (a.line, a.key));
        assert_eq!(
            find("[db]\nhost = db\npassword = Zq8rT2vW9pL5xK\n"),
            Some((3, "password"))
        );
        assert_eq!(
            find("spring.datasource.password=Zq8rT2vW9pL5xK"),
            Some((1, "spring.datasource.password"))
        );
        assert_eq!(
            find("{\n  \"apiKey\": \"Zq8rT2vW9pL5xK\",\n}"),
            Some((2, "apiKey"))
        );
        assert_eq!(
            find("export GITHUB_TOKEN=Zq8rT2vW9pL5xK"),
            Some((1, "GITHUB_TOKEN"))
        );
        assert_eq!(
            find("auth:\n  password: 'Zq8rT2vW9pL5xK' # prod\n"),
            Some((2, "password"))
        );
        for t in [
            "password: ${DB_PASSWORD}",
            "password_file: /etc/secrets/db",
            "# password: Zq8rT2vW9pL5xK",
            "local token = ngx.var.cookie_token",
            "token: getToken(request)",
            "password: admin",
            "password:",
            "password: |",
            "bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token",
            "auth_enabled: false",
        ] {
            assert_eq!(find(t), None, "{t}");
        }
    }

    #[test]
    fn file_modes_follow_yaml_1_1() {
        let plain = |s| file_mode(&Node::plain_scalar(Pos::new(1, 1), s));
        assert_eq!(plain("0644"), Some(0o644));
        assert_eq!(plain("420"), Some(420));
        assert_eq!(plain("0o600"), Some(0o600));
        assert_eq!(plain("0400"), Some(0o400));
        assert_eq!(plain("256"), Some(0o400));
        assert_eq!(plain("0"), Some(0));
        assert_eq!(plain("0x1ff"), Some(0o777));
        assert_eq!(plain("0999"), None);
        assert_eq!(plain("1000"), None);
        assert_eq!(plain("-1"), None);
        assert_eq!(
            file_mode(&Node::quoted_scalar(Pos::new(1, 1), "0644")),
            None
        );
    }
}
