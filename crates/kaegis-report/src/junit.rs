//! JUnit XML for CI systems (Jenkins, GitLab, Azure DevOps, GitHub test
//! reporters): a `<testsuite>` per file, a `<testcase>` per object and
//! applicable check (a check applies to an object when the object's kind is
//! one it looks at), failing with every finding of that check on that object.
//! An input error is an `<error>` test of its file. The layout follows the
//! Surefire/Jenkins schema that common CI tools read.

use std::collections::BTreeMap;
use std::io::{self, Write};

use kaegis_core::{CheckMeta, DiagnosticLevel, Finding, ObjectId};

use crate::Report;

/// Escapes text for an XML attribute or element; drops the characters XML
/// 1.0 cannot carry at all (control characters other than tab and newlines).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// An object of one file and the findings on it by check code.
struct Subject<'a> {
    id: &'a ObjectId,
    findings: BTreeMap<&'static str, Vec<&'a Finding>>,
}

#[derive(Default)]
struct Suite<'a> {
    subjects: Vec<Subject<'a>>,
    /// `(document, object)` → index in `subjects`.
    index: BTreeMap<(u32, &'a ObjectId), usize>,
    errors: Vec<String>,
}

impl<'a> Suite<'a> {
    fn subject(&mut self, document: u32, id: &'a ObjectId) -> &mut Subject<'a> {
        let i = *self.index.entry((document, id)).or_insert_with(|| {
            self.subjects.push(Subject {
                id,
                findings: BTreeMap::new(),
            });
            self.subjects.len() - 1
        });
        &mut self.subjects[i]
    }
}

fn failure_text(check: &CheckMeta, findings: &[&Finding]) -> String {
    let mut text = String::new();
    for f in findings {
        match &f.location.file {
            Some(file) => text.push_str(&format!(
                "{}:{}:{} {} [{}]\n  {}\n",
                file.display(),
                f.location.pos.line,
                f.location.pos.col,
                f.path,
                f.severity,
                f.message
            )),
            // An object read from a cluster: no file, no line.
            None => text.push_str(&format!("{} [{}]\n  {}\n", f.path, f.severity, f.message)),
        }
        if let Some(s) = &f.snippet {
            text.push_str(&format!("  | {}\n", crate::redact_line(s.trim_end())));
        }
    }
    if let Some(fix) = check.doc_section("How to fix") {
        text.push_str("\nHow to fix:\n");
        text.push_str(fix.trim_end());
        text.push('\n');
    }
    text
}

/// Writes the JUnit XML report.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // A suite per file, or per namespace for objects read from a cluster.
    let mut suites: BTreeMap<String, Suite> = BTreeMap::new();
    for c in &report.checked {
        suites
            .entry(crate::source_group(c.location.file.as_deref(), &c.object))
            .or_default()
            .subject(c.location.document, &c.object);
    }
    for f in &report.findings {
        suites
            .entry(crate::source_group(f.location.file.as_deref(), &f.object))
            .or_default()
            .subject(f.location.document, &f.object)
            .findings
            .entry(f.check.code)
            .or_default()
            .push(f);
    }
    for d in &report.diagnostics {
        if d.level == DiagnosticLevel::Error {
            let group = d.file.display().to_string();
            suites.entry(group).or_default().errors.push(match d.pos {
                Some(p) => format!("{}:{p}: {}", d.file.display(), d.message),
                None => format!("{}: {}", d.file.display(), d.message),
            });
        }
    }

    // Render each suite first: the totals go on the root element.
    let (mut tests, mut failures, mut errors) = (0usize, 0usize, 0usize);
    let mut body = String::new();
    for (file, suite) in &suites {
        let name = escape(file);
        let (mut s_tests, mut s_failures) = (0usize, 0usize);
        let mut cases = String::new();
        for subject in &suite.subjects {
            let classname = escape(&subject.id.to_string());
            for check in &report.checks {
                let found = subject.findings.get(check.code);
                if found.is_none() && !check.applies_to(&subject.id.kind) {
                    continue;
                }
                s_tests += 1;
                let case_name = escape(&format!("{} {}", check.code, check.slug));
                match found {
                    None => cases.push_str(&format!(
                        "    <testcase name=\"{case_name}\" classname=\"{classname}\" time=\"0\"/>\n"
                    )),
                    Some(fs) => {
                        s_failures += 1;
                        let worst = fs.iter().map(|f| f.severity).max().unwrap_or(check.severity);
                        let message = match fs.len() {
                            1 => fs[0].message.clone(),
                            n => format!("{n} findings; first: {}", fs[0].message),
                        };
                        cases.push_str(&format!(
                            "    <testcase name=\"{case_name}\" classname=\"{classname}\" time=\"0\">\n      <failure message=\"{}\" type=\"{worst}\">{}</failure>\n    </testcase>\n",
                            escape(&message),
                            escape(&failure_text(check, fs)),
                        ));
                    }
                }
            }
        }
        for e in &suite.errors {
            s_tests += 1;
            cases.push_str(&format!(
                "    <testcase name=\"parse\" classname=\"{name}\" time=\"0\">\n      <error message=\"{}\" type=\"input-error\"/>\n    </testcase>\n",
                escape(e)
            ));
        }
        tests += s_tests;
        failures += s_failures;
        errors += suite.errors.len();
        body.push_str(&format!(
            "  <testsuite name=\"{name}\" tests=\"{s_tests}\" failures=\"{s_failures}\" errors=\"{}\" skipped=\"0\" time=\"0\" file=\"{name}\">\n{cases}  </testsuite>\n",
            suite.errors.len()
        ));
    }
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        out,
        "<testsuites name=\"kaegis ({})\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"0\">",
        escape(&report.profile)
    )?;
    out.write_all(body.as_bytes())?;
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            escape("a<b>&\"c\"'\u{1}\td\r\n"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;\td&#13;\n"
        );
    }
}
