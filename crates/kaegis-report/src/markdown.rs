//! A compact Markdown summary for a pull-request comment: one line of
//! counts, a table of the checks that fired, and the findings per file in
//! collapsible sections (GitHub and GitLab render `<details>`).

use std::collections::BTreeMap;
use std::io::{self, Write};

use kaegis_core::{Finding, Severity};

use crate::Report;

/// Findings shown per file before the rest is summarised.
const PER_FILE: usize = 50;

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Writes the Markdown summary.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let counts = report.counts();
    writeln!(out, "### kaegis: {} findings", report.findings.len())?;
    writeln!(out)?;
    let parts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter(|s| counts[**s as usize] > 0)
        .map(|s| format!("**{}** {}", counts[*s as usize], s.as_str()))
        .collect();
    let mut line = format!(
        "{} objects in {} files, profile `{}`",
        report.objects, report.files, report.profile
    );
    if !parts.is_empty() {
        line = format!("{} · {line}", parts.join(" · "));
    }
    if report.suppressed > 0 {
        line.push_str(&format!(" · {} waived or exempted", report.suppressed));
    }
    if report.baselined > 0 {
        line.push_str(&format!(" · {} in the baseline", report.baselined));
    }
    let errors = report.input_errors();
    if errors > 0 {
        line.push_str(&format!(" · **{errors} input errors**"));
    }
    writeln!(out, "{line}")?;
    if report.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "No findings. ✅")?;
        return Ok(());
    }
    // Checks that fired, worst first.
    let mut by_check: BTreeMap<(std::cmp::Reverse<Severity>, &str), (&str, &str, usize)> =
        BTreeMap::new();
    for f in &report.findings {
        by_check
            .entry((std::cmp::Reverse(f.severity), f.check.code))
            .or_insert((f.check.slug, f.check.title, 0))
            .2 += 1;
    }
    writeln!(out)?;
    writeln!(out, "| severity | check | findings |")?;
    writeln!(out, "| --- | --- | ---: |")?;
    for ((sev, code), (slug, title, n)) in &by_check {
        writeln!(
            out,
            "| {} | `{code}` {slug}: {} | {n} |",
            sev.0,
            escape(title)
        )?;
    }
    let mut by_file: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        let group = crate::source_group(f.location.file.as_deref(), &f.object);
        by_file.entry(group).or_default().push(f);
    }
    for (file, findings) in &by_file {
        writeln!(out)?;
        writeln!(
            out,
            "<details><summary><code>{}</code>: {} findings</summary>",
            escape(file),
            findings.len()
        )?;
        writeln!(out)?;
        writeln!(out, "| line | severity | check | object | message |")?;
        writeln!(out, "| ---: | --- | --- | --- | --- |")?;
        for f in findings.iter().take(PER_FILE) {
            writeln!(
                out,
                "| {} | {} | `{}` | {} | {} |",
                // An object read from a cluster has no line.
                if f.location.file.is_some() {
                    f.location.pos.line.to_string()
                } else {
                    "—".to_owned()
                },
                f.severity,
                f.check.slug,
                escape(&f.object.to_string()),
                escape(&f.message)
            )?;
        }
        if findings.len() > PER_FILE {
            writeln!(out, "\n… and {} more.", findings.len() - PER_FILE)?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "`kaegis explain <check>` tells why each check matters and how to fix it."
    )
}
