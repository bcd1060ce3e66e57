//! SARIF 2.1.0: one run, a rule per check that ran, a result per finding
//! with its physical location (file, line, column) and logical location (the
//! object and JSON path). Input errors become tool execution notifications.

use std::collections::HashMap;

use kaegis_core::{DiagnosticLevel, Severity};
use serde_json::{Value, json};

use crate::{Report, TOOL_VERSION};

fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's 0.0–10.0 security severity for a severity.
fn security_severity(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// A relative URI for a path (SARIF wants forward slashes, percent-encoding).
fn uri(path: &std::path::Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let s = s.strip_prefix("./").unwrap_or(&s);
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds the SARIF log.
pub fn to_value(report: &Report) -> Value {
    let mut index = HashMap::new();
    let rules: Vec<Value> = report
        .checks
        .iter()
        .enumerate()
        .map(|(i, m)| {
            index.insert(m.code, i);
            let mut tags = vec!["security".to_string(), m.area.as_str().to_string()];
            tags.extend(
                m.references
                    .iter()
                    .map(|r| format!("{}: {}", r.source, r.id)),
            );
            let mut rule = json!({
                "id": m.code,
                "name": m.slug,
                "shortDescription": { "text": m.title },
                "fullDescription": { "text": m.doc_section("What").unwrap_or_default() },
                "help": {
                    "text": m.doc_section("How to fix").unwrap_or_default(),
                    "markdown": m.doc_markdown(),
                },
                "defaultConfiguration": { "level": level(m.severity) },
                "properties": {
                    "tags": tags,
                    "security-severity": security_severity(m.severity),
                    "kaegis-severity": m.severity,
                },
            });
            if let Some(url) = m.references.iter().find_map(|r| r.url) {
                rule["helpUri"] = json!(url);
            }
            rule
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let logical = json!([{
                "name": f.path.to_string(),
                "fullyQualifiedName": format!("{}/{}", f.object, f.path),
                "kind": "object",
            }]);
            let mut location = json!({ "logicalLocations": logical });
            let mut result = json!({
                "ruleId": f.check.code,
                "level": level(f.severity),
                "message": { "text": format!("{}: {}", f.object, f.message) },
                "properties": { "severity": f.severity, "object": f.object },
            });
            if let Some(&i) = index.get(f.check.code) {
                result["ruleIndex"] = json!(i);
            }
            if let Some(file) = &f.location.file {
                location["physicalLocation"] = json!({
                    "artifactLocation": { "uri": uri(file) },
                    "region": {
                        "startLine": f.location.pos.line.max(1),
                        "startColumn": f.location.pos.col.max(1),
                    },
                });
                result["partialFingerprints"] = json!({
                    "kaegis/v1": format!("{}|{}|{}|{}", f.check.code, f.object, f.path, uri(file)),
                });
            }
            if let Some(p) = &f.fix {
                result["properties"]["jsonPatch"] = p.json_patch.clone();
                result["properties"]["fixDescription"] = json!(p.fix.description);
                if let (Some(r), Some(file)) = (&p.replacement, &f.location.file) {
                    result["fixes"] = json!([{
                        "description": { "text": p.fix.description },
                        "artifactChanges": [{
                            "artifactLocation": { "uri": uri(file) },
                            "replacements": [{
                                "deletedRegion": {
                                    "startLine": r.start.line,
                                    "startColumn": r.start.col,
                                    "endLine": r.end.line,
                                    "endColumn": r.end.col,
                                },
                                "insertedContent": { "text": r.text },
                            }],
                        }],
                    }]);
                }
            }
            result["locations"] = json!([location]);
            result
        })
        .collect();
    let notifications: Vec<Value> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .map(|d| {
            let mut physical = json!({ "artifactLocation": { "uri": uri(&d.file) } });
            if let Some(p) = d.pos {
                physical["region"] =
                    json!({ "startLine": p.line.max(1), "startColumn": p.col.max(1) });
            }
            json!({
                "level": "error",
                "message": { "text": d.message },
                "locations": [{ "physicalLocation": physical }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "kaegis",
                    "version": TOOL_VERSION,
                    "semanticVersion": TOOL_VERSION,
                    "informationUri": "https://github.com/kaegis/kaegis",
                    "rules": rules,
                },
            },
            "invocations": [{
                "executionSuccessful": report.input_errors() == 0,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": { "profile": report.profile, "pssVersion": format!("v1.{}", report.pss_minor) },
        }],
    })
}

/// Writes the SARIF log, pretty-printed.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(report))?;
    writeln!(out)
}
