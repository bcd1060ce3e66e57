//! The HTML report: one self-contained page to open from disk or attach to
//! a CI run. Style and script are inlined and hand-written (no library, no
//! font, no CDN), and a Content-Security-Policy forbids the page any fetch,
//! so it renders the same offline.
//!
//! The findings are embedded once, as JSON in a
//! `<script type="application/json">` element; the script builds the page
//! from it with `textContent` and `createElement` only, so no text from a
//! manifest is ever parsed as HTML. Every `<`, `>` and `&` of that JSON is
//! written as a `\u` escape, so no value can close the script element.
//!
//! What the page shows: a summary, a score per area and per namespace (see
//! [`score`]), bar charts of findings by severity and by area, and a table
//! of findings to sort and filter (the filter lives in the URL fragment, e.g.
//! `report.html#q=KG103&severity=critical`, so a link can be shared), each
//! finding opening onto its YAML excerpt, its JSON path and the check's How
//! to fix. Rows are rendered a page at a time: a report of tens of thousands
//! of findings opens at once.
//!
//! The excerpts are read from the scanned files when the report is written
//! (each file once, keeping only the lines around findings); where a file
//! cannot be read (standard input), the finding's own line stands in.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Write};
use std::path::Path;

use kaegis_core::{Area, DiagnosticLevel, Finding, ObjectId, Reference, Severity};
use serde::Serialize;

use crate::{Report, TOOL_VERSION, namespace_group};

const PAGE: &str = include_str!("html/page.html");
const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Penalty points of a finding by severity, lowest first (info, low,
/// medium, high, critical).
pub const WEIGHTS: [u64; 5] = [0, 1, 3, 6, 10];

/// Penalty points per object at which a score is 50: one critical finding
/// (or two medium and two low…) per object on average halves the score.
pub const HALF_SCORE_POINTS: f64 = 10.0;

/// Lines of YAML shown before and after a finding's line.
pub const CONTEXT_LINES: u32 = 3;

/// Longer source lines are cut (minified JSON can be one line of megabytes).
const MAX_LINE_CHARS: usize = 400;

/// Input errors listed in the page at most (the count is always exact).
const MAX_DIAGNOSTICS: usize = 500;

/// The score of a group of objects: `100 × H / (H + P / N)` where `P` is the
/// sum of the [`WEIGHTS`] of the group's findings, `N` its number of objects
/// and `H` is [`HALF_SCORE_POINTS`]. 100 means no finding that weighs; the
/// score halves at `H` points per object and falls towards 0 beyond, without
/// the cliff of a clamp, so two bad namespaces still compare. A group with
/// findings scores at most 99, so 100 always means clean.
pub fn score(points: u64, objects: usize) -> u32 {
    if points == 0 {
        return 100;
    }
    let density = points as f64 / objects.max(1) as f64;
    let s = (100.0 * HALF_SCORE_POINTS / (HALF_SCORE_POINTS + density)).round();
    (s as u32).min(99)
}

/// One line of a score table.
#[derive(Serialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
struct Score {
    name: String,
    /// Objects the score divides by.
    objects: usize,
    /// Checks that ran (areas only).
    #[serde(skip_serializing_if = "Option::is_none")]
    checks: Option<usize>,
    findings: usize,
    /// Findings per severity, lowest first.
    by_severity: [usize; 5],
    points: u64,
    score: u32,
}

impl Score {
    fn add(&mut self, severity: Severity) {
        self.findings += 1;
        self.by_severity[severity as usize] += 1;
        self.points += WEIGHTS[severity as usize];
    }

    fn finish(mut self) -> Self {
        self.score = score(self.points, self.objects);
        self
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    files: usize,
    objects: usize,
    findings: usize,
    suppressed: usize,
    baselined: usize,
    input_errors: usize,
    notes: usize,
    /// Findings per severity, lowest first.
    by_severity: [usize; 5],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Scoring {
    weights: [u64; 5],
    half_score_points: f64,
}

#[derive(Serialize)]
struct CheckData<'a> {
    code: &'a str,
    slug: &'a str,
    title: &'a str,
    area: &'a str,
    /// The catalog's severity (a config file may have changed a finding's).
    severity: Severity,
    /// The How to fix section, Markdown.
    fix: Option<String>,
    references: &'a [Reference],
}

/// `[apiVersion, kind, namespace or null, name, namespace group]`.
type ObjectData<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, &'a str);

/// `[check, severity (0 = info … 4 = critical), object, JSON path, file
/// (-1: none), line, column, message, mechanical fix or null]`, indexes into
/// the tables beside it; the fix is `[description, JSON Patch]`.
type FindingData<'a> = (
    usize,
    usize,
    usize,
    String,
    i64,
    u32,
    u32,
    &'a str,
    Option<(&'a str, &'a serde_json::Value)>,
);

/// The lines of one file around its findings: runs of consecutive lines,
/// each `[first line number, [lines…]]`.
#[derive(Serialize, Default)]
struct FileData {
    name: String,
    spans: Vec<(u32, Vec<String>)>,
}

#[derive(Serialize)]
struct DiagnosticData<'a> {
    file: String,
    line: Option<u32>,
    message: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    tool: &'static str,
    version: &'static str,
    profile: &'a str,
    pss_version: String,
    config: Option<String>,
    summary: Summary,
    severities: [&'static str; 5],
    scoring: Scoring,
    overall: Score,
    areas: Vec<Score>,
    namespaces: Vec<Score>,
    checks: Vec<CheckData<'a>>,
    objects: Vec<ObjectData<'a>>,
    files: Vec<FileData>,
    findings: Vec<FindingData<'a>>,
    /// Input errors (notes are only counted).
    errors: Vec<DiagnosticData<'a>>,
}

/// Writes the HTML report.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let data = data(report);
    let mut w = io::BufWriter::new(out);
    let mut rest = PAGE;
    for marker in [
        "<!--TITLE-->",
        "<!--STYLE-->",
        "<!--DATA-->",
        "<!--SCRIPT-->",
    ] {
        let Some((before, after)) = rest.split_once(marker) else {
            return Err(io::Error::other(format!(
                "the HTML template has no {marker} (a bug in kaegis)"
            )));
        };
        w.write_all(before.as_bytes())?;
        match marker {
            "<!--TITLE-->" => write!(
                w,
                "kaegis report: {} findings in {} objects",
                report.findings.len(),
                report.objects
            )?,
            "<!--STYLE-->" => w.write_all(STYLE.as_bytes())?,
            "<!--DATA-->" => serde_json::to_writer(ScriptSafe(&mut w), &data)?,
            _ => w.write_all(SCRIPT.as_bytes())?,
        }
        rest = after;
    }
    w.write_all(rest.as_bytes())?;
    w.flush()
}

/// Writes JSON into a `<script>` element: `<`, `>` and `&` (which JSON
/// holds only inside strings) become `\u003c`, `\u003e` and `\u0026`, so
/// neither `</script>` nor `<!--` can appear, whatever the findings say.
struct ScriptSafe<W: Write>(W);

impl<W: Write> Write for ScriptSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        for (i, b) in buf.iter().enumerate() {
            let escaped: &[u8] = match b {
                b'<' => b"\\u003c",
                b'>' => b"\\u003e",
                b'&' => b"\\u0026",
                _ => continue,
            };
            self.0.write_all(&buf[start..i])?;
            self.0.write_all(escaped)?;
            start = i + 1;
        }
        self.0.write_all(&buf[start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

fn data(report: &Report) -> Data<'_> {
    let counts = report.counts();
    let mut checks: Vec<CheckData> = Vec::new();
    let mut check_index: HashMap<&str, usize> = HashMap::new();
    let mut objects: Vec<ObjectData> = Vec::new();
    let mut object_index: HashMap<&ObjectId, usize> = HashMap::new();
    let (files, file_of) = excerpts(&report.findings, &report.texts);
    let mut findings = Vec::with_capacity(report.findings.len());
    for (f, file) in report.findings.iter().zip(file_of) {
        let check = *check_index.entry(f.check.code).or_insert_with(|| {
            let m = f.check;
            checks.push(CheckData {
                code: m.code,
                slug: m.slug,
                title: m.title,
                area: m.area.as_str(),
                severity: m.severity,
                fix: m.doc_section("How to fix"),
                references: m.references,
            });
            checks.len() - 1
        });
        let object = *object_index.entry(&f.object).or_insert_with(|| {
            let o = &f.object;
            objects.push((
                &o.api_version,
                &o.kind,
                o.namespace.as_deref(),
                &o.name,
                namespace_group(o),
            ));
            objects.len() - 1
        });
        findings.push((
            check,
            f.severity as usize,
            object,
            f.path.to_string(),
            file.map_or(-1, |i| i as i64),
            f.location.pos.line,
            f.location.pos.col,
            f.message.as_str(),
            f.fix
                .as_deref()
                .map(|p| (p.fix.description.as_str(), &p.json_patch)),
        ));
    }
    let (areas, namespaces) = group_scores(report);
    let mut overall = Score {
        name: "overall".to_owned(),
        objects: report.objects,
        ..Score::default()
    };
    for f in &report.findings {
        overall.add(f.severity);
    }
    let notes = report
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Note)
        .count();
    Data {
        tool: "kaegis",
        version: TOOL_VERSION,
        profile: &report.profile,
        pss_version: format!("v1.{}", report.pss_minor),
        config: report.config.as_ref().map(|p| p.display().to_string()),
        summary: Summary {
            files: report.files,
            objects: report.objects,
            findings: report.findings.len(),
            suppressed: report.suppressed,
            baselined: report.baselined,
            input_errors: report.input_errors(),
            notes,
            by_severity: counts,
        },
        severities: Severity::ALL.map(Severity::as_str),
        scoring: Scoring {
            weights: WEIGHTS,
            half_score_points: HALF_SCORE_POINTS,
        },
        overall: overall.finish(),
        areas,
        namespaces,
        checks,
        objects,
        files,
        findings,
        errors: report
            .diagnostics
            .iter()
            .filter(|d| d.level == DiagnosticLevel::Error)
            .take(MAX_DIAGNOSTICS)
            .map(|d| DiagnosticData {
                file: d.file.display().to_string(),
                line: d.pos.map(|p| p.line),
                message: &d.message,
            })
            .collect(),
    }
}

/// Scores per area (every area a check that ran belongs to, over all the
/// objects checked) and per namespace (over the objects in it), worst
/// first.
fn group_scores(report: &Report) -> (Vec<Score>, Vec<Score>) {
    let mut areas: BTreeMap<Area, Score> = BTreeMap::new();
    for c in &report.checks {
        let s = areas.entry(c.area).or_insert_with(|| Score {
            name: c.area.as_str().to_owned(),
            objects: report.objects,
            checks: Some(0),
            ..Score::default()
        });
        s.checks = Some(s.checks.unwrap_or(0) + 1);
    }
    let mut namespaces: BTreeMap<&str, Score> = report
        .objects_by_namespace
        .iter()
        .map(|(ns, n)| {
            let s = Score {
                name: ns.clone(),
                objects: *n,
                ..Score::default()
            };
            (ns.as_str(), s)
        })
        .collect();
    // Objects with findings, for namespaces the report did not count.
    let mut seen: HashSet<&ObjectId> = HashSet::new();
    let counted = !report.objects_by_namespace.is_empty();
    for f in &report.findings {
        areas
            .entry(f.check.area)
            .or_insert_with(|| Score {
                name: f.check.area.as_str().to_owned(),
                objects: report.objects,
                checks: Some(0),
                ..Score::default()
            })
            .add(f.severity);
        let group = namespace_group(&f.object);
        let s = namespaces.entry(group).or_insert_with(|| Score {
            name: group.to_owned(),
            ..Score::default()
        });
        if !counted && seen.insert(&f.object) {
            s.objects += 1;
        }
        s.add(f.severity);
    }
    let worst_first = |mut v: Vec<Score>| {
        v.sort_by(|a, b| {
            (a.score, std::cmp::Reverse(a.points), &a.name).cmp(&(
                b.score,
                std::cmp::Reverse(b.points),
                &b.name,
            ))
        });
        v
    };
    (
        worst_first(areas.into_values().map(Score::finish).collect()),
        worst_first(namespaces.into_values().map(Score::finish).collect()),
    )
}

/// The lines around every finding, per file (each file read once), and the
/// index of each finding's file in that list.
fn excerpts(
    findings: &[Finding],
    texts: &BTreeMap<std::sync::Arc<Path>, std::sync::Arc<str>>,
) -> (Vec<FileData>, Vec<Option<usize>>) {
    struct Wanted<'a> {
        path: &'a Path,
        lines: Vec<u32>,
        snippets: Vec<(u32, &'a str)>,
    }
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut index: HashMap<&Path, usize> = HashMap::new();
    let mut file_of = Vec::with_capacity(findings.len());
    for f in findings {
        let Some(path) = f.location.file.as_deref() else {
            file_of.push(None);
            continue;
        };
        let i = *index.entry(path).or_insert_with(|| {
            wanted.push(Wanted {
                path,
                lines: Vec::new(),
                snippets: Vec::new(),
            });
            wanted.len() - 1
        });
        let w = &mut wanted[i];
        w.lines.push(f.location.pos.line);
        if let Some(s) = &f.snippet {
            w.snippets.push((f.location.pos.line, s));
        }
        file_of.push(Some(i));
    }
    let files = wanted
        .into_iter()
        .map(|mut w| {
            w.lines.sort_unstable();
            w.lines.dedup();
            let text = match texts.get(w.path) {
                Some(t) => Some(t.to_string()),
                None => read_text(w.path),
            };
            let spans = match text {
                Some(text) => spans_around(&text, &w.lines),
                None => {
                    // The finding's own line, as the scan saw it.
                    w.snippets.sort_unstable();
                    w.snippets.dedup();
                    w.snippets
                        .into_iter()
                        .map(|(n, s)| (n, vec![cut(s)]))
                        .collect()
                }
            };
            FileData {
                name: w.path.display().to_string(),
                spans,
            }
        })
        .collect();
    (files, file_of)
}

fn read_text(path: &Path) -> Option<String> {
    if path == Path::new("<stdin>") {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned())
}

/// Runs of lines covering `CONTEXT_LINES` around each of `lines` (sorted,
/// 1-based); overlapping windows merge into one run.
fn spans_around(text: &str, lines: &[u32]) -> Vec<(u32, Vec<String>)> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for &l in lines {
        let (lo, hi) = (l.saturating_sub(CONTEXT_LINES).max(1), l + CONTEXT_LINES);
        match ranges.last_mut() {
            Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi),
            _ => ranges.push((lo, hi)),
        }
    }
    let mut spans: Vec<(u32, Vec<String>)> = Vec::with_capacity(ranges.len());
    let mut ranges = ranges.into_iter().peekable();
    for (n, line) in (1u32..).zip(text.lines()) {
        while ranges.peek().is_some_and(|r| r.1 < n) {
            ranges.next();
        }
        let Some(&(lo, _)) = ranges.peek() else { break };
        if n < lo {
            continue;
        }
        let line = cut(line);
        match spans.last_mut() {
            Some((first, run)) if *first >= lo && *first + run.len() as u32 == n => run.push(line),
            _ => spans.push((n, vec![line])),
        }
    }
    spans
}

fn cut(line: &str) -> String {
    let line = &*crate::redact_line(line);
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaegis_core::{Area, CheckMeta, JsonPath, Location, Pos};
    use std::sync::Arc;

    static CHECK: CheckMeta = CheckMeta {
        code: "KG999",
        slug: "test-check",
        title: "A test check",
        severity: Severity::High,
        area: Area::PodSecurity,
        doc: " ## What\n x\n\n ## How to fix\n Do `this`:\n ```yaml\n a: 1\n ```\n",
        ..CheckMeta::BASE
    };

    fn finding(message: &str, file: Option<&Path>, line: u32) -> Finding {
        Finding {
            check: &CHECK,
            severity: Severity::High,
            object: ObjectId {
                api_version: "v1".into(),
                kind: "Pod".into(),
                namespace: Some("web".into()),
                name: "p".into(),
            },
            path: JsonPath::root(),
            location: Location {
                file: file.map(Arc::from),
                document: 0,
                pos: Pos::new(line, 3),
            },
            message: message.to_owned(),
            snippet: Some("  the line".into()),
            fix: None,
        }
    }

    fn html(report: &Report) -> String {
        let mut buf = Vec::new();
        write(report, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn embedded_json(page: &str) -> serde_json::Value {
        let start = page
            .find(r#"<script type="application/json" id="kaegis-data">"#)
            .unwrap();
        let body = &page[start..];
        let body = &body[body.find('>').unwrap() + 1..];
        let end = body.find("</script>").unwrap();
        serde_json::from_str(&body[..end]).unwrap()
    }

    #[test]
    fn nothing_in_a_finding_can_leave_the_data_element() {
        let evil = "</script><img src=x onerror=alert(1)><!-- & </SCRIPT >";
        let report = Report {
            findings: vec![finding(evil, None, 1)],
            objects: 1,
            ..Report::default()
        };
        let page = html(&report);
        assert!(
            !page.contains("<img"),
            "markup from a finding reached the page"
        );
        assert!(!page.to_lowercase().contains("</script><"));
        assert!(page.contains(r"\u003c/script\u003e\u003cimg src=x onerror=alert(1)\u003e"));
        // One data element, one script: the page's own.
        assert_eq!(page.matches("</script>").count(), 2);
        // And the text survives the escaping intact.
        let data = embedded_json(&page);
        assert_eq!(data["findings"][0][7], evil);
    }

    #[test]
    fn the_page_loads_nothing_from_the_network() {
        let page = html(&Report::default());
        for needle in [
            "src=\"http",
            "href=\"http",
            "url(http",
            "@import",
            "src=\"//",
        ] {
            assert!(!page.contains(needle), "{needle}");
        }
        assert!(page.contains("default-src 'none'"));
    }

    #[test]
    fn scores_halve_at_one_critical_finding_per_object() {
        assert_eq!(score(0, 0), 100);
        assert_eq!(score(0, 7), 100);
        assert_eq!(score(10, 1), 50);
        assert_eq!(score(20, 2), 50);
        assert_eq!(score(30, 1), 25);
        assert_eq!(score(1, 1000), 99, "findings never score 100");
        assert!(score(200, 1) < score(100, 1));
    }

    #[test]
    fn namespaces_and_areas_are_scored_over_their_objects() {
        let mut report = Report {
            findings: vec![finding("a", None, 1), finding("b", None, 2)],
            checks: vec![&CHECK],
            objects: 10,
            ..Report::default()
        };
        report.objects_by_namespace.insert("web".into(), 3);
        report.objects_by_namespace.insert("db".into(), 7);
        let data = embedded_json(&html(&report));
        let ns = data["namespaces"].as_array().unwrap();
        assert_eq!(ns[0]["name"], "web");
        assert_eq!(ns[0]["points"], 12);
        assert_eq!(ns[0]["score"], score(12, 3));
        assert_eq!(ns[1]["name"], "db");
        assert_eq!(ns[1]["score"], 100);
        assert_eq!(data["areas"][0]["name"], "pod-security");
        assert_eq!(data["areas"][0]["checks"], 1);
        assert_eq!(data["areas"][0]["score"], score(12, 10));
        assert_eq!(data["overall"]["score"], score(12, 10));
        assert_eq!(data["checks"][0]["fix"], "Do `this`:\n```yaml\na: 1\n```");
    }

    #[test]
    fn excerpts_come_from_the_file_with_context_and_from_the_snippet_without() {
        let dir = std::env::temp_dir().join(format!("kaegis-html-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("x.yaml");
        let text: String = (1..=20).map(|n| format!("line{n}\r\n")).collect();
        std::fs::write(&file, text).unwrap();
        let findings = vec![
            finding("a", Some(&file), 2),
            finding("b", Some(&file), 6),
            finding("c", Some(&file), 19),
            finding("d", Some(Path::new("<stdin>")), 4),
        ];
        let (files, of) = excerpts(&findings, &BTreeMap::new());
        assert_eq!(of, [Some(0), Some(0), Some(0), Some(1)]);
        let first: Vec<_> = files[0].spans.iter().map(|(n, l)| (*n, l.len())).collect();
        // 2 and 6 share one run (lines 1..=9); 19 has 16..=20 (the file ends).
        assert_eq!(first, [(1, 9), (16, 5)]);
        assert_eq!(files[0].spans[0].1[0], "line1");
        assert_eq!(files[0].spans[1].1[4], "line20");
        assert_eq!(files[1].spans, [(4, vec!["  the line".to_owned()])]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn long_lines_are_cut() {
        let long = "x".repeat(MAX_LINE_CHARS + 10);
        assert_eq!(cut(&long).chars().count(), MAX_LINE_CHARS + 1);
        assert_eq!(cut("short"), "short");
    }
}
