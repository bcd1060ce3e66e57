//! `kaegis detect`: wires audit-log inputs, the detector and the alert
//! sinks together. Reading, detection, checkpoints and serving live in
//! kaegis-detect.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context as _, bail};
use kaegis_detect::runner::{FileRun, Report};
use kaegis_detect::store::Store;
use kaegis_detect::{Detector, JsonLines, Pipeline, Settings, Sink};

use crate::cli::FailOn;

/// Malformed lines reported one by one before the rest are only counted.
const MALFORMED_SHOWN: u64 = 50;

#[derive(clap::Args, Debug)]
pub struct DetectArgs {
    /// List the detection rules and exit.
    #[arg(long, conflicts_with_all = ["audit_log", "follow"])]
    list_rules: bool,
    /// Format of --list-rules.
    #[arg(long, value_enum, default_value = "table", requires = "list_rules")]
    format: ListFormat,
    /// Audit log files (JSON lines as the API server's log backend writes
    /// them; `.gz` rotations too), read in the order given: oldest first.
    #[arg(long = "audit-log", value_name = "FILE", num_args = 1..)]
    audit_log: Vec<PathBuf>,
    /// Keep reading the logs as they grow, through rotation and
    /// truncation, until SIGTERM or SIGINT.
    #[arg(long, requires = "audit_log")]
    follow: bool,
    /// The state store (a single redb file): read positions, baselines and
    /// windows survive restarts, and a rerun reads only what is new.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Write alerts (JSON lines) to this file, appending, instead of
    /// standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when an alert reaches this severity (reading logs once; a
    /// follower stopped by SIGTERM or SIGINT exits 0).
    #[arg(long, value_enum, default_value = "info")]
    fail_on: FailOn,
    /// Silence notes (rotation, truncation) on standard error.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ListFormat {
    Table,
    Json,
    /// The reference page, docs/detect-rules.md.
    Markdown,
}

/// `kaegis explain` of a detection rule.
pub fn explain(rule: &dyn kaegis_detect::Rule) -> anyhow::Result<ExitCode> {
    let m = rule.meta();
    let mut out = anstream::stdout().lock();
    let bold = anstyle::Style::new().bold();
    writeln!(out, "{bold}{} {}{bold:#}: {}", m.code, m.slug, m.title)?;
    writeln!(
        out,
        "detection rule, severity {}, tactic {}",
        m.severity, m.tactic
    )?;
    for t in m.mitre {
        writeln!(out, "MITRE ATT&CK {} {}", t.id, t.name)?;
    }
    for n in m.needs {
        writeln!(
            out,
            "reads {} {} at audit level {} or above",
            if n.verbs.is_empty() {
                "any verb on".to_owned()
            } else {
                n.verbs.join("/")
            },
            n.resources.join(", "),
            n.level.as_str()
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", m.doc_markdown())?;
    Ok(ExitCode::SUCCESS)
}

fn list_rules(format: ListFormat) -> anyhow::Result<ExitCode> {
    let rules = kaegis_detect::rules::builtin();
    let mut out = anstream::stdout().lock();
    match format {
        ListFormat::Json => {
            let list: Vec<_> = rules
                .iter()
                .map(|r| {
                    let m = r.meta();
                    serde_json::json!({
                        "code": m.code,
                        "slug": m.slug,
                        "title": m.title,
                        "severity": m.severity,
                        "tactic": m.tactic,
                        "mitre": m.mitre.iter().map(|t| format!("{} {}", t.id, t.name)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        ListFormat::Markdown => write!(out, "{}", kaegis_detect::rules_markdown())?,
        ListFormat::Table => {
            let bold = anstyle::Style::new().bold();
            writeln!(
                out,
                "{bold}{:<6} {:<34} {:<9} {:<21} MITRE ATT&CK{bold:#}",
                "CODE", "RULE", "SEVERITY", "TACTIC"
            )?;
            for r in &rules {
                let m = r.meta();
                let mitre: Vec<&str> = m.mitre.iter().map(|t| t.id).collect();
                writeln!(
                    out,
                    "{:<6} {:<34} {:<9} {:<21} {}",
                    m.code,
                    m.slug,
                    m.severity.as_str(),
                    m.tactic,
                    mitre.join(", ")
                )?;
            }
            writeln!(out, "\n{} detection rules", rules.len())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets the flag on SIGTERM or SIGINT.
fn stop_on_signal() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            #[cfg(unix)]
            {
                use tokio::signal::unix::{SignalKind, signal};
                if let Ok(mut term) = signal(SignalKind::terminate()) {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = tokio::signal::ctrl_c() => {}
                    }
                } else {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
            #[cfg(not(unix))]
            let _ = tokio::signal::ctrl_c().await;
        });
        flag.store(true, Ordering::SeqCst);
    });
    stop
}

pub fn run(args: DetectArgs) -> anyhow::Result<ExitCode> {
    if args.list_rules {
        return list_rules(args.format);
    }
    if args.audit_log.is_empty() {
        bail!("kaegis detect needs --audit-log FILE… (or --follow with it)");
    }
    let settings = Settings::default();
    let rules = kaegis_detect::rules::builtin();
    let store = match &args.state {
        Some(p) => Some(Store::open(p)?),
        None => None,
    };
    let mut malformed = 0u64;
    let mut unreadable = 0u64;
    let quiet = args.quiet;
    let mut stderr = anstream::stderr();
    let mut reports = |r: Report| match &r {
        Report::Malformed { .. } => {
            malformed += 1;
            if malformed <= MALFORMED_SHOWN {
                let _ = writeln!(stderr, "error: {r}");
            }
        }
        Report::Unreadable { .. } => {
            unreadable += 1;
            let _ = writeln!(stderr, "error: {r}");
        }
        Report::Notice(_) if !quiet => {
            let _ = writeln!(stderr, "note: {r}");
        }
        Report::Notice(_) => {}
    };
    let (mut run, state) =
        FileRun::open(&args.audit_log, store, args.output.as_deref(), &mut reports)?;
    let sink: Box<dyn Sink> = match &args.output {
        Some(p) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .with_context(|| format!("cannot open {} for alerts", p.display()))?;
            Box::new(JsonLines::new(std::io::BufWriter::new(file)))
        }
        None => Box::new(JsonLines::new(std::io::BufWriter::new(std::io::stdout()))),
    };
    let detector = Detector::new(rules, settings, state);
    let mut pipeline = Pipeline::new(detector, vec![sink]);
    let stop = if args.follow {
        stop_on_signal()
    } else {
        Arc::new(AtomicBool::new(false))
    };
    run.run(&mut pipeline, args.follow, &stop, &mut reports)?;
    if malformed > MALFORMED_SHOWN {
        eprintln!(
            "error: … and {} more lines that are not audit events",
            malformed - MALFORMED_SHOWN
        );
    }
    let stats = pipeline.detector().stats();
    let alerts: u64 = stats.alerts.values().sum();
    let suppressed: u64 = stats.suppressed.values().sum();
    if !quiet {
        eprintln!(
            "kaegis detect: {} events, {alerts} alerts ({suppressed} repeats suppressed), {malformed} malformed lines",
            pipeline.events
        );
    }
    if args.follow {
        // A follower stopped by a signal did its job; what it found went
        // to the sinks and its input errors to standard error.
        return Ok(ExitCode::SUCCESS);
    }
    if malformed > 0 || unreadable > 0 {
        return Ok(ExitCode::from(2));
    }
    let worst = pipeline.worst();
    Ok(match (args.fail_on.threshold(), worst) {
        (Some(t), Some(w)) if w >= t => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}
