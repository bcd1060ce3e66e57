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

/// The char offset of a 1-based line and column.
fn offset(text: &str, line: u64, col: u64) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line as usize - 1)
        .map(|l| l.chars().count())
        .sum();
    start + col as usize - 1
}

#[test]
fn sarif_fixes_are_text_replacements_that_apply_the_fix() {
    let out = Command::cargo_bin("kaegis")
        .unwrap()
        .current_dir(repo())
        .args([
            "scan",
            "examples/insecure",
            "--no-config",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let with_fixes: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("fixes").is_some())
        .collect();
    assert!(
        with_fixes.len() >= 25,
        "{} results with fixes",
        with_fixes.len()
    );
    for r in with_fixes {
        assert!(
            r["properties"]["jsonPatch"]
                .as_array()
                .is_some_and(|p| !p.is_empty())
        );
        let change = &r["fixes"][0]["artifactChanges"][0];
        let file = repo().join(change["artifactLocation"]["uri"].as_str().unwrap());
        let text = std::fs::read_to_string(&file).unwrap();
        let rep = &change["replacements"][0];
        let region = &rep["deletedRegion"];
        let chars: Vec<char> = text.chars().collect();
        let start = offset(
            &text,
            region["startLine"].as_u64().unwrap(),
            region["startColumn"].as_u64().unwrap(),
        );
        let end = offset(
            &text,
            region["endLine"].as_u64().unwrap(),
            region["endColumn"].as_u64().unwrap(),
        );
        assert!(start <= end && end <= chars.len());
        let inserted = rep["insertedContent"]["text"].as_str().unwrap();
        let fixed: String = chars[..start]
            .iter()
            .copied()
            .chain(inserted.chars())
            .chain(chars[end..].iter().copied())
            .collect();
        assert_ne!(fixed, text);
        // The fixed text no longer has this finding.
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join(file.file_name().unwrap());
        std::fs::write(&copy, &fixed).unwrap();
        let name = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        let reported = |path: &Path| {
            let out = Command::cargo_bin("kaegis")
                .unwrap()
                .args(["scan", "--no-config", "--format", "json"])
                .arg(path)
                .output()
                .unwrap();
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            v["findings"].as_array().unwrap().iter().any(|f| {
                f["check"]["code"] == r["ruleId"]
                    && name.ends_with(&format!("/{}", f["path"].as_str().unwrap()))
                    && name.contains(f["object"]["name"].as_str().unwrap())
            })
        };
        assert!(reported(&file), "{} at {name} before the fix", r["ruleId"]);
        let still = reported(&copy);
        assert!(
            !still,
            "{} at {name} is still reported after its SARIF fix",
            r["ruleId"]
        );
    }
}
