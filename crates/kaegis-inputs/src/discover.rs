//! Finding the files to scan: explicit files, directories walked recursively
//! (honouring `.gitignore`, `.ignore` and `--exclude` globs), and stdin.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;

use kaegis_core::{Diagnostic, DiagnosticLevel};

/// One input to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file on disk.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

/// Extensions read when walking directories.
pub const MANIFEST_EXTENSIONS: [&str; 4] = ["yaml", "yml", "json", "jsonl"];

fn is_manifest(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        MANIFEST_EXTENSIONS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(e))
    })
}

/// Expands command-line paths into inputs. Files named explicitly are always
/// read; files found by walking are read when they end in `.yaml`, `.yml`, `.jsonl` or
/// `.json` and are neither ignored nor excluded. Paths that do not exist are
/// error diagnostics.
pub fn discover(paths: &[PathBuf], excludes: &[String]) -> (Vec<Input>, Vec<Diagnostic>) {
    let mut inputs = Vec::new();
    let mut diags = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                diags.push(Diagnostic {
                    level: DiagnosticLevel::Error,
                    file: Arc::from(path.as_path()),
                    pos: None,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if meta.is_file() {
            inputs.push(Input::File(path.clone()));
            continue;
        }
        let mut ob = OverrideBuilder::new(path);
        for ex in excludes {
            if let Err(e) = ob.add(&format!("!{ex}")) {
                diags.push(Diagnostic {
                    level: DiagnosticLevel::Error,
                    file: Arc::from(Path::new(ex.as_str())),
                    pos: None,
                    message: format!("invalid --exclude glob: {e}"),
                });
            }
        }
        let overrides = match ob.build() {
            Ok(o) => o,
            Err(e) => {
                diags.push(Diagnostic {
                    level: DiagnosticLevel::Error,
                    file: Arc::from(path.as_path()),
                    pos: None,
                    message: format!("invalid --exclude globs: {e}"),
                });
                continue;
            }
        };
        let mut found = Vec::new();
        let walker = WalkBuilder::new(path)
            .require_git(false)
            .overrides(overrides)
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file()) && is_manifest(e.path()) {
                        found.push(e.into_path());
                    }
                }
                Err(err) => diags.push(Diagnostic {
                    level: DiagnosticLevel::Error,
                    file: Arc::from(path.as_path()),
                    pos: None,
                    message: format!("cannot walk: {err}"),
                }),
            }
        }
        found.sort();
        let patches = kustomize_patches(&found);
        for f in found {
            match patches.iter().find(|(p, _)| *p == f) {
                Some((_, kustomization)) => diags.push(Diagnostic {
                    level: DiagnosticLevel::Note,
                    file: Arc::from(f.as_path()),
                    pos: None,
                    message: format!(
                        "skipped: a patch listed in {}, not a whole object: `kustomize build` applies it",
                        kustomization.display()
                    ),
                }),
                None => inputs.push(Input::File(f)),
            }
        }
    }
    (inputs, diags)
}

/// The names Kustomize looks for in a directory.
pub const KUSTOMIZATION_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The patch files that the kustomization files among `found` list
/// (`patchesStrategicMerge`, `patches[].path`, `patchesJson6902[].path`),
/// with the kustomization that lists each. Patches are partial objects: a
/// scan reads what they patch, not them.
fn kustomize_patches(found: &[PathBuf]) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for k in found.iter().filter(|f| {
        f.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| KUSTOMIZATION_NAMES.contains(&n))
    }) {
        let Ok(text) = std::fs::read_to_string(k) else {
            continue;
        };
        let Some(dir) = k.parent() else { continue };
        let stream = crate::yaml::parse_yaml(&text);
        let Some((_, root)) = stream.documents.first() else {
            continue;
        };
        let mut listed: Vec<&str> = Vec::new();
        if let Some(list) = root.get("patchesStrategicMerge") {
            // Entries may also be inline patches (multi-line strings).
            listed.extend(
                list.items()
                    .iter()
                    .filter_map(kaegis_core::Node::as_str)
                    .filter(|s| !s.contains('\n')),
            );
        }
        for key in ["patches", "patchesJson6902"] {
            if let Some(list) = root.get(key) {
                listed.extend(
                    list.items()
                        .iter()
                        .filter_map(|p| p.get("path").and_then(kaegis_core::Node::as_str)),
                );
            }
        }
        for rel in listed {
            let target = normalize(&dir.join(rel));
            if let Some(f) = found.iter().find(|f| normalize(f) == target) {
                out.push((f.clone(), k.clone()));
            }
        }
    }
    out
}

/// Removes `.` and resolves `..` lexically (the files need not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod kustomize_tests {
    use super::*;

    #[test]
    fn patches_listed_by_a_kustomization_are_skipped_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("overlay");
        std::fs::create_dir_all(base.join("patches")).unwrap();
        std::fs::write(
            base.join("kustomization.yaml"),
            "resources: [deploy.yaml]\npatchesStrategicMerge:\n- patches/replicas.yaml\npatches:\n- path: ./patches/image.yaml\n  target: {kind: Deployment}\n",
        )
        .unwrap();
        for f in ["deploy.yaml", "patches/replicas.yaml", "patches/image.yaml"] {
            std::fs::write(
                base.join(f),
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n",
            )
            .unwrap();
        }
        let (inputs, diags) = discover(&[dir.path().to_path_buf()], &[]);
        let names: Vec<String> = inputs
            .iter()
            .map(|i| match i {
                Input::File(p) => p.strip_prefix(dir.path()).unwrap().display().to_string(),
                Input::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(names, ["overlay/deploy.yaml", "overlay/kustomization.yaml"]);
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(
            diags
                .iter()
                .all(|d| d.level == DiagnosticLevel::Note && d.message.contains("kustomize build"))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_with_gitignore_and_excludes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("a/vendor")).unwrap();
        std::fs::create_dir_all(d.join("ignored")).unwrap();
        for f in [
            "a/x.yaml",
            "a/y.yml",
            "a/z.json",
            "a/readme.md",
            "a/vendor/v.yaml",
            "ignored/i.yaml",
        ] {
            std::fs::write(d.join(f), "a: 1\n").unwrap();
        }
        std::fs::write(d.join(".gitignore"), "ignored/\n").unwrap();
        let (inputs, diags) = discover(&[d.to_path_buf()], &["**/vendor/**".to_string()]);
        assert!(diags.is_empty(), "{diags:?}");
        let names: Vec<String> = inputs
            .iter()
            .map(|i| match i {
                Input::File(p) => p.strip_prefix(d).unwrap().display().to_string(),
                Input::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(names, ["a/x.yaml", "a/y.yml", "a/z.json"]);
    }

    #[test]
    fn missing_path_is_an_error() {
        let (inputs, diags) = discover(&[PathBuf::from("/nonexistent/kaegis")], &[]);
        assert!(inputs.is_empty());
        assert_eq!(diags[0].level, DiagnosticLevel::Error);
    }
}
