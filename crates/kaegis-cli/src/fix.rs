//! `kaegis fix`: scan, then apply every finding's mechanical fix to its file
//! with format-preserving edits (see `kaegis_inputs::edit`), or print them as
//! a unified diff with `--dry-run`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use kaegis_core::{Finding, Pos, TextReplacement};
use kaegis_inputs::edit;
use rayon::prelude::*;

use crate::cli::Resolved;
use crate::scan;

/// What fixing one file did.
#[derive(Default)]
struct FileFix {
    /// The new text, when anything changed.
    text: Option<String>,
    /// Findings fixed.
    fixed: usize,
    /// `(line, check, reason)` of fixes that could not be applied.
    failed: Vec<(u32, String, String)>,
}

/// Applies the fixes of one file's findings to its text. Objects are edited
/// from the bottom of the file up, so that lines added to one object never
/// move an object not yet edited.
fn fix_text(text: &str, findings: &[&Finding]) -> FileFix {
    let mut out = FileFix::default();
    let mut by_object: BTreeMap<(u32, Pos), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        if let Some(p) = &f.fix {
            by_object
                .entry((f.location.document, p.object_pos))
                .or_default()
                .push(f);
        }
    }
    let mut cur = text.to_owned();
    for ((document, object_pos), fs) in by_object.into_iter().rev() {
        for f in fs {
            let Some(p) = &f.fix else { continue };
            match edit::apply(&cur, document, object_pos, &p.fix.edits) {
                Ok(next) => {
                    cur = next;
                    out.fixed += 1;
                }
                Err(e) => out.failed.push((
                    f.location.pos.line,
                    format!("{} {}", f.check.code, f.check.slug),
                    e.to_string(),
                )),
            }
        }
    }
    if cur != text {
        out.text = Some(cur);
    }
    out
}

/// Writes `text` to `path` through a temporary file in the same folder, so a
/// crash never leaves half a manifest; keeps the file's permissions.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.kaegis-fix.tmp"));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

/// Runs `kaegis fix`: exit 0 when every fix applied (or there was nothing
/// to fix), 1 when some could not be, 2 on input errors.
pub fn run(
    resolved: &Resolved,
    paths: &[PathBuf],
    excludes: &[String],
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    if paths.iter().any(|p| p == Path::new("-")) {
        anyhow::bail!("kaegis fix edits files in place; it cannot read standard input");
    }
    let report = scan::scan(&resolved.engine, paths, excludes, resolved.profile.as_str());
    let mut stderr = anstream::stderr();
    for d in &report.diagnostics {
        if d.level == kaegis_core::DiagnosticLevel::Error {
            writeln!(stderr, "error: {d}")?;
        }
    }
    let mut by_file: BTreeMap<&Arc<Path>, Vec<&Finding>> = BTreeMap::new();
    let mut manual = 0usize;
    for f in &report.findings {
        match (&f.location.file, &f.fix) {
            (Some(file), Some(_)) => by_file.entry(file).or_default().push(f),
            _ => manual += 1,
        }
    }
    let (mut fixed, mut files, mut failed) = (0usize, 0usize, 0usize);
    let mut stdout = std::io::stdout().lock();
    for (file, findings) in by_file {
        let text = match std::fs::read(file)
            .map_err(|e| e.to_string())
            .and_then(|b| kaegis_inputs::load::decode(&b).map(str::to_owned))
        {
            Ok(t) => t,
            Err(e) => {
                writeln!(stderr, "error: {}: cannot read: {e}", file.display())?;
                failed += findings.len();
                continue;
            }
        };
        let result = fix_text(&text, &findings);
        for (line, check, reason) in &result.failed {
            writeln!(
                stderr,
                "not fixed: {}:{line}: {check}: {reason}",
                file.display()
            )?;
        }
        failed += result.failed.len();
        fixed += result.fixed;
        let Some(new) = result.text else { continue };
        files += 1;
        if dry_run {
            let name = file.display().to_string();
            let diff = similar::TextDiff::from_lines(&text, &new);
            write!(
                stdout,
                "{}",
                diff.unified_diff().context_radius(3).header(
                    &format!("a/{}", name.trim_start_matches('/')),
                    &format!("b/{}", name.trim_start_matches('/')),
                )
            )?;
        } else {
            write_atomically(file, &new)?;
        }
    }
    let verb = if dry_run { "would fix" } else { "fixed" };
    writeln!(
        stderr,
        "{verb} {fixed} findings in {files} files; {manual} findings have no mechanical fix{}",
        if failed > 0 {
            format!("; {failed} fixes could not be applied")
        } else {
            String::new()
        }
    )?;
    Ok(if report.input_errors() > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The line and column (1-based, in characters) of a byte offset.
fn pos_at(text: &str, offset: usize) -> Pos {
    let before = &text[..offset];
    let line = before.bytes().filter(|b| *b == b'\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos::new(line, before[line_start..].chars().count() as u32 + 1)
}

/// Computes, for every finding with a fix, the one text replacement that
/// applies it to its file alone (what SARIF `fixes` carry). A fix that cannot
/// be applied to the text keeps its JSON patch and gets no replacement.
pub fn attach_replacements(findings: &mut [Finding]) {
    let mut by_file: BTreeMap<Arc<Path>, Vec<&mut Finding>> = BTreeMap::new();
    for f in findings.iter_mut() {
        if f.fix.is_some()
            && let Some(file) = f.location.file.clone()
        {
            by_file.entry(file).or_default().push(f);
        }
    }
    by_file.into_par_iter().for_each(|(file, fs)| {
        let Ok(bytes) = std::fs::read(&*file) else {
            return;
        };
        let Ok(text) = kaegis_inputs::load::decode(&bytes) else {
            return;
        };
        for f in fs {
            let document = f.location.document;
            let Some(p) = f.fix.as_deref_mut() else {
                continue;
            };
            if let Ok(new) = edit::apply(text, document, p.object_pos, &p.fix.edits) {
                let splice = edit::difference(text, &new);
                p.replacement = Some(TextReplacement {
                    start: pos_at(text, splice.start),
                    end: pos_at(text, splice.end),
                    text: splice.text,
                });
            }
        }
    });
}
