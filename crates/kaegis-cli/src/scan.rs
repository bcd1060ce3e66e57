//! `kaegis scan`: discover inputs, parse them in parallel, run the engine on
//! every object, and collect a report.
//!
//! Two phases. Each file is parsed once and its objects go through the
//! object-scope checks at once; when the selection has cross-object checks,
//! the objects they may need (everything but CustomResourceDefinitions, whose
//! bodies no check reads) are kept, the inventory is built from them, and the
//! inventory-scope checks run over them in a second parallel pass.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kaegis_core::{
    Diagnostic, DiagnosticLevel, Engine, Finding, Inventory, Location, Object, Origin,
};
use kaegis_inputs::{Input, Syntax, discover, load};
use kaegis_report::{Checked, Report};
use rayon::prelude::*;

/// What one file contributed.
#[derive(Default)]
struct FileResult {
    findings: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
    objects: usize,
    checked: Vec<Checked>,
    /// Objects per namespace, as reports group them.
    objects_by_namespace: BTreeMap<String, usize>,
    suppressed: usize,
    /// What the file's objects add to the inventory.
    inventory: Inventory,
    /// Objects kept for the inventory-scope checks.
    kept: Vec<Object>,
    /// The file's text, for standard input only (files are read again for
    /// the snippets of second-pass findings).
    stdin_text: Option<Arc<str>>,
}

pub(crate) fn add_snippets(findings: &mut [Finding], text: &str) {
    // Only the lines findings point at, found with memchr: a file with a few
    // findings may be a multi-megabyte bundle of CRDs.
    let mut wanted: Vec<u32> = findings.iter().map(|f| f.location.pos.line).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut lines: Vec<(u32, &str)> = Vec::with_capacity(wanted.len());
    let bytes = text.as_bytes();
    let (mut line, mut start) = (1u32, 0usize);
    let mut next = wanted.iter().copied().peekable();
    let mut ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
    while let Some(&want) = next.peek() {
        let Some(end) = ends.next() else { break };
        if line == want {
            let l = &text[start..end];
            lines.push((line, l.strip_suffix('\r').unwrap_or(l)));
            next.next();
        }
        line += 1;
        start = end + 1;
        if start > bytes.len() {
            break;
        }
    }
    for f in findings {
        f.snippet = lines
            .binary_search_by_key(&f.location.pos.line, |(n, _)| *n)
            .ok()
            .map(|i| lines[i].1.to_owned());
    }
}

/// Parses one file's bytes and runs the object-scope checks.
fn check_bytes(engine: &Engine, path: Arc<Path>, bytes: &[u8], syntax: Syntax) -> FileResult {
    let stdin = &*path == Path::new(STDIN);
    let loaded = load(path, bytes, syntax);
    let mut res = FileResult {
        diagnostics: loaded.diagnostics,
        objects: loaded.objects.len(),
        ..FileResult::default()
    };
    let inventory = engine.needs_inventory();
    for obj in loaded.objects {
        if let Origin::File { path, document, .. } = &obj.origin {
            res.checked.push(Checked {
                object: obj.id.clone(),
                location: Location {
                    file: Some(path.clone()),
                    document: *document,
                    pos: obj.root.pos,
                },
            });
        }
        let ns = kaegis_report::namespace_group(&obj.id);
        match res.objects_by_namespace.get_mut(ns) {
            Some(n) => *n += 1,
            None => {
                res.objects_by_namespace.insert(ns.to_owned(), 1);
            }
        }
        let outcome = engine.run_object(&obj);
        res.findings.extend(outcome.findings);
        res.suppressed += outcome.suppressed;
        if inventory {
            res.inventory.add(&obj);
            if engine.keeps(&obj) {
                res.kept.push(obj);
            }
        }
    }
    if (!res.findings.is_empty() || (stdin && !res.kept.is_empty()))
        && let Ok(text) = kaegis_inputs::load::decode(bytes)
    {
        add_snippets(&mut res.findings, text);
        if stdin && !res.kept.is_empty() {
            res.stdin_text = Some(Arc::from(text));
        }
    }
    res
}

/// The name standard input goes by in reports.
const STDIN: &str = "<stdin>";

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

/// Scans with more files than this show a progress bar (when stderr is a
/// terminal).
const PROGRESS_FROM_FILES: usize = 300;

fn progress_bar(files: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if files < PROGRESS_FROM_FILES || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(files as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} scanning {pos}/{len} files {wide_bar} {eta}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Scans `paths` and returns the report.
pub fn scan(engine: &Engine, paths: &[PathBuf], excludes: &[String], profile: &str) -> Report {
    let (inputs, diagnostics) = discover(paths, excludes);
    let bar = progress_bar(inputs.len());
    let results: Vec<FileResult> = inputs
        .par_iter()
        .inspect(|_| {
            if let Some(b) = &bar {
                b.inc(1);
            }
        })
        .map(|input| match input {
            Input::File(p) => read_file(engine, p),
            Input::Stdin => {
                let mut bytes = Vec::new();
                let path: Arc<Path> = Arc::from(Path::new(STDIN));
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
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut report = Report {
        diagnostics,
        checks: engine.checks().iter().map(|c| c.meta()).collect(),
        files: inputs.len(),
        profile: profile.to_owned(),
        pss_minor: engine.pss_minor(),
        ..Report::default()
    };
    let mut kept = Vec::new();
    let mut inventory = Inventory::default();
    for r in results {
        report.findings.extend(r.findings);
        report.diagnostics.extend(r.diagnostics);
        report.objects += r.objects;
        report.checked.extend(r.checked);
        for (ns, n) in r.objects_by_namespace {
            *report.objects_by_namespace.entry(ns).or_default() += n;
        }
        report.suppressed += r.suppressed;
        inventory.merge(r.inventory);
        if !r.kept.is_empty() {
            kept.push((r.stdin_text, r.kept));
        }
    }
    if engine.needs_inventory() {
        let inventory = inventory.finish();
        let second: Vec<(Vec<Finding>, usize)> = kept
            .par_iter()
            .map(|(stdin_text, objs)| {
                let mut findings = Vec::new();
                let mut suppressed = 0;
                for obj in objs {
                    let outcome = engine.run_inventory(obj, &inventory);
                    findings.extend(outcome.findings);
                    suppressed += outcome.suppressed;
                }
                if !findings.is_empty() {
                    match (stdin_text, objs[0].origin.path()) {
                        (Some(text), _) => add_snippets(&mut findings, text),
                        (None, Some(path)) => {
                            if let Ok(bytes) = std::fs::read(path)
                                && let Ok(text) = kaegis_inputs::load::decode(&bytes)
                            {
                                add_snippets(&mut findings, text);
                            }
                        }
                        (None, None) => {}
                    }
                }
                (findings, suppressed)
            })
            .collect();
        for (findings, suppressed) in second {
            report.findings.extend(findings);
            report.suppressed += suppressed;
        }
        // The kept trees are many small allocations; the process ends right
        // after the report, so leave them to the operating system instead of
        // spending a tenth of the scan freeing them one by one.
        std::mem::forget(kept);
    }
    report.sort();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaegis_core::{ObjectId, Pos};

    fn finding(line: u32) -> Finding {
        Finding {
            check: kaegis_checks::CATALOG[0].meta(),
            severity: kaegis_core::Severity::High,
            object: ObjectId::default(),
            path: kaegis_core::JsonPath::root(),
            location: Location {
                file: None,
                document: 0,
                pos: Pos::new(line, 1),
            },
            message: String::new(),
            snippet: None,
            fix: None,
        }
    }

    #[test]
    fn snippets_are_the_lines_findings_point_at() {
        let text = "a: 1\r\nb: 2\n\nlast";
        let mut fs = vec![finding(4), finding(2), finding(2), finding(9), finding(1)];
        add_snippets(&mut fs, text);
        let got: Vec<Option<&str>> = fs.iter().map(|f| f.snippet.as_deref()).collect();
        assert_eq!(
            got,
            [Some("last"), Some("b: 2"), Some("b: 2"), None, Some("a: 1")]
        );
    }
}
