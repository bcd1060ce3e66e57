//! Shared body of the `*_to_objects` fuzz targets: bytes → objects → every
//! check of every area, with the file's objects as the inventory →
//! finding positions, plus the `JsonPath` Display/parse round trip, plus (for
//! YAML) the equivalence of CRD-body skimming with the full parse.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use kaegis_core::{Engine, Inventory, JsonPath, Selection};
use kaegis_inputs::Syntax;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(&kaegis_checks::CATALOG, &Selection::default())
            .expect("the default selection is valid")
    })
}

/// Loads `data` as a file called `name` read as `syntax`, runs every check on
/// every object and locates every finding.
pub fn run(name: &str, data: &[u8], syntax: Syntax) {
    let engine = engine();
    let file = kaegis_inputs::load(Arc::from(Path::new(name)), data, syntax);
    // The file is one scan: its objects are the inventory the cross-object
    // checks read.
    let inventory = Inventory::build(&file.objects);
    for obj in &file.objects {
        for finding in engine.run_all(obj, &inventory).findings {
            let _ = obj.locate(&finding.path);
            let text = finding.path.to_string();
            let parsed = JsonPath::parse(&text);
            assert_eq!(
                parsed.as_ref(),
                Some(&finding.path),
                "JsonPath Display/parse round trip failed for {text:?}"
            );
        }
    }
    // Skimming CustomResourceDefinition bodies must never hide an error or
    // change an object: compare with the full parse.
    if syntax == Syntax::Yaml {
        let full = kaegis_inputs::load::load_full(Arc::from(Path::new(name)), data, syntax);
        assert_eq!(file.diagnostics, full.diagnostics, "skimming changed the diagnostics");
        assert_eq!(file.objects.len(), full.objects.len(), "skimming changed the objects");
        for (a, b) in file.objects.iter().zip(&full.objects) {
            assert_eq!(a.id, b.id, "skimming changed an object's identity");
            let crd = a.id.kind == "CustomResourceDefinition";
            assert_eq!(a.root.entries().len(), b.root.entries().len());
            for (ea, eb) in a.root.entries().iter().zip(b.root.entries()) {
                assert_eq!((&ea.key, ea.key_pos), (&eb.key, eb.key_pos));
                if !(crd && &*ea.key == "spec") {
                    assert_eq!(ea.value, eb.value, "skimming changed {}", ea.key);
                }
            }
        }
    }
    // Diagnostics are rendered to users: make sure that works too.
    for d in &file.diagnostics {
        let _ = d.to_string();
    }
}
