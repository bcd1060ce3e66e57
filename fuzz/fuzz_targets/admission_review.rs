//! AdmissionReview bytes → `kaegis_admission::review::parse` → the
//! validating and mutating decisions (no cluster). A request kaegis cannot
//! read is an error, never a panic; every decision serializes, a denial
//! carries a message, and a patch is base64 of a JSON array.
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use kaegis_admission::{Admission, ClusterView, review};
use kaegis_core::Selection;
use kaegis_policy::AdmissionSpec;
use libfuzzer_sys::fuzz_target;

fn admission() -> &'static Admission {
    static A: OnceLock<Admission> = OnceLock::new();
    A.get_or_init(|| {
        Admission::new(&kaegis_checks::CATALOG, &Selection::default(), AdmissionSpec::default())
            .expect("the default policy is valid")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(req) = review::parse(data) else { return };
    let view = ClusterView::default();
    for d in [admission().validate(&req, &view), admission().mutate(&req, &view)] {
        let v = d.response.to_review();
        assert_eq!(v["response"]["uid"], req.uid.as_str());
        if !d.response.allowed {
            assert!(d.response.status.as_ref().is_some_and(|s| !s.message.is_empty()));
        }
        if let Some(p) = &d.response.patch {
            let bytes = base64::engine::general_purpose::STANDARD.decode(p).expect("base64");
            let ops: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
            assert!(ops.is_array());
        }
    }
});
