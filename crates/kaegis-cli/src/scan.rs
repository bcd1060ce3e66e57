//! `kaegis scan`: discover inputs, parse them in parallel, run the engine on
//! every object, and collect a report.
//!
//! Two phases. Each file is parsed once and its objects go through the
//! object-scope checks at once; when the selection has cross-object checks,
//! the objects they may need (everything but CustomResourceDefinitions, whose
//! bodies no check reads) are kept, the inventory is built from them, and the
//! inventory-scope checks run over them in a second parallel pass.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kaegis_core::{Diagnostic, DiagnosticLevel, Engine, Finding, Inventory, Object};
use kaegis_inputs::{Input, Syntax, discover, load};
use kaegis_report::Report;
use rayon::prelude::*;

/// What one file contributed.
#[derive(Default)]
struct FileResult {
    findings: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
    objects: usize,
    suppressed: usize,
    /// Objects kept for the inventory-scope checks, with the file's text
    /// (for snippets of their findings).
    kept: Vec<Object>,
    text: Option<Arc<str>>,
}

fn add_snippets(findings: &mut [Finding], text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    for f in findings {
        f.snippet = lines
            .get(f.location.pos.line.saturating_sub(1) as usize)
            .map(|l| (*l).to_owned());
    }
}

/// Parses one file's bytes and runs the object-scope checks.
fn check_bytes(engine: &Engine, path: Arc<Path>, bytes: &[u8], syntax: Syntax) -> FileResult {
    let loaded = load(path, bytes, syntax);
    let mut res = FileResult {
        diagnostics: loaded.diagnostics,
        objects: loaded.objects.len(),
        ..FileResult::default()
    };
    let keep = engine.needs_inventory();
    for obj in loaded.objects {
        let outcome = engine.run_object(&obj);
        res.findings.extend(outcome.findings);
        res.suppressed += outcome.suppressed;
        if keep && obj.id.kind != "CustomResourceDefinition" {
            res.kept.push(obj);
        }
    }
    if (!res.findings.is_empty() || !res.kept.is_empty())
        && let Ok(text) = kaegis_inputs::load::decode(bytes)
    {
        add_snippets(&mut res.findings, text);
        if !res.kept.is_empty() {
            res.text = Some(Arc::from(text));
        }
    }
    res
}

fn read_file(engine: &Engine, path: &Path) -> FileResult {
    let arc: Arc<Path> = Arc::from(path);
    match std::fs::read(path) {
        Ok(bytes) => check_bytes(engine, arc, &bytes, Syntax::for_path(path)),
        Err(e) => FileResult {
            diagnostics: vec![Diagnostic {
                level: DiagnosticLevel::Error,
                file: arc,
                pos: None,
                message: format!("cannot read: {e}"),
            }],
            ..FileResult::default()
        },
    }
}

/// Scans `paths` and returns the report.
pub fn scan(engine: &Engine, paths: &[PathBuf], excludes: &[String], profile: &str) -> Report {
    let (inputs, diagnostics) = discover(paths, excludes);
    let results: Vec<FileResult> = inputs
        .par_iter()
        .map(|input| match input {
            Input::File(p) => read_file(engine, p),
            Input::Stdin => {
                let mut bytes = Vec::new();
                let path: Arc<Path> = Arc::from(Path::new("<stdin>"));
                match std::io::stdin().lock().read_to_end(&mut bytes) {
                    Ok(_) => {
                        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
                        let syntax = if matches!(first, Some(b'{')) {
                            Syntax::Json
                        } else {
                            Syntax::Yaml
                        };
                        check_bytes(engine, path, &bytes, syntax)
                    }
                    Err(e) => FileResult {
                        diagnostics: vec![Diagnostic {
                            level: DiagnosticLevel::Error,
                            file: path,
                            pos: None,
                            message: format!("cannot read standard input: {e}"),
                        }],
                        ..FileResult::default()
                    },
                }
            }
        })
        .collect();
    let mut report = Report {
        diagnostics,
        checks: engine.checks().iter().map(|c| c.meta()).collect(),
        files: inputs.len(),
        profile: profile.to_owned(),
        pss_minor: engine.pss_minor(),
        ..Report::default()
    };
    let mut kept = Vec::new();
    for r in results {
        report.findings.extend(r.findings);
        report.diagnostics.extend(r.diagnostics);
        report.objects += r.objects;
        report.suppressed += r.suppressed;
        if let Some(text) = r.text {
            kept.push((text, r.kept));
        }
    }
    if engine.needs_inventory() {
        let inventory = Inventory::build(kept.iter().flat_map(|(_, objs)| objs));
        let second: Vec<(Vec<Finding>, usize)> = kept
            .par_iter()
            .map(|(text, objs)| {
                let mut findings = Vec::new();
                let mut suppressed = 0;
                for obj in objs {
                    let outcome = engine.run_inventory(obj, &inventory);
                    findings.extend(outcome.findings);
                    suppressed += outcome.suppressed;
                }
                add_snippets(&mut findings, text);
                (findings, suppressed)
            })
            .collect();
        for (findings, suppressed) in second {
            report.findings.extend(findings);
            report.suppressed += suppressed;
        }
    }
    report.sort();
    report
}
