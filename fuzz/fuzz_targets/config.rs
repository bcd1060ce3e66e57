//! `.kaegis.yaml` text → `Config::parse` (YAML, every key's decoding, label
//! selectors, CEL compilation of custom rules) → on success, the rules run
//! on a small object. Errors are fine; panics are not. Rules that parse are
//! registered the way the CLI registers them (their metadata lives for the
//! process, on purpose), so run this target with leak detection off:
//! `ASAN_OPTIONS=detect_leaks=0 cargo +nightly fuzz run config -- -detect_leaks=0`.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use kaegis_core::{Check, Engine, Inventory, Selection};
use libfuzzer_sys::fuzz_target;

const OBJECT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, labels: {team: a}}\nspec: {replicas: 2}\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cfg) = kaegis_policy::Config::parse(Path::new("fuzz.kaegis.yaml"), text) else {
        return;
    };
    let mut sel = Selection::default();
    cfg.apply(&mut sel, false, false);
    let rules: Vec<&'static dyn Check> = cfg
        .rules
        .into_iter()
        .map(|(_, r)| r.into_check() as &'static dyn Check)
        .collect();
    if rules.is_empty() {
        return;
    }
    sel.enable.clear();
    sel.disable.clear();
    sel.severities.clear();
    sel.exemptions.retain(|e| e.checks.is_empty());
    let Ok(engine) = Engine::new(&rules, &sel) else {
        return;
    };
    let file = kaegis_inputs::load(Arc::from(Path::new("o.yaml")), OBJECT.as_bytes(), kaegis_inputs::Syntax::Yaml);
    let inventory = Inventory::build(&file.objects);
    for obj in &file.objects {
        let _ = engine.run_all(obj, &inventory);
    }
});
