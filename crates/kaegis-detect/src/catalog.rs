//! The rule catalog as documentation: each rule's doc comment as Markdown,
//! and a reference page of every built-in rule (what
//! `docs/detect-rules.md` is generated from; never written by hand).

use std::fmt::Write as _;

use crate::rule::Need;
use crate::rules::builtin;

fn need_line(n: &Need) -> String {
    let group = match n.group {
        "" => "core",
        g => g,
    };
    let verbs = if n.verbs.is_empty() {
        "any verb".to_owned()
    } else {
        n.verbs.join(", ")
    };
    format!(
        "`{}` ({group}): {verbs}, at level `{}`",
        n.resources.join("`, `"),
        n.level.as_str()
    )
}

/// A Markdown reference of every built-in rule: a summary table, then per
/// rule its code, slug, severity, tactic, techniques, the audit events it
/// needs, and its documentation.
pub fn rules_markdown() -> String {
    let rules = builtin();
    let mut out = String::from(
        "# kaegis detect: built-in rules\n\n\
         Generated from the rules' sources (`crates/kaegis-detect/src/rules/`). \
         Codes group by MITRE ATT&CK tactic: KD1xx execution, KD2xx persistence, \
         KD3xx privilege escalation, KD4xx credential access, KD5xx defense evasion \
         and initial access.\n\n\
         | code | rule | severity | tactic | MITRE ATT&CK |\n\
         | --- | --- | --- | --- | --- |\n",
    );
    for r in &rules {
        let m = r.meta();
        let mitre: Vec<&str> = m.mitre.iter().map(|t| t.id).collect();
        let _ = writeln!(
            out,
            "| {} | [{}](#{}) | {} | {} | {} |",
            m.code,
            m.slug,
            m.slug,
            m.severity,
            m.tactic,
            mitre.join(", ")
        );
    }
    for r in &rules {
        let m = r.meta();
        let _ = write!(
            out,
            "\n<a id=\"{slug}\"></a>\n\n## {code} {slug}\n\n**{title}**\n\n\
             - Severity: {sev}\n- Tactic: {tactic}\n",
            slug = m.slug,
            code = m.code,
            title = m.title,
            sev = m.severity,
            tactic = m.tactic,
        );
        for t in m.mitre {
            let _ = writeln!(
                out,
                "- MITRE ATT&CK: [{id} {name}](https://attack.mitre.org/techniques/{path}/)",
                id = t.id,
                name = t.name,
                path = t.id.replace('.', "/")
            );
        }
        out.push_str("- Audit events needed:\n");
        for n in m.needs {
            let _ = writeln!(out, "  - {}", need_line(n));
        }
        out.push('\n');
        // The doc's sections become sub-headings of the rule's.
        for line in m.doc_markdown().lines() {
            if line.starts_with("## ") {
                out.push('#');
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_mentions_every_rule() {
        let md = rules_markdown();
        for r in builtin() {
            let m = r.meta();
            assert!(
                md.contains(&format!("# {} {}", m.code, m.slug)),
                "{}",
                m.slug
            );
            for t in m.mitre {
                assert!(md.contains(t.id), "{}: {}", m.slug, t.id);
            }
            assert!(
                md.contains(&m.doc_section("How to respond").unwrap_or_default()),
                "{}",
                m.slug
            );
        }
    }

    #[test]
    fn sections_are_found() {
        let m = crate::rules::pod_exec::PodExec::META;
        let what = m.doc_section("What").unwrap_or_default();
        assert!(
            what.starts_with("Alerts when someone opens `exec`"),
            "{what}"
        );
        assert!(!what.contains("## Why"));
        assert!(
            m.doc_section("How to respond")
                .is_some_and(|s| s.contains("```yaml"))
        );
    }
}
