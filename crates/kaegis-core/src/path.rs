//! JSON paths into an object: `spec.containers[0].securityContext.privileged`.

use std::fmt;

/// One step of a [`JsonPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A mapping key.
    Key(Box<str>),
    /// A sequence index.
    Index(u32),
}

/// A path from an object's root to one of its values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JsonPath(Vec<Segment>);

impl JsonPath {
    /// The empty path: the object itself.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// Parses the dotted form written by [`fmt::Display`]
    /// (`spec.containers[0].name`, `metadata.annotations["a.b/c"]`).
    pub fn parse(s: &str) -> Option<Self> {
        let mut segs = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'.' => i += 1,
                b'[' => {
                    if b.get(i + 1) == Some(&b'"') {
                        let mut key = String::new();
                        let mut j = i + 2;
                        loop {
                            match *b.get(j)? {
                                b'\\' => {
                                    // `\"` and `\\` are the only escapes.
                                    match b.get(j + 1)? {
                                        b'"' => key.push('"'),
                                        b'\\' => key.push('\\'),
                                        _ => return None,
                                    }
                                    j += 2;
                                }
                                b'"' => break,
                                _ => {
                                    let ch = s[j..].chars().next()?;
                                    key.push(ch);
                                    j += ch.len_utf8();
                                }
                            }
                        }
                        if b.get(j + 1) != Some(&b']') {
                            return None;
                        }
                        segs.push(Segment::Key(key.into()));
                        i = j + 2;
                    } else {
                        let end = s[i..].find(']')? + i;
                        segs.push(Segment::Index(s[i + 1..end].parse().ok()?));
                        i = end + 1;
                    }
                }
                _ => {
                    let end = s[i..].find(['.', '[']).map_or(s.len(), |e| e + i);
                    segs.push(Segment::Key(s[i..end].into()));
                    i = end;
                }
            }
        }
        Some(Self(segs))
    }

    /// This path with a key appended.
    pub fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(k.into()));
        p
    }

    /// This path with an index appended.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Index(i as u32));
        p
    }

    /// This path followed by a chain of keys.
    pub fn keys(&self, ks: &[&str]) -> Self {
        let mut p = self.clone();
        p.0.extend(ks.iter().map(|k| Segment::Key((*k).into())));
        p
    }

    /// The segments of the path.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// True for the root path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

fn is_simple_key(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'$')
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if is_simple_key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => {
                    write!(f, "[\"{}\"]", k.replace('\\', "\\\\").replace('"', "\\\""))?
                }
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl serde::Serialize for JsonPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn display() {
        let p = JsonPath::root()
            .keys(&["spec", "containers"])
            .index(0)
            .key("securityContext");
        assert_eq!(p.to_string(), "spec.containers[0].securityContext");
        let a = JsonPath::root()
            .keys(&["metadata", "annotations"])
            .key("container.apparmor.security.beta.kubernetes.io/c");
        assert_eq!(
            a.to_string(),
            "metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/c\"]"
        );
    }

    #[test]
    fn keys_with_backslashes_and_quotes_round_trip() {
        for k in ["a\\", "a\\\"", "\"", "x\\\\y"] {
            let p = JsonPath::root().key("metadata").key(k);
            assert_eq!(JsonPath::parse(&p.to_string()), Some(p.clone()), "{p}");
        }
    }

    fn segment() -> impl Strategy<Value = Segment> {
        prop_oneof![
            "[a-zA-Z0-9_./\"\\\\ -]{1,12}".prop_map(|s| Segment::Key(s.into())),
            (0u32..1000).prop_map(Segment::Index),
        ]
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(segs in proptest::collection::vec(segment(), 0..8)) {
            let p = JsonPath(segs);
            let s = p.to_string();
            prop_assert_eq!(JsonPath::parse(&s), Some(p), "{}", s);
        }
    }
}
