//! YAML bytes → objects → every check → every finding's mechanical fix
//! applied to the text with `kaegis_inputs::edit` (one `Editor` per input,
//! as `kaegis fix` does). An edit may be refused (an error), never panic;
//! an edit that succeeds must leave text that parses, with as many
//! documents as before.
#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use kaegis_core::{Engine, Inventory, Selection};
use kaegis_inputs::{Syntax, edit, yaml::parse_yaml};
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(&kaegis_checks::CATALOG, &Selection::default())
            .expect("the default selection is valid")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = kaegis_inputs::load(Arc::from(Path::new("fuzz.yaml")), data, Syntax::Yaml);
    let inventory = Inventory::build(&file.objects);
    let Ok(editor) = edit::Editor::new(text) else { return };
    let documents = parse_yaml(text).documents.len();
    for obj in &file.objects {
        for finding in engine().run_all(obj, &inventory).findings {
            let Some(p) = &finding.fix else { continue };
            if let Ok((range, new)) = editor.edit(finding.location.document, p.object_pos, &p.fix.edits) {
                let mut out = String::new();
                out.push_str(&text[..range.start]);
                out.push_str(&new);
                out.push_str(&text[range.end..]);
                let after = parse_yaml(&out);
                assert!(after.error.is_none(), "a fix broke the file: {:?}", after.error);
                assert_eq!(after.documents.len(), documents, "a fix changed the documents");
                let splice = edit::difference(&text[range.clone()], &new);
                assert_eq!(splice.apply(&text[range]), new);
            }
        }
    }
});
