//! Bytes → audit event lines → the decoder (Event, EventList, v1beta1,
//! bare) → the detector with every built-in rule, whose state persists
//! across inputs like a long-running follower's, and its state's JSON round
//! trip (what the store saves). Decode errors are fine; panics are not.
#![no_main]

use std::sync::Mutex;

use kaegis_detect::{Detector, JsonLines, Pipeline, Settings, State};
use libfuzzer_sys::fuzz_target;

static PIPELINE: Mutex<Option<Pipeline>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Ok(mut guard) = PIPELINE.lock() else { return };
    let pipeline = guard.get_or_insert_with(|| {
        let settings = Settings {
            trusted_cidrs: vec!["10.0.0.0/8".parse().unwrap()],
            cluster_cidrs: vec!["10.0.0.0/8".parse().unwrap()],
            learning_period_secs: 60,
            ..Settings::default()
        };
        let detector = Detector::new(kaegis_detect::rules::builtin(), settings, State::default());
        Pipeline::new(detector, vec![Box::new(JsonLines::new(std::io::sink()))])
    });
    for line in data.split(|&b| b == b'\n') {
        let _ = pipeline.line(line);
    }
    let state = pipeline.detector().state();
    let json = serde_json::to_string(state).expect("state serializes");
    let back: State = serde_json::from_str(&json).expect("state round-trips");
    assert_eq!(back.windows, state.windows);
    assert_eq!(back.baselines, state.baselines);
});
