//! Issue 8's acceptance: a known set of attacks mixed into benign traffic —
//! every attack alerts once, benign traffic raises nothing.
//!
//! One audit log is made here: several hours of synthetic benign cluster
//! traffic (`kaegis_testcluster::audit::Traffic`), into which the events of
//! every rule's fixtures (`fixtures/<slug>/{alert,benign}.jsonl`) are
//! interleaved by event time. Each fixture file is shifted by one constant
//! offset (its relative timing is kept: the brute force's window and the
//! Secrets baseline depend on it) and files sit at separate points of the
//! timeline, far enough apart that no window, deduplication or rate limit
//! spans two of them:
//! - the Secrets baseline learns from the first event of the log for
//!   `LEARNING`; every other fixture is placed inside that period (as in
//!   its own replay, where the default 24 hours never end), so a Secret
//!   read that is part of another rule's scene is not a new reader;
//! - the two `secret-read-unusual` files straddle the end of the learning
//!   period: their learning reads fall before it, their later reads after.
//!   They are the one pair that overlaps in time, 10 minutes apart, since
//!   both need the same learning period.
//!
//! The log is replayed line by line through a fresh [`Pipeline`] running
//! every built-in rule, with the union of the fixtures' `settings.json`.
//! The alerts must be exactly one of the fixture's rule per `attack-`
//! request, plus the other rules' alerts that the fixture raises on its own
//! (pinned in `tests/snapshots/`: an exec from outside the cluster is also
//! a pod exec); nothing on the benign traffic or a benign fixture.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kaegis_detect::rules::builtin;
use kaegis_detect::{Alert, Detector, Pipeline, Settings, Sink, State, event};
use kaegis_testcluster::audit::{T0, Traffic, timestamp};
use serde_json::Value;

const MINUTE: i64 = 60 * 1_000_000;
/// Where the first fixture file goes, after the log's start.
const FIRST_FILE: i64 = 5 * MINUTE;
/// From one fixture file's start to the next (the longest file lasts less
/// than 5 minutes; the deduplication window is 5 minutes).
const FILE_SPACING: i64 = 11 * MINUTE;
/// The baseline's learning period, from the log's first event.
const LEARNING: i64 = 10 * 60 * MINUTE;
/// The fixtures' own clock: their scenes start at 10:00 on T0's day.
const FIXTURE_START: i64 = T0 + 10 * 60 * MINUTE;
/// The stateful baseline's fixtures, placed around the end of learning.
const BASELINE_SLUG: &str = "secret-read-unusual";

fn dir(slug: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(slug)
}

fn fixture_settings(slug: &str) -> Value {
    std::fs::read_to_string(dir(slug).join("settings.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null)
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// One fixture's settings, read as `tests/rule_fixtures.rs` reads them (for
/// the replay of a file alone), or merged into `s` (for the mixed log).
fn apply(s: &mut Settings, v: &Value, merge: bool) {
    let nets = |key: &str| -> Vec<ipnet::IpNet> {
        strings(v, key).iter().map(|c| c.parse().unwrap()).collect()
    };
    for (key, field) in [
        ("trusted_cidrs", &mut s.trusted_cidrs),
        ("cluster_cidrs", &mut s.cluster_cidrs),
    ] {
        if v.get(key).is_some() {
            if !merge {
                field.clear();
            }
            for n in nets(key) {
                if !field.contains(&n) {
                    field.push(n);
                }
            }
        }
    }
    for (key, field) in [
        ("control_plane_users", &mut s.control_plane_users),
        ("security_namespaces", &mut s.security_namespaces),
        ("allowed_impersonators", &mut s.allowed_impersonators),
        ("node_proxy_users", &mut s.node_proxy_users),
    ] {
        if v.get(key).is_some() {
            if !merge {
                field.clear();
            }
            for g in strings(v, key) {
                if !field.contains(&g) {
                    field.push(g);
                }
            }
        }
    }
    if let Some(n) = v.get("learning_period_secs").and_then(Value::as_i64) {
        s.learning_period_secs = n;
    }
    if let Some(b) = v.get("brute_force") {
        if let Some(n) = b.get("count").and_then(Value::as_u64) {
            s.brute_force.count = n as u32;
        }
        if let Some(n) = b.get("window_secs").and_then(Value::as_i64) {
            s.brute_force.window_secs = n;
        }
    }
}

/// `2026-11-23T10:00:00.004000Z` in microseconds since the epoch.
fn parse_ts(t: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| -> i64 { t[r].parse().unwrap() };
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
    let frac = t[20..t.len() - 1].parse::<i64>().unwrap();
    let frac = frac * 10i64.pow(6 - (t.len() - 21) as u32);
    secs * 1_000_000 + frac
}

/// One line of the mixed log.
struct Line {
    /// Where it sorts: its event time (for a fixture file, the latest so
    /// far, so the file's order is kept).
    key: i64,
    /// Its place in its source, for ties.
    seq: usize,
    text: String,
    audit_id: String,
    /// `slug/file` for a fixture's event, empty for the benign traffic.
    origin: String,
}

/// A fixture file's events, shifted by `offset` and renamed into the
/// mixed log's ID space.
fn fixture_lines(slug: &str, which: &str, offset: i64, base: usize) -> Vec<Line> {
    let path = dir(slug).join(format!("{which}.jsonl"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut latest = i64::MIN;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut v: Value = serde_json::from_str(line).unwrap();
        let id = v["auditID"].as_str().unwrap().to_owned();
        let id = match id.strip_prefix("attack-") {
            Some(rest) => format!("attack-{slug}-{rest}"),
            None => format!("{slug}-{which}-{id}"),
        };
        v["auditID"] = Value::from(id.clone());
        for field in ["requestReceivedTimestamp", "stageTimestamp"] {
            if let Some(t) = v[field].as_str() {
                v[field] = Value::from(timestamp(parse_ts(t) + offset));
            }
        }
        let text = v.to_string();
        let time = event::decode(text.as_bytes()).unwrap()[0]
            .time_micros()
            .unwrap();
        latest = latest.max(time);
        out.push(Line {
            key: latest,
            seq: base + n,
            text,
            audit_id: id,
            origin: format!("{slug}/{which}"),
        });
    }
    out
}

/// The alerts of `alert.jsonl` alone, with its own settings, of rules
/// other than its own (or on requests that are not attacks): what the
/// per-rule snapshots pin beside the rule's own alerts.
fn co_fired(slug: &str) -> Vec<(String, String)> {
    let mut s = Settings::default();
    apply(&mut s, &fixture_settings(slug), false);
    let mut det = Detector::new(builtin(), s, State::default());
    let mut alerts = Vec::new();
    let text = std::fs::read_to_string(dir(slug).join("alert.jsonl")).unwrap();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        for ev in event::decode(line.as_bytes()).unwrap() {
            det.process(&ev, &mut alerts);
        }
    }
    alerts
        .into_iter()
        .filter(|a| a.rule != slug || !a.audit_id.starts_with("attack-"))
        .map(|a| {
            let id = match a.audit_id.strip_prefix("attack-") {
                Some(rest) => format!("attack-{slug}-{rest}"),
                None => format!("{slug}-alert-{}", a.audit_id),
            };
            (a.rule, id)
        })
        .collect()
}

#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<Alert>>>);

impl Sink for Collect {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.0.lock().unwrap().push(alert.clone());
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn attacks_mixed_into_benign_traffic_alert_once_each_and_nothing_else() {
    let started = std::time::Instant::now();
    let slugs: Vec<&str> = builtin().iter().map(|r| r.meta().slug).collect();

    // Settings: the union of the fixtures'. The benign traffic comes from
    // 10.0.0.0/8, inside the trusted and cluster networks. The addresses
    // other rules' scenes come from (an anonymous scanner, a brute force,
    // an exec from outside) are trusted by name, so `untrusted-source-ip`
    // judges its own fixtures only, as in their replay alone.
    let mut settings = Settings::default();
    for slug in &slugs {
        apply(&mut settings, &fixture_settings(slug), true);
    }
    settings.learning_period_secs = LEARNING / 1_000_000;
    let ten: ipnet::IpNet = "10.0.0.0/8".parse().unwrap();
    assert!(settings.trusted_cidrs.contains(&ten) && settings.cluster_cidrs.contains(&ten));

    // Place the fixture files.
    let mut lines: Vec<Line> = Vec::new();
    let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
    let mut at = T0 + FIRST_FILE;
    let mut attacks = 0;
    for slug in &slugs {
        for which in ["alert", "benign"] {
            let offset = if *slug == BASELINE_SLUG {
                // Its learning reads (10:00–10:03) before the end of
                // learning, its later reads (12:00–12:07) after.
                let start = T0 + LEARNING - 90 * MINUTE;
                start - FIXTURE_START + if which == "benign" { 10 * MINUTE } else { 0 }
            } else {
                let o = at - FIXTURE_START;
                at += FILE_SPACING;
                o
            };
            let file = fixture_lines(slug, which, offset, lines.len());
            if *slug != "untrusted-source-ip" {
                for l in &file {
                    let v: Value = serde_json::from_str(&l.text).unwrap();
                    for ip in strings(&v, "sourceIPs") {
                        let ip: std::net::IpAddr = ip.parse().unwrap();
                        if !settings.trusted_cidrs.iter().any(|n| n.contains(&ip)) {
                            settings.trusted_cidrs.push(ip.into());
                        }
                    }
                }
            }
            if which == "alert" {
                for l in file.iter().filter(|l| l.audit_id.starts_with("attack-")) {
                    if expected.insert((slug.to_string(), l.audit_id.clone())) {
                        attacks += 1;
                    }
                }
                expected.extend(co_fired(slug));
            }
            lines.extend(file);
        }
    }
    assert!(
        at < T0 + LEARNING - 90 * MINUTE,
        "the fixtures run past the learning period"
    );
    let last_fixture = lines.iter().map(|l| l.key).max().unwrap();

    // The benign traffic, from T0 to well past the last fixture.
    let mut traffic = Traffic::new(8);
    traffic.step = 1_000_000;
    let mut requests = 0;
    while traffic.time < last_fixture + 15 * MINUTE {
        let req = traffic.next_request();
        requests += 1;
        for text in req.lines() {
            let time = event::decode(text.as_bytes()).unwrap()[0]
                .time_micros()
                .unwrap();
            lines.push(Line {
                key: time,
                seq: lines.len(),
                text,
                audit_id: req.id.clone(),
                origin: String::new(),
            });
        }
    }
    lines.sort_by_key(|l| (l.key, l.seq));
    assert!(
        lines[0].origin.is_empty(),
        "the log must start with benign traffic"
    );

    // Replay.
    let collect = Collect::default();
    let detector = Detector::new(builtin(), settings, State::default());
    let mut pipeline = Pipeline::new(detector, vec![Box::new(collect.clone())]);
    for (n, l) in lines.iter().enumerate() {
        pipeline
            .line(l.text.as_bytes())
            .unwrap_or_else(|e| panic!("line {}: {e}", n + 1));
    }
    pipeline.flush().unwrap();
    let alerts = collect.0.lock().unwrap().clone();

    // Compare.
    let mut got: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for a in &alerts {
        got.entry((a.rule.clone(), a.audit_id.clone()))
            .or_default()
            .push(a.message.clone());
    }
    let origin = |id: &str| -> String {
        lines
            .iter()
            .find(|l| l.audit_id == id)
            .map(|l| {
                if l.origin.is_empty() {
                    format!("benign traffic: {}", l.text)
                } else {
                    l.origin.clone()
                }
            })
            .unwrap_or_else(|| "unknown request".into())
    };
    let mut diff = Vec::new();
    for key in &expected {
        if !got.contains_key(key) {
            diff.push(format!(
                "missing: {} on {} ({})",
                key.0,
                key.1,
                origin(&key.1)
            ));
        }
    }
    for (key, messages) in &got {
        let want = usize::from(expected.contains(key));
        if messages.len() != want {
            diff.push(format!(
                "{} {} alert(s) of {} on {} ({}):\n    {}",
                if want == 0 { "extra:" } else { "repeated:" },
                messages.len(),
                key.0,
                key.1,
                origin(&key.1),
                messages.join("\n    ")
            ));
        }
    }
    let summary = format!(
        "{} lines ({} events judged, {} benign requests), {} fixture files, {} attacks, {} expected alerts, {} raised, {:?}",
        lines.len(),
        pipeline.detector().stats().events,
        requests,
        2 * slugs.len(),
        attacks,
        expected.len(),
        alerts.len(),
        started.elapsed()
    );
    println!("{summary}");
    assert!(diff.is_empty(), "{summary}\n{}", diff.join("\n"));
    assert_eq!(pipeline.malformed, 0);
    assert!(attacks >= slugs.len(), "every rule has an attack");
}
