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
use kaegis_detect::{DetectMetrics, Detector, JsonLines, Pipeline, Rule, Settings, Sink};

use crate::cli::FailOn;

/// Malformed lines reported one by one before the rest are only counted.
const MALFORMED_SHOWN: u64 = 50;

#[derive(clap::Args, Debug)]
pub struct DetectArgs {
    /// List the detection rules and exit.
    #[arg(long, conflicts_with_all = ["audit_log", "follow", "listen", "explain_policy"])]
    list_rules: bool,
    /// Check an audit Policy file: which rules cannot fire because the
    /// policy does not record their events (or not at the level they read),
    /// and which sensitive resources it logs at a level that leaks their
    /// data. Exits 1 when a rule cannot fire or data leaks.
    #[arg(long, value_name = "POLICY", conflicts_with_all = ["audit_log", "follow", "listen"])]
    explain_policy: Option<PathBuf>,
    /// Format of --list-rules (table, json, markdown) and --explain-policy
    /// (table is text; json).
    #[arg(long, value_enum, default_value = "table")]
    format: ListFormat,
    /// Be the API server's audit webhook backend: HTTPS on ADDR, EventList
    /// POSTs on /audit (and /).
    #[arg(long, value_name = "ADDR", conflicts_with_all = ["audit_log", "follow"], requires_all = ["tls_cert", "tls_key"])]
    listen: Option<std::net::SocketAddr>,
    /// PEM certificate chain for --listen; re-read when it changes.
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --listen; re-read when it changes.
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Plain-HTTP address for /healthz, /readyz and /metrics (with --listen
    /// or --follow).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// Events the webhook queues for the detector before it answers 429
    /// (the API server then retries).
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    queue_events: usize,
    /// Also POST each alert to this URL (http or https), with retries and
    /// backoff; what cannot be delivered goes to --dead-letter.
    #[arg(long, value_name = "URL")]
    alert_webhook: Option<String>,
    /// Body of --alert-webhook: the alert's JSON, or a Slack incoming
    /// webhook message.
    #[arg(long, value_enum, default_value = "json", requires = "alert_webhook")]
    alert_webhook_format: WebhookFormat,
    /// CA bundle (PEM) that signs --alert-webhook's certificate [default:
    /// the system's roots].
    #[arg(long, value_name = "FILE", requires = "alert_webhook")]
    alert_webhook_ca: Option<PathBuf>,
    /// File holding a bearer token for --alert-webhook.
    #[arg(long, value_name = "FILE", requires = "alert_webhook")]
    alert_webhook_token_file: Option<PathBuf>,
    /// JSON-lines file for alerts --alert-webhook could not deliver
    /// [default: standard error].
    #[arg(long, value_name = "FILE", requires = "alert_webhook")]
    dead_letter: Option<PathBuf>,
    /// Config file (its `detect:` section: networks, thresholds, disabled
    /// rules, custom CEL rules) [default: the nearest .kaegis.yaml from the
    /// current directory up].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any config file.
    #[arg(long)]
    no_config: bool,
    /// Audit log files (JSON lines as the API server's log backend writes
    /// them; `.gz` rotations too), read in the order given: oldest first;
    /// `-` for standard input.
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

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
enum WebhookFormat {
    Json,
    Slack,
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

fn list_rules(format: ListFormat, rules: &[Box<dyn Rule>]) -> anyhow::Result<ExitCode> {
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
        // The reference page documents the built-in rules only.
        ListFormat::Markdown => write!(out, "{}", kaegis_detect::rules_markdown())?,
        ListFormat::Table => {
            let bold = anstyle::Style::new().bold();
            writeln!(
                out,
                "{bold}{:<6} {:<34} {:<9} {:<21} MITRE ATT&CK{bold:#}",
                "CODE", "RULE", "SEVERITY", "TACTIC"
            )?;
            for r in rules {
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
        // Called inside the runtime: the handlers are installed at once.
        rt.block_on(async { kaegis_serve::shutdown_signal(None).await });
        flag.store(true, Ordering::SeqCst);
    });
    stop
}

/// The settings and rules: built-in, minus those the config's `detect:`
/// section disables, plus its custom rules.
fn settings_and_rules(args: &DetectArgs) -> anyhow::Result<(Settings, Vec<Box<dyn Rule>>)> {
    match crate::cli::config_file(args.config.as_deref(), args.no_config, None) {
        Some(f) => {
            let cfg = kaegis_policy::Config::load(&f)?;
            Ok(kaegis_detect::from_config(cfg.detect)?)
        }
        None => Ok((Settings::default(), kaegis_detect::rules::builtin())),
    }
}

fn explain_policy(
    path: &std::path::Path,
    rules: &[Box<dyn Rule>],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let policy = kaegis_detect::explain::AuditPolicy::load(path)?;
    let report = kaegis_detect::explain::explain(&policy, rules);
    let mut out = anstream::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", report.to_text())?;
    }
    Ok(if report.summary.silent > 0 || report.summary.leaks > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The sinks: standard output or the --output file, and the alert webhook.
fn sinks(args: &DetectArgs, metrics: &DetectMetrics) -> anyhow::Result<Vec<Box<dyn Sink>>> {
    let mut sinks: Vec<Box<dyn Sink>> = vec![match &args.output {
        Some(p) => Box::new(
            kaegis_detect::sink::append_file(p)
                .with_context(|| format!("cannot open {} for alerts", p.display()))?,
        ),
        None => Box::new(JsonLines::new(std::io::BufWriter::new(std::io::stdout()))),
    }];
    if let Some(url) = &args.alert_webhook {
        let mut o = kaegis_detect::sink::WebhookOptions::new(url.clone());
        o.ca_file = args.alert_webhook_ca.clone();
        o.dead_letter = args.dead_letter.clone();
        o.format = match args.alert_webhook_format {
            WebhookFormat::Json => kaegis_detect::sink::BodyFormat::Json,
            WebhookFormat::Slack => kaegis_detect::sink::BodyFormat::Slack,
        };
        if let Some(f) = &args.alert_webhook_token_file {
            let token = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read the token file {}", f.display()))?;
            o.bearer_token = Some(token.trim().to_owned());
        }
        sinks.push(Box::new(kaegis_detect::sink::WebhookSink::start(
            o,
            metrics.delivery(),
        )?));
    }
    Ok(sinks)
}

/// `kaegis detect --listen`: the audit webhook backend.
fn listen(
    args: &DetectArgs,
    addr: std::net::SocketAddr,
    settings: Settings,
    rules: Vec<Box<dyn Rule>>,
) -> anyhow::Result<ExitCode> {
    let (Some(cert), Some(key)) = (args.tls_cert.clone(), args.tls_key.clone()) else {
        bail!("kaegis detect --listen needs --tls-cert and --tls-key");
    };
    let store = match &args.state {
        Some(p) => Some(Arc::new(Store::open(p)?)),
        None => None,
    };
    let saved = match &store {
        Some(s) => s.load()?.unwrap_or_default(),
        None => kaegis_detect::store::Checkpoint::default(),
    };
    let metrics = DetectMetrics::new();
    let pipeline = Pipeline::new(
        Detector::new(rules, settings, saved.state),
        sinks(args, &metrics)?,
    );
    let mut opts = kaegis_detect::server::ServerOptions::new(addr, args.metrics_listen, cert, key);
    opts.queue_events = args.queue_events.max(1);
    if let Some(store) = store {
        opts.checkpoint = Some(Box::new(move |p: &Pipeline| {
            let cp = kaegis_detect::store::Checkpoint {
                positions: Vec::new(),
                state: p.detector().state().clone(),
                output: None,
            };
            if let Err(e) = store.save(&cp) {
                eprintln!("error: {e}");
            }
        }));
    }
    let quiet = args.quiet;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let pipeline = rt.block_on(kaegis_detect::server::run(
        opts,
        pipeline,
        metrics,
        |b| {
            eprintln!(
                "kaegis detect: audit webhook on https://{}/audit",
                b.webhook
            );
            if let Some(m) = b.metrics {
                eprintln!("kaegis detect: health and metrics on http://{m}/metrics");
            }
        },
        None,
    ))?;
    if !quiet {
        summary(&pipeline);
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(pipeline: &Pipeline) {
    let stats = pipeline.detector().stats();
    let alerts: u64 = stats.alerts.values().sum();
    let suppressed: u64 = stats.suppressed.values().sum();
    eprintln!(
        "kaegis detect: {} events, {alerts} alerts ({suppressed} repeats suppressed), {} malformed",
        pipeline.events, pipeline.malformed
    );
}

pub fn run(args: DetectArgs) -> anyhow::Result<ExitCode> {
    let (settings, rules) = settings_and_rules(&args)?;
    if args.list_rules {
        return list_rules(args.format, &rules);
    }
    if let Some(policy) = &args.explain_policy {
        return explain_policy(policy, &rules, args.format == ListFormat::Json);
    }
    if let Some(addr) = args.listen {
        return listen(&args, addr, settings, rules);
    }
    if args.audit_log.is_empty() {
        bail!(
            "kaegis detect needs --audit-log FILE… (read once, or --follow), --listen ADDR (the audit webhook), --explain-policy POLICY or --list-rules"
        );
    }
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
    let metrics = DetectMetrics::new();
    let detector = Detector::new(rules, settings, state);
    let mut pipeline = Pipeline::new(detector, sinks(&args, &metrics)?);
    // Health and metrics for a follower; the thread stops when dropped.
    let _ops = match args.metrics_listen {
        Some(addr) => {
            metrics.attach(&mut pipeline);
            let ops = kaegis_detect::server::MetricsThread::start(addr, &metrics)?;
            let m = metrics.clone();
            run.set_observer(move |p| m.observe(p));
            if !quiet {
                eprintln!(
                    "kaegis detect: health and metrics on http://{}/metrics",
                    ops.addr()
                );
            }
            Some(ops)
        }
        None => None,
    };
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
    if !quiet {
        summary(&pipeline);
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
