//! Skimming CRD bodies must change nothing but the CRD bodies: over the whole
//! real-world corpus, every file yields the same objects (identity and every
//! top-level field but a CRD's `spec`) and the same diagnostics, with and
//! without skimming.

use std::path::Path;
use std::sync::Arc;

use kaegis_inputs::load::{load, load_full};
use kaegis_inputs::{Input, LoadedFile, Syntax, discover};

/// Asserts that skimming changed nothing but CRD bodies; returns the number
/// of CRDs and of skimmed CRD bodies.
fn assert_same(fast: &LoadedFile, full: &LoadedFile, what: &str) -> (usize, usize) {
    let (mut crds, mut skimmed) = (0, 0);
    assert_eq!(fast.diagnostics, full.diagnostics, "{what}");
    assert_eq!(fast.objects.len(), full.objects.len(), "{what}");
    for (a, b) in fast.objects.iter().zip(&full.objects) {
        assert_eq!(a.id, b.id, "{what}");
        assert_eq!(a.origin, b.origin, "{what}");
        let crd = a.id.kind == "CustomResourceDefinition";
        crds += usize::from(crd);
        assert_eq!(a.root.entries().len(), b.root.entries().len(), "{what}");
        for (ea, eb) in a.root.entries().iter().zip(b.root.entries()) {
            assert_eq!(ea.key, eb.key, "{what}");
            assert_eq!(ea.key_pos, eb.key_pos, "{what}");
            if crd && &*ea.key == "spec" {
                skimmed += usize::from(ea.value.is_null() && !eb.value.is_null());
            } else {
                assert_eq!(ea.value, eb.value, "{what}: {}", ea.key);
            }
        }
    }
    (crds, skimmed)
}

#[test]
fn skimming_changes_only_crd_bodies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/realworld");
    assert!(root.is_dir(), "corpus not found at {}", root.display());
    let (inputs, _) = discover(&[root], &[]);
    let (mut crds, mut skimmed) = (0, 0);
    for input in inputs {
        let Input::File(path) = input else { continue };
        let bytes = std::fs::read(&path).unwrap();
        let arc: Arc<Path> = Arc::from(path.as_path());
        let fast = load(arc.clone(), &bytes, Syntax::for_path(&path));
        let full = load_full(arc, &bytes, Syntax::for_path(&path));
        let (c, sk) = assert_same(&fast, &full, &path.display().to_string());
        crds += c;
        skimmed += sk;
    }
    assert!(crds > 500, "{crds} CRDs");
    // Nearly every CRD body in the corpus is in the skimmable subset.
    assert!(
        skimmed * 100 >= crds * 95,
        "only {skimmed} of {crds} CRD bodies skimmed"
    );
    eprintln!("{skimmed} of {crds} CRD bodies skimmed");
}

#[test]
#[ignore = "diagnostic aid: prints the lines the CRD recogniser gives up on"]
fn show_unrecognised_crd_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/realworld");
    let (inputs, _) = discover(&[root], &[]);
    for input in inputs {
        let Input::File(path) = input else { continue };
        let text = std::fs::read_to_string(&path).unwrap();
        if !text.contains("kind: CustomResourceDefinition") {
            continue;
        }
        let lines: Vec<&str> = text.split('\n').collect();
        for s in (0..lines.len()).filter(|&i| lines[i].trim_end() == "spec:") {
            let e = lines[s + 1..]
                .iter()
                .position(|l| l.chars().next().is_some_and(|c| c != ' ' && c != '#'))
                .map_or(lines.len(), |e| e + s + 1);
            if let Some(i) = kaegis_inputs::skim::first_unrecognised(&lines[s..e]) {
                eprintln!("{}:{}: {}", path.display(), s + i, lines[s + i - 1]);
            }
        }
    }
}

/// Inputs the fuzzer once found (fuzz/regressions/): skimming must agree
/// with the full parse on every one of them.
#[test]
fn fuzz_regressions_agree_with_the_full_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let arc: Arc<Path> = Arc::from(Path::new("fuzz.yaml"));
        let fast = load(arc.clone(), &bytes, Syntax::Yaml);
        let full = load_full(arc, &bytes, Syntax::Yaml);
        assert_same(&fast, &full, &path.display().to_string());
        n += 1;
    }
    assert!(n > 0);
}
