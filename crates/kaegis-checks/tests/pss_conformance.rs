//! Runs every Pod Security Admission conformance fixture of the Kubernetes
//! project (../shared/conformance/pss) through kaegis, at its level and
//! version, and requires 100% agreement with the expected verdict.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kaegis_core::{Engine, Profile, Selection};
use kaegis_inputs::{Syntax, load};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/pss/testdata")
}

#[test]
fn every_fixture_agrees_with_pod_security_admission() {
    let root = testdata();
    assert!(
        root.is_dir(),
        "conformance fixtures not found at {}",
        root.display()
    );
    let mut checked = 0usize;
    let mut disagreements = Vec::new();
    for (level, profile) in [
        ("baseline", Profile::PssBaseline),
        ("restricted", Profile::PssRestricted),
    ] {
        let mut versions: Vec<PathBuf> = std::fs::read_dir(root.join(level))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        versions.sort();
        for vdir in versions {
            let vname = vdir.file_name().unwrap().to_str().unwrap().to_owned();
            let minor: u32 = vname.strip_prefix("v1.").unwrap().parse().unwrap();
            let engine = Engine::new(
                &kaegis_checks::CATALOG,
                &Selection {
                    profile,
                    pss_minor: minor,
                    ..Selection::default()
                },
            )
            .unwrap();
            for expect in ["pass", "fail"] {
                let dir = vdir.join(expect);
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries {
                    let path = entry.unwrap().path();
                    let bytes = std::fs::read(&path).unwrap();
                    let file = load(Arc::from(path.as_path()), &bytes, Syntax::Yaml);
                    assert!(
                        file.diagnostics.is_empty(),
                        "{}: {:?}",
                        path.display(),
                        file.diagnostics
                    );
                    assert_eq!(file.objects.len(), 1, "{}", path.display());
                    let findings = engine.run(&file.objects[0]);
                    let allowed = findings.is_empty();
                    checked += 1;
                    if allowed != (expect == "pass") {
                        let why: Vec<String> = findings
                            .iter()
                            .map(|f| format!("{}: {}", f.check.slug, f.message))
                            .collect();
                        disagreements.push(format!(
                            "{} (expected {expect}, kaegis {}) {}",
                            path.strip_prefix(&root).unwrap().display(),
                            if allowed { "allowed it" } else { "rejected it" },
                            why.join("; ")
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 4000, "only {checked} fixtures found");
    assert!(
        disagreements.is_empty(),
        "{} of {checked} fixtures disagree:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    eprintln!("{checked} Pod Security Standards fixtures agree");
}
