//! YAML bytes → `kaegis_inputs::load` → objects → every check → finding
//! positions (`Object::locate`) and the `JsonPath` Display/parse round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::run("fuzz.yaml", data, kaegis_inputs::Syntax::Yaml);
});
