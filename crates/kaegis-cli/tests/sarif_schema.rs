//! `--format sarif` output validates against the official SARIF 2.1.0 JSON
//! schema, OASIS 2.1.0 Plus Errata 01 (fetched by .ci/fetch-sarif-schema.sh
//! into target/test-data/).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schema() -> Value {
    let path = repo().join("target/test-data/sarif-schema-2.1.0.json");
    if !path.is_file() {
        let ok = std::process::Command::new("bash")
            .arg(repo().join(".ci/fetch-sarif-schema.sh"))
            .status()
            .expect("run .ci/fetch-sarif-schema.sh")
            .success();
        assert!(
            ok,
            ".ci/fetch-sarif-schema.sh failed: the SARIF schema comes from npm"
        );
    }
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("valid schema");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "a: [\n").unwrap();
    let out = Command::cargo_bin("kaegis")
        .unwrap()
        .current_dir(repo())
        .args(["scan", "examples/insecure", "--format", "sarif"])
        .arg(dir.path().join("broken.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF does not validate:\n{}",
        errors.join("\n")
    );
    let run = &sarif["runs"][0];
    assert!(run["results"].as_array().unwrap().len() > 10);
    assert!(run["tool"]["driver"]["rules"].as_array().unwrap().len() >= 15);
    let r = &run["results"][0];
    assert!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .unwrap()
            > 0
    );
    let idx = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], r["ruleId"]);
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    // And a schema violation is caught: the test can fail.
    let mut bad = sarif.clone();
    bad["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&bad));
}
