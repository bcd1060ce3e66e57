//! The JSON report. Its shape is versioned by `schemaVersion`
//! (`kaegis.dev/report/v1`): fields may be added within a version, never
//! removed or renamed. `docs/json-report.md` documents every field.
//!
//! The report is serialized straight from borrowed structs (no intermediate
//! JSON tree): a scan of a large repository has tens of thousands of
//! findings, and each check's fix text is rendered once, not per finding.

use std::collections::HashMap;
use std::io::Write as _;

use kaegis_core::{Finding, ObjectId, Severity};
use serde::Serialize;

use crate::{Report, TOOL_VERSION};

/// The current schema version.
pub const SCHEMA_VERSION: &str = "kaegis.dev/report/v1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    schema_version: &'static str,
    tool: Tool,
    profile: &'a str,
    pss_version: String,
    config: Option<String>,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    files: usize,
    objects: usize,
    findings: usize,
    suppressed: usize,
    baselined: usize,
    input_errors: usize,
    by_severity: BySeverity,
}

#[derive(Serialize)]
struct BySeverity {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

#[derive(Serialize)]
struct CheckRef<'a> {
    code: &'a str,
    slug: &'a str,
    title: &'a str,
    area: &'a str,
}

#[derive(Serialize)]
struct JsonLocation {
    file: Option<String>,
    document: u32,
    line: u32,
    column: u32,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    check: CheckRef<'a>,
    severity: Severity,
    object: &'a ObjectId,
    path: &'a kaegis_core::JsonPath,
    location: JsonLocation,
    message: &'a str,
    fix: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    autofix: Option<AutoFix<'a>>,
}

/// A mechanical fix: what it does and the RFC 6902 JSON Patch against the
/// object (JSON Pointers from the object's root).
#[derive(Serialize)]
struct AutoFix<'a> {
    description: &'a str,
    patch: &'a serde_json::Value,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    level: &'static str,
    file: String,
    line: Option<u32>,
    column: Option<u32>,
    message: &'a str,
}

fn finding<'a>(
    f: &'a Finding,
    fixes: &'a HashMap<&'static str, Option<String>>,
) -> JsonFinding<'a> {
    JsonFinding {
        check: CheckRef {
            code: f.check.code,
            slug: f.check.slug,
            title: f.check.title,
            area: f.check.area.as_str(),
        },
        severity: f.severity,
        object: &f.object,
        path: &f.path,
        location: JsonLocation {
            file: f.location.file.as_ref().map(|p| p.display().to_string()),
            document: f.location.document,
            line: f.location.pos.line,
            column: f.location.pos.col,
        },
        message: &f.message,
        fix: fixes.get(f.check.slug).and_then(|x| x.as_deref()),
        autofix: f.fix.as_deref().map(|p| AutoFix {
            description: &p.fix.description,
            patch: &p.json_patch,
        }),
    }
}

/// Builds the JSON report as a value (for callers that post-process it).
pub fn to_value(report: &Report) -> serde_json::Value {
    let mut buf = Vec::new();
    // Writing to memory cannot fail, and the text is our own valid JSON.
    let _ = write(report, &mut buf);
    serde_json::from_slice(&buf).unwrap_or(serde_json::Value::Null)
}

/// Writes the JSON report, pretty-printed, with a final newline.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let counts = report.counts();
    let mut fixes: HashMap<&'static str, Option<String>> = HashMap::new();
    for f in &report.findings {
        fixes
            .entry(f.check.slug)
            .or_insert_with(|| f.check.doc_section("How to fix"));
    }
    let doc = JsonReport {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "kaegis",
            version: TOOL_VERSION,
        },
        profile: &report.profile,
        pss_version: format!("v1.{}", report.pss_minor),
        config: report.config.as_ref().map(|p| p.display().to_string()),
        summary: Summary {
            files: report.files,
            objects: report.objects,
            findings: report.findings.len(),
            suppressed: report.suppressed,
            baselined: report.baselined,
            input_errors: report.input_errors(),
            by_severity: BySeverity {
                critical: counts[4],
                high: counts[3],
                medium: counts[2],
                low: counts[1],
                info: counts[0],
            },
        },
        findings: report.findings.iter().map(|f| finding(f, &fixes)).collect(),
        diagnostics: report
            .diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                level: match d.level {
                    kaegis_core::DiagnosticLevel::Note => "note",
                    kaegis_core::DiagnosticLevel::Error => "error",
                },
                file: d.file.display().to_string(),
                line: d.pos.map(|p| p.line),
                column: d.pos.map(|p| p.col),
                message: &d.message,
            })
            .collect(),
    };
    let mut w = std::io::BufWriter::new(&mut *out);
    serde_json::to_writer_pretty(&mut w, &doc)?;
    writeln!(w)?;
    w.flush()
}
