//! `kaegis scan`: discover inputs, parse them in parallel, run the engine on
//! every object, and collect a report. Each file is parsed, checked and
//! dropped before the next is taken, so memory stays bounded by the findings,
//! not by the size of the tree.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kaegis_core::{Diagnostic, DiagnosticLevel, Engine, Finding};
use kaegis_inputs::{Input, Syntax, discover, load};
use kaegis_report::Report;
use rayon::prelude::*;

/// What one file contributed.
#[derive(Default)]
struct FileResult {
    findings: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
    objects: usize,
}

/// Parses and checks one file's bytes.
fn check_bytes(engine: &Engine, path: Arc<Path>, bytes: &[u8], syntax: Syntax) -> FileResult {
    let loaded = load(path, bytes, syntax);
    let mut res = FileResult {
        diagnostics: loaded.diagnostics,
        objects: loaded.objects.len(),
        ..FileResult::default()
    };
    for obj in &loaded.objects {
        res.findings.extend(engine.run(obj));
    }
    if !res.findings.is_empty()
        && let Ok(text) = kaegis_inputs::load::decode(bytes)
    {
        let lines: Vec<&str> = text.lines().collect();
        for f in &mut res.findings {
            f.snippet = lines
                .get(f.location.pos.line.saturating_sub(1) as usize)
                .map(|l| (*l).to_owned());
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
        pss_minor: engine.context().pss_minor,
        ..Report::default()
    };
    for r in results {
        report.findings.extend(r.findings);
        report.diagnostics.extend(r.diagnostics);
        report.objects += r.objects;
    }
    report.sort();
    report
}
