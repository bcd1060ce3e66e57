//! How the Kubernetes components read their command-line flags (Go's
//! `strconv.ParseBool`, pflag's comma-separated lists and
//! `--feature-gates`), for the code that resolves a node's flags
//! (kaegis-node) and the checks that judge them.

/// Go's `strconv.ParseBool`: `1`, `t`, `true`… and `0`, `f`, `false`…,
/// nothing else. (YAML's booleans, which [`crate::Node::as_bool`] reads,
/// are another set.)
pub fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// The items of a comma-separated list flag, trimmed, empty ones left out.
pub fn list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// A `--feature-gates` value (`A=true,B=false`), item by item: `(gate,
/// on)`, or the item itself when it is not `NAME=true|false`.
pub fn feature_gates(text: &str) -> Vec<Result<(&str, bool), &str>> {
    list(text)
        .into_iter()
        .map(|pair| {
            pair.split_once('=')
                .and_then(|(k, v)| Some((k.trim(), parse_go_bool(v.trim())?)))
                .ok_or(pair)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_booleans_are_not_yaml_booleans() {
        assert_eq!(parse_go_bool("True"), Some(true));
        assert_eq!(parse_go_bool("t"), Some(true));
        assert_eq!(parse_go_bool("0"), Some(false));
        assert_eq!(parse_go_bool("yes"), None);
        assert_eq!(parse_go_bool("on"), None);
    }

    #[test]
    fn lists_and_gates() {
        assert_eq!(list(" a, ,b,"), ["a", "b"]);
        assert_eq!(
            feature_gates("A=true, B=false,C=yes,D"),
            [Ok(("A", true)), Ok(("B", false)), Err("C=yes"), Err("D")]
        );
    }
}
