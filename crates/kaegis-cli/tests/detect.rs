//! `kaegis detect` on audit logs, through the real binary: reading once,
//! following through rotation, and resuming after `kill -9` with nothing
//! judged twice and nothing skipped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kaegis_testcluster::audit::{Request, Rng, Traffic};

fn kaegis() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("kaegis"))
}

/// An exec into a pod by an intruder (one KD101 alert each: pods differ).
fn exec(id: u64, time: i64) -> Request {
    Request {
        id: format!("attack-exec-{id:04}"),
        verb: "create",
        user: "mallory@example.com".into(),
        groups: vec!["system:authenticated"],
        ip: "10.8.3.77".into(),
        agent: "kubectl/v1.37.0 (linux/amd64) kubernetes/abc1234",
        object: (
            "",
            "v1",
            "pods",
            "exec",
            "payments".into(),
            format!("ledger-{id}"),
        ),
        code: 101,
        level: "Metadata",
        request: None,
        response: None,
        time,
    }
}

/// A refused request from a guessing client.
fn refused(id: String, ip: &str, time: i64) -> Request {
    Request {
        id,
        verb: "list",
        user: "system:anonymous".into(),
        groups: vec!["system:unauthenticated"],
        ip: ip.into(),
        agent: "python-requests/2.32",
        object: ("", "v1", "secrets", "", String::new(), String::new()),
        code: 403,
        level: "Metadata",
        request: None,
        response: None,
        time,
    }
}

/// Benign traffic with execs and brute-force bursts mixed in: the bursts
/// straddle chunk boundaries, so a window counted twice or forgotten across
/// a restart changes which event trips it.
fn log_lines(requests: usize, seed: u64) -> Vec<String> {
    let mut traffic = Traffic::new(seed);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut out = Vec::new();
    let mut attack = 0u64;
    let mut burst: Option<(String, u32)> = None;
    for i in 0..requests {
        let req = traffic.next_request();
        let t = req.time;
        out.extend(req.lines());
        if let Some((ip, left)) = burst.as_mut() {
            let ip = ip.clone();
            out.extend(refused(format!("burst-{i}"), &ip, t + 1).lines());
            *left -= 1;
            if *left == 0 {
                burst = None;
            }
        }
        match rng.below(400) {
            0 => {
                attack += 1;
                out.extend(exec(attack, t + 2).lines());
            }
            1 if burst.is_none() => {
                attack += 1;
                burst = Some((
                    format!("198.51.100.{}", attack % 250),
                    4 + rng.below(20) as u32,
                ));
            }
            _ => {}
        }
    }
    out
}

fn append(path: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    let mut buf = String::new();
    for l in lines {
        buf.push_str(l);
        buf.push('\n');
    }
    f.write_all(buf.as_bytes()).unwrap();
}

fn follower(dir: &Path, log: &Path) -> Child {
    kaegis()
        .args(["detect", "--follow", "--quiet", "--audit-log"])
        .arg(log)
        .arg("--state")
        .arg(dir.join("state.redb"))
        .arg("--output")
        .arg(dir.join("alerts.jsonl"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn alert_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_killed_follower_resumes_exactly_where_it_was() {
    let lines = log_lines(60_000, 11);
    let dir = tempfile::tempdir().unwrap();

    // What reading the whole log once gives.
    let whole = dir.path().join("whole.log");
    append(&whole, &lines);
    let once = kaegis()
        .args(["detect", "--quiet", "--audit-log"])
        .arg(&whole)
        .output()
        .unwrap();
    assert_eq!(
        once.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&once.stderr)
    );
    let expected: Vec<String> = String::from_utf8(once.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let ids: std::collections::BTreeSet<_> = expected
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    assert_eq!(ids.len(), expected.len(), "alert ids are unique");
    let bursts = expected.iter().filter(|l| l.contains("\"KD502\"")).count();
    let execs = expected.iter().filter(|l| l.contains("\"KD101\"")).count();
    assert!(
        bursts >= 10 && execs >= 50,
        "{bursts} bursts, {execs} execs"
    );

    // The same log written in chunks while the follower is killed and
    // restarted, with a rotation in the middle.
    let live = dir.path().join("live");
    std::fs::create_dir(&live).unwrap();
    let log = live.join("audit.log");
    let out = dir.path().join("alerts.jsonl");
    let chunks: Vec<&[String]> = lines.chunks(lines.len() / 12 + 1).collect();
    let mut rng = Rng::new(3);
    let mut child = follower(dir.path(), &log);
    let mut kills = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        if i == 6 {
            std::fs::rename(&log, live.join("audit.log.1")).unwrap();
        }
        append(&log, chunk);
        std::thread::sleep(Duration::from_millis(20 + rng.below(250)));
        if i % 3 == 1 {
            // kill -9 in the middle of reading, and sometimes write more
            // while it is down.
            child.kill().unwrap();
            child.wait().unwrap();
            kills += 1;
            if i % 2 == 0 {
                continue;
            }
            child = follower(dir.path(), &log);
        } else if child.try_wait().unwrap().is_some() {
            child = follower(dir.path(), &log);
        }
    }
    if child.try_wait().unwrap().is_some() {
        child = follower(dir.path(), &log);
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while alert_lines(&out).len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Let it read past the last alert, then stop it gracefully.
    std::thread::sleep(Duration::from_millis(600));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let finished = child.wait_with_output().unwrap();
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    assert!(kills >= 3);
    let got = alert_lines(&out);
    if got != expected {
        let g: std::collections::BTreeSet<_> = got.iter().collect();
        let e: std::collections::BTreeSet<_> = expected.iter().collect();
        panic!(
            "{} alerts, {} expected; missing {:?}; extra {:?}",
            got.len(),
            expected.len(),
            e.difference(&g).take(3).collect::<Vec<_>>(),
            g.difference(&e).take(3).collect::<Vec<_>>()
        );
    }
}

#[test]
fn malformed_lines_are_reported_with_their_numbers_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.log");
    let mut lines: Vec<String> = exec(1, kaegis_testcluster::audit::T0).lines();
    lines.insert(1, "{\"kind\":\"Event\",\"verb\":".into());
    lines.push("[1,2,3]".into());
    lines.extend(exec(2, kaegis_testcluster::audit::T0 + 1).lines());
    append(&log, &lines);
    let out = kaegis()
        .args(["detect", "--audit-log"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("audit.log:2: not an audit event"),
        "{stderr}"
    );
    assert!(
        stderr.contains("audit.log:5: not an audit event: not a JSON object"),
        "{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        2,
        "both execs alert"
    );
}

#[test]
fn rotated_gzip_logs_and_a_state_file_read_only_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let t = kaegis_testcluster::audit::T0;
    let old: PathBuf = dir.path().join("audit.log.1.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for l in exec(1, t).lines() {
        writeln!(gz, "{l}").unwrap();
    }
    std::fs::write(&old, gz.finish().unwrap()).unwrap();
    let cur = dir.path().join("audit.log");
    append(&cur, &exec(2, t + 1).lines());
    let state = dir.path().join("state.redb");
    let run = || {
        kaegis()
            .args(["detect", "--quiet", "--audit-log"])
            .arg(&old)
            .arg(&cur)
            .arg("--state")
            .arg(&state)
            .output()
            .unwrap()
    };
    let first = run();
    let text = String::from_utf8_lossy(&first.stdout);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("ledger-1") && text.contains("ledger-2"));
    append(&cur, &exec(3, t + 2).lines());
    let second = run();
    let text = String::from_utf8_lossy(&second.stdout);
    assert_eq!(text.lines().count(), 1, "only the new exec: {text}");
    assert!(text.contains("ledger-3"));
}

#[test]
fn the_rules_reference_is_generated_and_current_and_rules_are_explained() {
    let out = kaegis()
        .args(["detect", "--list-rules", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let committed = std::fs::read_to_string(root.join("docs/detect-rules.md")).unwrap_or_default();
    assert!(
        generated == committed,
        "docs/detect-rules.md is out of date: run `cargo run -- detect --list-rules --format markdown > docs/detect-rules.md`"
    );
    let json = kaegis()
        .args(["detect", "--list-rules", "--format", "json"])
        .output()
        .unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert!(list.len() >= 21);
    assert!(
        list.iter()
            .all(|r| r["code"].as_str().unwrap().starts_with("KD"))
    );
    let explained = kaegis().args(["explain", "kd303"]).output().unwrap();
    let text = String::from_utf8_lossy(&explained.stdout);
    assert!(explained.status.success());
    assert!(
        text.starts_with("KD303 admin-binding") && text.contains("## How to respond"),
        "{text}"
    );
}

#[test]
fn standard_input_is_read_like_a_file() {
    let mut lines = exec(1, kaegis_testcluster::audit::T0).lines();
    lines.push("not json".into());
    let out = assert_cmd::Command::cargo_bin("kaegis")
        .unwrap()
        .args(["detect", "--audit-log", "-"])
        .write_stdin(lines.join("\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a malformed line");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("-:4: not an audit event"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}
