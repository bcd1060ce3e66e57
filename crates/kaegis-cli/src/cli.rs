//! Command-line interface: `kaegis scan`, `kaegis checks`, `kaegis explain`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};
use kaegis_core::check::LATEST_PSS_MINOR;
use kaegis_core::{Engine, Profile, Selection, Severity};

use crate::scan;

/// Kubernetes security and production-readiness checks, in one binary.
#[derive(Parser, Debug)]
#[command(name = "kaegis", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan manifests: files, directories (recursive) or `-` for stdin.
    Scan(ScanArgs),
    /// List the check catalog.
    Checks(ChecksArgs),
    /// Explain one check: what it checks, why it matters, how to fix it.
    Explain {
        /// A check slug (`privileged`) or code (`KG103`).
        check: String,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Grouped by file and object, for people.
    Terminal,
    /// The versioned JSON report (kaegis.dev/report/v1).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    /// Never fail because of findings (input errors still exit 2).
    Never,
}

#[derive(clap::Args, Debug)]
struct SelectArgs {
    /// Profile: pss-baseline, pss-restricted, cis, nsa, production, all.
    #[arg(long, default_value = "all", value_parser = parse_profile)]
    profile: Profile,
    /// Pod Security Standards version to evaluate: v1.0 … v1.37, or latest.
    #[arg(long, default_value = "latest", value_parser = parse_pss_version)]
    pss_version: u32,
    /// Also run this check (slug or code); repeatable.
    #[arg(long, value_name = "CHECK")]
    enable: Vec<String>,
    /// Do not run this check (slug or code); repeatable.
    #[arg(long, value_name = "CHECK")]
    disable: Vec<String>,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    select: SelectArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "terminal")]
    format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value = "low")]
    fail_on: FailOn,
    /// Skip paths matching this glob (gitignore syntax); repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Do not print notes about skipped files.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct ChecksArgs {
    #[command(flatten)]
    select: SelectArgs,
    /// Output format: a table, or JSON.
    #[arg(long, value_enum, default_value = "table")]
    format: ListFormat,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    Profile::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Profile::ALL.iter().map(|p| p.as_str()).collect();
        format!("unknown profile `{s}`; one of: {}", names.join(", "))
    })
}

fn parse_pss_version(s: &str) -> Result<u32, String> {
    if s == "latest" {
        return Ok(LATEST_PSS_MINOR);
    }
    let t = s.strip_prefix('v').unwrap_or(s);
    let minor = t
        .strip_prefix("1.")
        .and_then(|m| m.parse::<u32>().ok())
        .ok_or_else(|| format!("`{s}` is not a version like v1.30 or latest"))?;
    if minor > LATEST_PSS_MINOR {
        return Err(format!(
            "v1.{minor} is newer than the latest Pod Security Standards version kaegis knows (v1.{LATEST_PSS_MINOR})"
        ));
    }
    Ok(minor)
}

impl SelectArgs {
    fn engine(&self) -> anyhow::Result<Engine> {
        let sel = Selection {
            profile: self.profile,
            pss_minor: self.pss_version,
            enable: self.enable.clone(),
            disable: self.disable.clone(),
            ..Selection::default()
        };
        Ok(Engine::new(&kaegis_checks::CATALOG, &sel)?)
    }
}

/// Runs a parsed command line; the exit code follows DESIGN.md
/// (0 clean, 1 findings, 2 usage or input error).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Checks(args) => run_checks(args),
        Command::Explain { check } => run_explain(&check),
    }
}

fn run_scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let engine = args.select.engine()?;
    let report = scan::scan(
        &engine,
        &args.paths,
        &args.exclude,
        args.select.profile.as_str(),
    );
    let mut stderr = anstream::stderr();
    for d in &report.diagnostics {
        match d.level {
            kaegis_core::DiagnosticLevel::Error => writeln!(stderr, "error: {d}")?,
            kaegis_core::DiagnosticLevel::Note if !args.quiet => writeln!(stderr, "note: {d}")?,
            kaegis_core::DiagnosticLevel::Note => {}
        }
    }
    let mut buf = Vec::new();
    match args.format {
        Format::Terminal => kaegis_report::terminal::write(&report, &mut buf)?,
        Format::Json => kaegis_report::json::write(&report, &mut buf)?,
        Format::Sarif => kaegis_report::sarif::write(&report, &mut buf)?,
    }
    match &args.output {
        Some(path) => {
            let bytes = if args.format == Format::Terminal {
                anstream::adapter::strip_bytes(&buf).into_vec()
            } else {
                buf
            };
            std::fs::write(path, bytes)
                .with_context(|| format!("cannot write the report to {}", path.display()))?;
        }
        None => {
            let mut out = anstream::stdout().lock();
            out.write_all(&buf)?;
            out.flush()?;
        }
    }
    if report.input_errors() > 0 {
        return Ok(ExitCode::from(2));
    }
    let threshold = match args.fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    };
    Ok(match threshold {
        Some(t) if report.fails(t) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

fn run_checks(args: ChecksArgs) -> anyhow::Result<ExitCode> {
    let engine = args.select.engine()?;
    let mut out = anstream::stdout().lock();
    match args.format {
        ListFormat::Json => {
            let list: Vec<serde_json::Value> = engine
                .checks()
                .iter()
                .map(|c| {
                    let m = c.meta();
                    serde_json::json!({
                        "code": m.code,
                        "slug": m.slug,
                        "title": m.title,
                        "severity": m.severity,
                        "area": m.area.as_str(),
                        "profiles": m.profiles.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                        "pss": m.pss.map(|p| serde_json::json!({
                            "control": p.control,
                            "level": p.level,
                            "since": format!("v1.{}", p.since),
                        })),
                        "references": m.references,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            let bold = anstyle::Style::new().bold();
            writeln!(
                out,
                "{bold}{:<6} {:<28} {:<9} {:<13} REFERENCES{bold:#}",
                "CODE", "SLUG", "SEVERITY", "AREA"
            )?;
            for c in engine.checks() {
                let m = c.meta();
                let refs: Vec<String> = m
                    .references
                    .iter()
                    .map(|r| format!("{} {}", r.source, r.id))
                    .collect();
                writeln!(
                    out,
                    "{:<6} {:<28} {:<9} {:<13} {}",
                    m.code,
                    m.slug,
                    m.severity.as_str(),
                    m.area.as_str(),
                    refs.join("; ")
                )?;
            }
            writeln!(
                out,
                "\n{} checks (profile {}, Pod Security Standards v1.{})",
                engine.checks().len(),
                args.select.profile.as_str(),
                args.select.pss_version
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_explain(name: &str) -> anyhow::Result<ExitCode> {
    let Some(check) = kaegis_checks::find(name) else {
        bail!("no check is called `{name}`: `kaegis checks` lists the catalog");
    };
    let m = check.meta();
    let mut out = anstream::stdout().lock();
    let bold = anstyle::Style::new().bold();
    writeln!(out, "{bold}{} {}{bold:#}: {}", m.code, m.slug, m.title)?;
    write!(out, "severity {}, area {}", m.severity, m.area.as_str())?;
    if let Some(p) = m.pss {
        write!(
            out,
            ", Pod Security Standards {:?} control \"{}\" since v1.{}",
            p.level, p.control, p.since
        )?;
    }
    writeln!(out)?;
    let profiles: Vec<&str> = m.profiles.iter().map(|p| p.as_str()).collect();
    writeln!(out, "profiles: {}, all", profiles.join(", "))?;
    writeln!(out)?;
    writeln!(out, "{}", m.doc_markdown())?;
    if !m.references.is_empty() {
        writeln!(out, "\n## References")?;
        for r in m.references {
            match r.url {
                Some(u) => writeln!(out, "- {} {} <{u}>", r.source, r.id)?,
                None => writeln!(out, "- {} {}", r.source, r.id)?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
