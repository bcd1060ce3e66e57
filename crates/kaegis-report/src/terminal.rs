//! The terminal report: findings grouped by file and object, each with its
//! position, JSON path, the offending source line and where to read more; a
//! summary line at the end. Colours are ANSI codes; the binary strips them
//! when stdout is not a terminal.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use kaegis_core::Severity;

use crate::Report;

fn severity_style(sev: Severity) -> Style {
    match sev {
        Severity::Critical => AnsiColor::Magenta.on_default().bold(),
        Severity::High => AnsiColor::Red.on_default().bold(),
        Severity::Medium => AnsiColor::Yellow.on_default().bold(),
        Severity::Low => AnsiColor::Cyan.on_default(),
        Severity::Info => AnsiColor::BrightBlack.on_default(),
    }
}

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// Writes the terminal report.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut last_group = None;
    let mut last_object = None;
    for f in &report.findings {
        let file = f.location.file.as_deref();
        // Findings are grouped by file; objects read from a cluster, by
        // namespace.
        let group = crate::source_group(file, &f.object);
        if last_group.as_ref() != Some(&group) {
            if last_group.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{BOLD}{group}{BOLD:#}")?;
            last_group = Some(group);
            last_object = None;
        }
        let object = (&f.object, f.location.document);
        if last_object != Some(object) {
            writeln!(out, "  {BOLD}{}{BOLD:#}", f.object)?;
            last_object = Some(object);
        }
        let st = severity_style(f.severity);
        writeln!(
            out,
            "    {st}{:<8}{st:#} {} {}{}{:#}  {}",
            f.severity.as_str().to_uppercase(),
            f.check.code,
            BOLD,
            f.check.slug,
            BOLD,
            f.message
        )?;
        let pos = f.location.pos;
        if file.is_some() {
            writeln!(
                out,
                "      {DIM}at{DIM:#} {}:{}  {DIM}{}{DIM:#}",
                pos.line, pos.col, f.path
            )?;
        } else {
            writeln!(out, "      {DIM}at{DIM:#} {}", f.path)?;
        }
        if let Some(line) = &f.snippet {
            let num = pos.line.to_string();
            let pad = " ".repeat(num.len());
            let caret_at: String = line
                .chars()
                .take(pos.col.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(
                out,
                "      {DIM}{num} |{DIM:#} {}",
                crate::redact_line(line.trim_end())
            )?;
            writeln!(out, "      {DIM}{pad} |{DIM:#} {caret_at}{st}^{st:#}")?;
        }
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    summary(report, out)
}

/// The summary line.
fn summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let counts = report.counts();
    let objects = report
        .findings
        .iter()
        .map(|f| (&f.object, &f.location.file, f.location.document))
        .collect::<std::collections::HashSet<_>>()
        .len();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    // A cluster's objects come from no file.
    let scanned = if report.files == 0 && report.objects > 0 {
        plural(report.objects, "object", "objects")
    } else {
        format!(
            "{} ({})",
            plural(report.objects, "object", "objects"),
            plural(report.files, "file", "files")
        )
    };
    let errors = report.input_errors();
    let mut error_note = if errors > 0 {
        format!(
            "; {} (see above)",
            plural(errors, "input error", "input errors")
        )
    } else {
        String::new()
    };
    if report.baselined > 0 {
        error_note.push_str(&format!(
            "; {} in the baseline",
            plural(report.baselined, "finding", "findings")
        ));
    }
    if report.suppressed > 0 {
        error_note.push_str(&format!(
            "; {} waived or exempted",
            plural(report.suppressed, "finding", "findings")
        ));
    }
    if report.findings.is_empty() {
        let ok = AnsiColor::Green.on_default().bold();
        return writeln!(out, "{ok}✔ no findings{ok:#} in {scanned}{error_note}");
    }
    let parts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter(|s| counts[**s as usize] > 0)
        .map(|s| {
            let st = severity_style(*s);
            format!("{st}{} {}{st:#}", counts[*s as usize], s.as_str())
        })
        .collect();
    let bad = AnsiColor::Red.on_default().bold();
    writeln!(
        out,
        "{bad}✖ {}{bad:#} ({}) in {objects} of {scanned}{error_note}",
        plural(report.findings.len(), "finding", "findings"),
        parts.join(", "),
    )?;
    writeln!(
        out,
        "{DIM}`kaegis explain <check>` tells why each check matters and how to fix it.{DIM:#}"
    )
}
