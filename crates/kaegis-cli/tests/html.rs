//! The HTML report in a real browser: headless Chromium opens the file from
//! disk (no server, no network), runs its script, and the test reads the DOM
//! it built — the charts' bars, the table's rows, the rows left by a filter
//! given in the URL fragment — then saves a screenshot under
//! `<target>/tmp/html/`.
//!
//! Chromium is `KAEGIS_CHROMIUM`, or `chromium`, `chromium-browser` or
//! `google-chrome` on PATH (`.ci/run` installs Debian's `chromium`). Without
//! one the test fails when `CI` is set and is skipped otherwise.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kaegis() -> Command {
    let mut c = Command::cargo_bin("kaegis").unwrap();
    c.current_dir(repo());
    c
}

/// Chromium runs longer than this are killed: CI must not hang on a browser.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KAEGIS_CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
    .find(|p| p.is_file())
}

/// The browser, or `None` (with a notice) when there is none and this is
/// not CI.
fn chromium_or_skip() -> Option<PathBuf> {
    match find_chromium() {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some() => panic!(
            "the HTML report test needs headless Chromium and none was found: install Debian's \
             `chromium` package (.ci/run does) or set KAEGIS_CHROMIUM to a Chromium or Chrome binary"
        ),
        None => {
            eprintln!(
                "SKIPPED: no chromium, chromium-browser or google-chrome on PATH and KAEGIS_CHROMIUM \
                 unset; the HTML report was not checked in a browser (CI fails instead of skipping)"
            );
            None
        }
    }
}

/// A `file://` URL for an absolute path, with `fragment` (may be empty).
fn file_url(path: &Path, fragment: &str) -> String {
    let mut url = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    if !fragment.is_empty() {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

struct Browser {
    bin: PathBuf,
}

impl Browser {
    /// Runs headless Chromium with a fresh profile and `args`, killed after
    /// [`BROWSER_TIMEOUT`]; returns its standard output.
    fn run(&self, args: &[String]) -> String {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Process::new(&self.bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--virtual-time-budget=5000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            stdout.read_to_string(&mut s).map(|_| s)
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            stderr.read_to_string(&mut s).map(|_| s)
        });
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > BROWSER_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "chromium did not finish in {BROWSER_TIMEOUT:?} ({args:?}); stderr:\n{}",
                    err.join().unwrap().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = out.join().unwrap().unwrap_or_default();
        let stderr = err.join().unwrap().unwrap_or_default();
        assert!(
            status.success(),
            "chromium failed ({status}) on {args:?}; stderr:\n{stderr}"
        );
        stdout
    }

    /// The DOM of `url` once the page's script has run.
    fn dom(&self, url: &str) -> String {
        let dom = self.run(&["--dump-dom".to_owned(), url.to_owned()]);
        let body = between(&dom, "<body", ">");
        assert!(
            !body.contains("data-error="),
            "the page's script failed on {url}: {body}"
        );
        assert!(
            body.contains("data-ready=\"1\""),
            "the page's script did not finish on {url}: {body}"
        );
        dom
    }
}

/// The text from the first `start` (included) to the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let Some(i) = text.find(start) else {
        panic!("no `{start}` in the page");
    };
    let rest = &text[i..];
    let j = rest[start.len()..]
        .find(end)
        .map_or(rest.len(), |j| j + start.len());
    &rest[..j]
}

/// Finding rows the table shows, and the count the page says it shows.
fn shown(dom: &str) -> (usize, usize) {
    let rows = between(dom, "<tbody id=\"rows\">", "</tbody>")
        .matches("<tr class=\"finding\"")
        .count();
    let count = between(dom, "<p id=\"count\"", ">");
    let said = between(count, "data-shown=\"", "\"")["data-shown=\"".len()..]
        .parse()
        .unwrap();
    (rows, said)
}

#[test]
fn html_report_renders_and_filters_in_headless_chromium() {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html");
    std::fs::create_dir_all(&out_dir).unwrap();
    let html = out_dir.join("report.html");
    let json = out_dir.join("report.json");
    let png = out_dir.join("report.png");
    let _ = std::fs::remove_file(&png);

    // One scan, two formats: the JSON report is what the page must show.
    kaegis()
        .args(["scan", "examples/insecure", "--format"])
        .arg(format!("html={}", html.display()))
        .arg("--format")
        .arg(format!("json={}", json.display()))
        .assert()
        .code(1);
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let page = std::fs::read_to_string(&html).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let total = report["summary"]["findings"].as_u64().unwrap() as usize;
    assert_eq!(findings.len(), total);
    assert!(total > 20, "the insecure example should trip many checks");
    assert!(
        total <= 500,
        "one page of rows shows every finding of the example"
    );

    // Self-contained: no resource from anywhere else. The only URLs outside
    // the embedded data are the SVG namespace; reference links live in the
    // data and become <a href> (navigation, not a load).
    assert!(page.contains("default-src 'none'"), "the CSP is missing");
    let data_start = page.find("id=\"kaegis-data\">").unwrap();
    let data_end = data_start + page[data_start..].find("</script>").unwrap();
    let outside = format!("{}{}", &page[..data_start], &page[data_end..]);
    for scheme in ["http://", "https://"] {
        for (i, _) in outside.match_indices(scheme) {
            assert!(
                outside[i..].starts_with("http://www.w3.org/2000/svg"),
                "remote URL in the page: {}",
                &outside[i..(i + 80).min(outside.len())]
            );
        }
    }
    let lower = outside.to_lowercase();
    for load in [
        "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", "src=",
    ] {
        // Whole words only (the script's `safeUrl(` is no CSS `url(`).
        let loads = lower.match_indices(load).any(|(i, _)| {
            !lower[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        assert!(!loads, "the page loads something: `{load}`");
    }

    let by_code = findings.iter().fold(BTreeMap::new(), |mut m, f| {
        *m.entry(f["check"]["code"].as_str().unwrap().to_owned())
            .or_insert(0usize) += 1;
        m
    });
    let areas = findings
        .iter()
        .map(|f| f["check"]["area"].as_str().unwrap())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let by_severity = &report["summary"]["bySeverity"];
    let severities = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter(|s| by_severity[**s].as_u64().unwrap() > 0)
        .count();
    let critical = by_severity["critical"].as_u64().unwrap() as usize;
    assert!(critical > 0 && critical < total);

    let Some(bin) = chromium_or_skip() else {
        return;
    };
    let browser = Browser { bin };
    let url = file_url(&html.canonicalize().unwrap(), "");

    // The page as it opens: charts with a bar per non-empty severity and
    // area, a score table each, and every finding in the table.
    let t = Instant::now();
    let dom = browser.dom(&url);
    eprintln!("chromium: dump-dom {:?}", t.elapsed());
    let bars = |id: &str| {
        between(&dom, &format!("<svg id=\"{id}\""), "</svg>")
            .matches("<g class=\"bar ")
            .count()
    };
    assert_eq!(bars("svg-severity"), severities, "severity chart");
    assert_eq!(bars("svg-area"), areas, "area chart");
    assert!(between(&dom, "<svg id=\"svg-severity\"", "</svg>").contains("<title"));
    assert!(between(&dom, "<div id=\"scores-area\"", "</table>").contains("<td class=\"name\">"));
    assert!(between(&dom, "<div id=\"scores-ns\"", "</table>").contains("<td class=\"name\">"));
    assert_eq!(shown(&dom), (total, total), "table rows");

    // Filters from the URL fragment, as a shared link sets them.
    let (code, n) = by_code
        .iter()
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(*c)))
        .unwrap();
    assert!(*n > 1 && *n < total);
    let t = Instant::now();
    let dom = browser.dom(&file_url(
        &html.canonicalize().unwrap(),
        &format!("q={code}"),
    ));
    eprintln!("chromium: dump-dom #q={code} {:?}", t.elapsed());
    assert_eq!(shown(&dom), (*n, *n), "rows for #q={code}");

    let dom = browser.dom(&file_url(
        &html.canonicalize().unwrap(),
        "severity=critical",
    ));
    assert_eq!(
        shown(&dom),
        (critical, critical),
        "rows for #severity=critical"
    );
    let rows = between(&dom, "<tbody id=\"rows\">", "</tbody>");
    assert_eq!(rows.matches(">critical</span>").count(), critical);

    // A filter that matches nothing says so.
    let dom = browser.dom(&file_url(
        &html.canonicalize().unwrap(),
        "q=no-such-finding-anywhere",
    ));
    assert_eq!(shown(&dom), (0, 0));
    assert!(dom.contains("No finding matches the filter."));

    // The screenshot CI keeps.
    let t = Instant::now();
    browser.run(&[
        format!("--screenshot={}", png.display()),
        "--window-size=1400,1800".to_owned(),
        "--hide-scrollbars".to_owned(),
        url,
    ]);
    eprintln!("chromium: screenshot {:?}", t.elapsed());
    let bytes =
        std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", png.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 50_000,
        "the screenshot is suspiciously small ({} bytes): a blank page?",
        bytes.len()
    );
    eprintln!("screenshot: {} ({} bytes)", png.display(), bytes.len());
}
