//! Every check has fixtures beside the catalog: `fixtures/<slug>/pass.yaml`
//! must raise nothing, `fixtures/<slug>/fail.yaml` must raise findings, and
//! those findings (position, path, message) are pinned by a snapshot.
//!
//! Each fixture file is one scan: its objects form the inventory that
//! cross-object checks read. A `fixtures/<slug>/kaegis.yaml`, when present,
//! is a config file whose parameters the check runs with.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kaegis_core::{Engine, Inventory, Selection};
use kaegis_inputs::{Syntax, load};

/// `fixtures/<slug>/<which>.yaml`, or `.jsonl` for checks of JSON-lines
/// inputs (ABAC policy files).
fn fixture(slug: &str, which: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(slug);
    let jsonl = dir.join(format!("{which}.jsonl"));
    if jsonl.exists() {
        jsonl
    } else {
        dir.join(format!("{which}.yaml"))
    }
}

/// Runs one check alone over a fixture file.
fn run(check: &'static dyn kaegis_core::Check, path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = load(Arc::from(path), &bytes, Syntax::for_path(path));
    assert!(
        file.diagnostics.is_empty(),
        "{}: {:?}",
        path.display(),
        file.diagnostics
    );
    assert!(
        !file.objects.is_empty(),
        "{} has no objects",
        path.display()
    );
    let mut sel = Selection::default();
    let config = path.with_file_name("kaegis.yaml");
    if config.exists() {
        let cfg = kaegis_policy::Config::load(&config).unwrap_or_else(|e| panic!("{e}"));
        cfg.apply(&mut sel, false, false);
    }
    let engine = Engine::new(&[check], &sel).unwrap();
    let inventory = Inventory::build(&file.objects);
    file.objects
        .iter()
        .flat_map(|o| engine.run_all(o, &inventory).findings)
        .map(|f| {
            format!(
                "{}:{} {} {} {} | {}",
                f.location.pos.line, f.location.pos.col, f.check.code, f.object, f.path, f.message
            )
        })
        .collect()
}

/// `KAEGIS_CHECKS=slug,slug` limits the fixture test to some checks (for
/// work on one area); unset, every check is tested.
fn selected(slug: &str) -> bool {
    match std::env::var("KAEGIS_CHECKS") {
        Ok(list) if !list.trim().is_empty() => list.split(',').any(|s| s.trim() == slug),
        _ => true,
    }
}

#[test]
fn every_check_passes_its_pass_fixture_and_fails_its_fail_fixture() {
    for check in kaegis_checks::CATALOG.iter() {
        let slug = check.meta().slug;
        if !selected(slug) {
            continue;
        }
        let pass = run(*check, &fixture(slug, "pass"));
        assert!(
            pass.is_empty(),
            "{slug}: pass fixture raised:\n{}",
            pass.join("\n")
        );
        let fail = run(*check, &fixture(slug, "fail"));
        assert!(!fail.is_empty(), "{slug}: fail fixture raised nothing");
        insta::assert_snapshot!(slug, fail.join("\n"));
    }
}

#[test]
fn every_check_is_documented() {
    let mut codes = std::collections::HashSet::new();
    for check in kaegis_checks::CATALOG.iter() {
        let m = check.meta();
        assert!(codes.insert(m.code), "duplicate code {}", m.code);
        assert!(m.code.starts_with("KG") && m.code.len() == 5, "{}", m.code);
        for section in ["What", "Why", "How to fix"] {
            let text = m.doc_section(section).unwrap_or_default();
            assert!(
                text.len() > 40,
                "{}: section {section} missing or too short",
                m.slug
            );
        }
        assert!(
            m.doc_section("How to fix").unwrap().contains("```yaml"),
            "{}: no YAML example",
            m.slug
        );
        assert!(!m.references.is_empty(), "{}: no references", m.slug);
        // The kinds an inventory-scope check reports on decide which objects
        // a scan keeps in memory for the second pass: "any" would keep all.
        assert!(
            m.scope != kaegis_core::Scope::Inventory || !m.kinds.is_empty(),
            "{}: an inventory-scope check must name the kinds it reports on",
            m.slug
        );
        assert_eq!(
            kaegis_checks::find(m.slug).map(|c| c.meta().code),
            Some(m.code)
        );
    }
}
