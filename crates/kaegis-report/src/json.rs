//! The JSON report. Its shape is versioned by `schemaVersion`
//! (`kaegis.dev/report/v1`): fields may be added within a version, never
//! removed or renamed. `docs/json-report.md` documents every field.

use serde_json::{Value, json};

use crate::{Report, TOOL_VERSION};

/// The current schema version.
pub const SCHEMA_VERSION: &str = "kaegis.dev/report/v1";

/// Builds the JSON report.
pub fn to_value(report: &Report) -> Value {
    let counts = report.counts();
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "check": {
                    "code": f.check.code,
                    "slug": f.check.slug,
                    "title": f.check.title,
                    "area": f.check.area.as_str(),
                },
                "severity": f.severity,
                "object": f.object,
                "path": f.path,
                "location": {
                    "file": f.location.file.as_ref().map(|p| p.display().to_string()),
                    "document": f.location.document,
                    "line": f.location.pos.line,
                    "column": f.location.pos.col,
                },
                "message": f.message,
                "fix": f.check.doc_section("How to fix"),
            })
        })
        .collect();
    let diagnostics: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            json!({
                "level": match d.level {
                    kaegis_core::DiagnosticLevel::Note => "note",
                    kaegis_core::DiagnosticLevel::Error => "error",
                },
                "file": d.file.display().to_string(),
                "line": d.pos.map(|p| p.line),
                "column": d.pos.map(|p| p.col),
                "message": d.message,
            })
        })
        .collect();
    json!({
        "schemaVersion": SCHEMA_VERSION,
        "tool": { "name": "kaegis", "version": TOOL_VERSION },
        "profile": report.profile,
        "pssVersion": format!("v1.{}", report.pss_minor),
        "summary": {
            "files": report.files,
            "objects": report.objects,
            "findings": report.findings.len(),
            "suppressed": report.suppressed,
            "inputErrors": report.input_errors(),
            "bySeverity": {
                "critical": counts[4],
                "high": counts[3],
                "medium": counts[2],
                "low": counts[1],
                "info": counts[0],
            },
        },
        "findings": findings,
        "diagnostics": diagnostics,
    })
}

/// Writes the JSON report, pretty-printed, with a final newline.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(report))?;
    writeln!(out)
}
