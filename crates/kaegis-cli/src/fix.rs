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

/// Applies the fixes of one file's findings to its text. Documents, and the
/// objects in a document, are edited from the bottom of the file up, so that
/// lines added to one never move one not yet edited.
fn fix_text(text: &str, findings: &[&Finding]) -> FileFix {
    let mut out = FileFix::default();
    let fail = |out: &mut FileFix, f: &Finding, reason: String| {
        out.failed.push((
            f.location.pos.line,
            format!("{} {}", f.check.code, f.check.slug),
            reason,
        ));
    };
    let editor = match edit::Editor::new(text) {
        Ok(e) => e,
        Err(e) => {
            for f in findings {
                fail(&mut out, f, e.to_string());
            }
            return out;
        }
    };
    let mut by_document: BTreeMap<u32, Vec<&Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.fix.is_some()) {
        by_document.entry(f.location.document).or_default().push(f);
    }
    let mut result = text.to_owned();
    for (document, mut fs) in by_document.into_iter().rev() {
        let Some((range, lines)) = editor.document(document) else {
            for f in fs {
                fail(&mut out, f, format!("document {document} not found"));
            }
            continue;
        };
        fs.sort_by_key(|f| f.fix.as_ref().map(|p| std::cmp::Reverse(p.object_pos)));
        let mut cur = text[range.clone()].to_owned();
        for f in fs {
            let Some(p) = &f.fix else { continue };
            let local = Pos::new(p.object_pos.line.saturating_sub(lines), p.object_pos.col);
            match edit::apply(&cur, 0, local, &p.fix.edits) {
                Ok(next) => {
                    cur = next;
                    out.fixed += 1;
                }
                Err(e) => fail(&mut out, f, e.to_string()),
            }
        }
        result.replace_range(range, &cur);
    }
    if result != text {
        out.text = Some(result);
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

/// Line starts of a text, for byte offset → line and column.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Self { text, starts }
    }

    /// The line and column (1-based, in characters) of a byte offset.
    fn pos(&self, offset: usize) -> Pos {
        let line = self.starts.partition_point(|s| *s <= offset);
        let start = self.starts[line - 1];
        Pos::new(
            line as u32,
            self.text[start..offset].chars().count() as u32 + 1,
        )
    }
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
        let Ok(editor) = edit::Editor::new(text) else {
            return;
        };
        let lines = LineIndex::new(text);
        for f in fs {
            let document = f.location.document;
            let Some(p) = f.fix.as_deref_mut() else {
                continue;
            };
            if let Ok((range, new)) = editor.edit(document, p.object_pos, &p.fix.edits) {
                let splice = edit::difference(&text[range.clone()], &new);
                p.replacement = Some(TextReplacement {
                    start: lines.pos(range.start + splice.start),
                    end: lines.pos(range.start + splice.end),
                    text: splice.text,
                });
            }
        }
    });
}
