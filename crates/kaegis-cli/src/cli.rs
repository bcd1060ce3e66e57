//! Command-line interface: `kaegis scan`, `kaegis cluster`, `kaegis node`,
//! `kaegis checks`, `kaegis explain`…

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};
use kaegis_core::check::LATEST_PSS_MINOR;
use kaegis_core::{Check, Engine, Profile, Selection, Severity};
use kaegis_policy::Config;

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
    /// Apply the mechanical fixes of a scan to the files in place, changing
    /// nothing else (comments, key order and formatting stay).
    Fix(FixArgs),
    /// Run the validating and mutating admission webhook (HTTPS), or make its
    /// certificates (`kaegis admission certs`).
    Admission(AdmissionArgs),
    /// Audit a live cluster through the Kubernetes API (or a dump of it).
    Cluster(ClusterArgs),
    /// Audit a node: its control-plane, etcd, kubelet and kube-proxy
    /// configuration (processes, static pod manifests, config files) and
    /// the permissions of its Kubernetes files.
    Node(NodeArgs),
    /// Detect attacks in Kubernetes audit events: log files (plain or
    /// gzip, followed like `tail -F` with --follow) or the API server's
    /// audit webhook (--listen). Alerts are JSON lines.
    Detect(crate::detect::DetectArgs),
    /// List the check catalog.
    Checks(ChecksArgs),
    /// Explain one check: what it checks, why it matters, how to fix it.
    Explain {
        /// A check slug (`privileged`) or code (`KG103`), a detection rule
        /// (`pod-exec`, `KD101`), or the id of a custom rule of the config
        /// file.
        check: String,
        /// Config file whose custom rules to explain too [default: the
        /// nearest .kaegis.yaml from the current directory up].
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Questions about RBAC, answered from the roles and bindings of
    /// manifests or of a live cluster (--cluster).
    #[command(subcommand)]
    Rbac(RbacCommand),
}

#[derive(Subcommand, Debug)]
enum RbacCommand {
    /// Who may VERB RESOURCE: every subject, with the binding and role that
    /// grant it (Kubernetes' default cluster-admin, admin, edit and view
    /// roles are known without being in the manifests).
    WhoCan {
        /// A verb: get, list, watch, create, update, patch, delete, escalate,
        /// bind, impersonate…
        verb: String,
        /// A resource as kubectl names it: pods, pods/exec,
        /// deployments.apps, secrets.
        resource: String,
        /// Files or directories holding Roles, ClusterRoles and bindings.
        #[arg(required_unless_present = "cluster", value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        source: RbacSourceArgs,
        /// In this namespace (RoleBindings there and ClusterRoleBindings);
        /// without it, only cluster-wide grants (ClusterRoleBindings).
        #[arg(long, short)]
        namespace: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: AnswerFormat,
    },
    /// What SUBJECT may do, like `kubectl auth can-i --list` for anyone: the
    /// rules of every role bound to it or to a group it is always in (a
    /// ServiceAccount is in system:serviceaccounts,
    /// system:serviceaccounts:NAMESPACE and system:authenticated), with
    /// where each applies and the binding and role that grant it.
    Permissions {
        /// serviceaccount:NAMESPACE:NAME, system:serviceaccount:NAMESPACE:NAME,
        /// user:NAME or group:NAME.
        #[arg(value_parser = crate::rbac::parse_subject)]
        subject: kaegis_core::rbac::Subject,
        /// Files or directories holding Roles, ClusterRoles and bindings.
        #[arg(required_unless_present = "cluster", value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        source: RbacSourceArgs,
        /// Only what applies in this namespace (its RoleBindings and the
        /// ClusterRoleBindings).
        #[arg(long, short)]
        namespace: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: AnswerFormat,
    },
}

/// Where `kaegis rbac` reads roles and bindings: PATHs, or `--cluster`.
#[derive(clap::Args, Debug)]
struct RbacSourceArgs {
    /// Read the roles and bindings of a live cluster through its API
    /// instead of PATHs.
    #[arg(long, conflicts_with = "paths")]
    cluster: bool,
    /// With --cluster: kubeconfig [default: $KUBECONFIG, ~/.kube/config, or
    /// in-cluster].
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// With --cluster: kubeconfig context [default: the current one].
    #[arg(long, value_name = "NAME")]
    context: Option<String>,
}

impl RbacSourceArgs {
    fn source<'a>(&'a self, paths: &'a [PathBuf]) -> anyhow::Result<crate::rbac::Source<'a>> {
        if self.cluster {
            Ok(crate::rbac::Source::Cluster {
                kubeconfig: self.kubeconfig.as_deref(),
                context: self.context.as_deref(),
            })
        } else if self.kubeconfig.is_some() || self.context.is_some() {
            // clap's `requires` counts a flag's default (false) as given.
            bail!(
                "--kubeconfig and --context choose the cluster that --cluster reads: add --cluster"
            )
        } else {
            Ok(crate::rbac::Source::Files(paths))
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Grouped by file and object, for people.
    Terminal,
    /// The versioned JSON report (kaegis.dev/report/v1).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// A compact summary for a pull-request comment.
    Markdown,
    /// JUnit XML: a test per object and applicable check.
    Junit,
    /// One self-contained HTML page: scores, charts, a table to filter.
    Html,
    /// wgpolicyk8s.io/v1alpha2 PolicyReports, one per namespace (a JSON List).
    #[value(name = "policyreport")]
    PolicyReport,
    /// kube-bench's JSON (Controls, tests, results by CIS id), for the
    /// dashboards that read it; meant for `kaegis node`.
    #[value(name = "kube-bench-json")]
    KubeBenchJson,
}

/// One `--format`: a format, and the file it goes to (`sarif=out.sarif`),
/// or none for standard output (or `--output`).
#[derive(Clone, Debug)]
struct FormatSpec {
    format: Format,
    file: Option<PathBuf>,
}

fn parse_format_spec(s: &str) -> Result<FormatSpec, String> {
    let (name, file) = match s.split_once('=') {
        Some((n, f)) if !f.is_empty() => (n, Some(PathBuf::from(f))),
        Some((n, _)) => return Err(format!("`{n}=` needs a file name after `=`")),
        None => (s, None),
    };
    let format = Format::from_str(name, true).map_err(|_| {
        format!(
            "unknown format `{name}`; one of: terminal, json, sarif, markdown, html, junit, policyreport"
        )
    })?;
    Ok(FormatSpec { format, file })
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    /// Never fail because of findings (input errors still exit 2).
    Never,
}

impl FailOn {
    /// The lowest severity that fails, or `None` for never.
    pub(crate) fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Low => Some(Severity::Low),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::High => Some(Severity::High),
            FailOn::Critical => Some(Severity::Critical),
            FailOn::Never => None,
        }
    }
}

/// The config file to read: the one given, none with `--no-config`, else
/// the nearest `.kaegis.yaml` upward from `start` (the current directory
/// when there is none, or it is stdin's `-`).
pub(crate) fn config_file(
    given: Option<&Path>,
    no_config: bool,
    start: Option<&Path>,
) -> Option<PathBuf> {
    match (given, no_config) {
        (Some(f), _) => Some(f.to_path_buf()),
        (None, true) => None,
        (None, false) => Config::find(match start {
            Some(p) if p != Path::new("-") => p,
            _ => Path::new("."),
        }),
    }
}

/// The profile when neither the command line nor the config file names one.
pub const DEFAULT_PROFILE: Profile = Profile::Production;

#[derive(clap::Args, Debug)]
struct SelectArgs {
    /// Profile: pss-baseline, pss-restricted, cis, nsa, production, all
    /// [default: production, or the config file's].
    #[arg(long, value_parser = parse_profile)]
    profile: Option<Profile>,
    /// Pod Security Standards version to evaluate: v1.0 … v1.37, or latest
    /// [default: latest, or the config file's].
    #[arg(long, value_parser = parse_pss_version)]
    pss_version: Option<u32>,
    /// Config file [default: the nearest .kaegis.yaml from the first PATH
    /// up to the root].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore any .kaegis.yaml.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Also run this check (slug or code); repeatable.
    #[arg(long, value_name = "CHECK")]
    enable: Vec<String>,
    /// Do not run this check (slug or code); repeatable.
    #[arg(long, value_name = "CHECK")]
    disable: Vec<String>,
    /// The digest to pin an image to, for image-digest fixes
    /// (`--pin nginx:1.25=sha256:…`); repeatable; adds to the config's
    /// `imageDigests`.
    #[arg(long, value_name = "IMAGE=DIGEST", value_parser = parse_pin)]
    pin: Vec<(String, String)>,
}

fn parse_pin(s: &str) -> Result<(String, String), String> {
    let (image, digest) = s
        .rsplit_once('=')
        .filter(|(i, _)| !i.is_empty())
        .ok_or_else(|| format!("`{s}` is not IMAGE=DIGEST"))?;
    if !kaegis_core::settings::is_sha256_digest(digest) {
        return Err(format!(
            "`{digest}` is not a digest: want sha256: and 64 hex digits"
        ));
    }
    Ok((image.to_owned(), digest.to_owned()))
}

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
struct AdmissionArgs {
    #[command(subcommand)]
    command: Option<AdmissionCommand>,
    /// HTTPS address for /validate and /mutate (e.g. 0.0.0.0:8443).
    #[arg(long, value_name = "ADDR", required = false)]
    listen: Option<std::net::SocketAddr>,
    /// PEM certificate chain; re-read when it changes.
    #[arg(long, value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key; re-read when it changes.
    #[arg(long, value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Plain-HTTP address for /healthz, /readyz and /metrics (e.g. 0.0.0.0:9090).
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// Config file (its `admission:` section, parameters, exemptions, rules)
    /// [default: enforce pss-baseline, warn pss-restricted].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Pod Security Standards version: v1.0 … v1.37, or latest.
    #[arg(long, value_parser = parse_pss_version)]
    pss_version: Option<u32>,
    /// Seconds to receive and answer one request (keep it below the
    /// webhook's timeoutSeconds).
    #[arg(long, value_name = "SECONDS", default_value_t = 4)]
    request_timeout: u64,
    /// Kubeconfig for the watch cache [default: $KUBECONFIG, ~/.kube/config,
    /// or the in-cluster service account].
    #[arg(long, value_name = "FILE", conflicts_with = "no_cluster")]
    kubeconfig: Option<PathBuf>,
    /// Run without the cluster: namespace labels unknown, cross-object
    /// checks silent.
    #[arg(long)]
    no_cluster: bool,
}

#[derive(Subcommand, Debug)]
enum AdmissionCommand {
    /// Write ca.crt, tls.crt and tls.key for the webhook and print the
    /// caBundle for its webhook configurations.
    Certs {
        /// Folder to write to.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// A DNS name the API server calls the webhook by; repeatable
        /// (kaegis-admission.kaegis-system.svc).
        #[arg(long, value_name = "NAME")]
        dns: Vec<String>,
        /// An IP address the API server calls the webhook by; repeatable.
        #[arg(long, value_name = "IP")]
        ip: Vec<std::net::IpAddr>,
        /// Days the certificates are valid.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
}

#[derive(clap::Args, Debug)]
struct ClusterArgs {
    #[command(flatten)]
    select: SelectArgs,
    /// Kubeconfig [default: $KUBECONFIG, ~/.kube/config, or in-cluster].
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context [default: the current one].
    #[arg(long, value_name = "NAME")]
    context: Option<String>,
    /// Audit a dump (`kubectl get … -A -o yaml`) instead of a live cluster;
    /// repeatable.
    #[arg(long, value_name = "FILE")]
    from: Vec<PathBuf>,
    /// Output format(s), as for scan.
    #[arg(long, short, value_name = "FORMAT[=FILE]", default_value = "terminal", value_parser = parse_format_spec)]
    format: Vec<FormatSpec>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value = "low")]
    fail_on: FailOn,
    /// No notes on standard error.
    #[arg(long, short)]
    quiet: bool,
    /// Write the findings to the cluster as PolicyReports (one per
    /// namespace) and a ClusterPolicyReport, by server-side apply, and
    /// delete the reports of earlier runs that no longer apply. Needs the
    /// wgpolicyk8s.io CRDs.
    #[arg(long, conflicts_with = "from")]
    write_reports: bool,
    /// Do not repeat read requests without credentials to see what an
    /// anonymous client can read (they show in the API server's audit log
    /// as refused requests from system:anonymous).
    #[arg(long, conflicts_with = "from")]
    no_anonymous_probe: bool,
}

#[derive(clap::Args, Debug)]
struct NodeArgs {
    #[command(flatten)]
    select: SelectArgs,
    /// The node's root folder: every path (/proc, /etc/kubernetes…) is read
    /// under it, e.g. the host's / mounted at /host in a pod.
    #[arg(long, value_name = "DIR", default_value = "/")]
    root: PathBuf,
    /// Output format(s), as for scan.
    #[arg(long, short, value_name = "FORMAT[=FILE]", default_value = "terminal", value_parser = parse_format_spec)]
    format: Vec<FormatSpec>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value = "low")]
    fail_on: FailOn,
    /// No notes on standard error.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct FixArgs {
    /// Files or directories to fix.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    select: SelectArgs,
    /// Print the changes as a unified diff instead of writing them.
    #[arg(long)]
    dry_run: bool,
    /// Leave out paths matching this gitignore-style glob; repeatable.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    select: SelectArgs,
    /// Output format: terminal, json, sarif, markdown, html, junit, policyreport;
    /// FORMAT=FILE writes that format to FILE. Repeatable: several formats
    /// in one scan (`--format sarif=out.sarif --format markdown=pr.md`).
    #[arg(long, short, value_name = "FORMAT[=FILE]", default_value = "terminal", value_parser = parse_format_spec)]
    format: Vec<FormatSpec>,
    /// Write the report (the --format without a file of its own) to FILE
    /// instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Report only findings that are not in this earlier JSON report
    /// (matched on check, object and path, not on lines).
    #[arg(long, value_name = "REPORT.json")]
    baseline: Option<PathBuf>,
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
    /// The reference documentation (docs/checks.md is generated with it).
    Markdown,
    /// The CIS Kubernetes Benchmark coverage table, sections 1 to 4
    /// (docs/cis-coverage.md).
    CisCoverage,
}

/// How `kaegis rbac` answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum AnswerFormat {
    /// For people.
    Table,
    /// For programs.
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

/// A selection resolved from the command line and the config file.
pub struct Resolved {
    /// The engine over the selected checks.
    pub engine: Engine,
    /// The profile.
    pub profile: Profile,
    /// The config file applied.
    pub config: Option<PathBuf>,
}

impl SelectArgs {
    /// Loads the config (given, or found upward from `start`), merges it
    /// under the command line, and builds the engine over the catalog plus
    /// the config's custom rules.
    fn resolve(&self, start: Option<&Path>) -> anyhow::Result<Resolved> {
        let p = self.prepare(start)?;
        // A selection error names the config file when there is one.
        let engine = match &p.file {
            Some(f) => Engine::new(&p.catalog, &p.selection)
                .with_context(|| format!("in {}", f.display()))?,
            None => Engine::new(&p.catalog, &p.selection)?,
        };
        Ok(Resolved {
            engine,
            profile: p.selection.profile,
            config: p.file,
        })
    }

    /// The catalog (plus the config's custom rules), the selection and the
    /// config's admission section, before any engine is built.
    fn prepare(&self, start: Option<&Path>) -> anyhow::Result<Prepared> {
        let file = config_file(self.config.as_deref(), self.no_config, start);
        let mut sel = Selection {
            profile: self.profile.unwrap_or(DEFAULT_PROFILE),
            pss_minor: self.pss_version.unwrap_or(LATEST_PSS_MINOR),
            enable: self.enable.clone(),
            disable: self.disable.clone(),
            ..Selection::default()
        };
        let mut catalog: Vec<&'static dyn Check> = kaegis_checks::CATALOG.clone();
        let mut admission = kaegis_policy::AdmissionSpec::default();
        if let Some(f) = &file {
            let cfg = Config::load(f)?;
            for (pos, rule) in &cfg.rules {
                if let Some(c) = kaegis_checks::find(&rule.code) {
                    bail!(
                        "{}:{pos}: rule code `{}` is already the code of {} {}; pick another",
                        f.display(),
                        rule.code,
                        c.meta().code,
                        c.meta().slug
                    );
                }
                if let Some(c) = kaegis_checks::find(&rule.slug) {
                    bail!(
                        "{}:{pos}: rule id `{}` is already the slug of {} {}; pick another",
                        f.display(),
                        rule.slug,
                        c.meta().code,
                        c.meta().slug
                    );
                }
            }
            cfg.apply(&mut sel, self.profile.is_some(), self.pss_version.is_some());
            admission = cfg.admission.clone();
            for (_, rule) in cfg.rules {
                catalog.push(rule.into_check());
            }
        }
        sel.settings.image_digests.extend(self.pin.iter().cloned());
        Ok(Prepared {
            catalog,
            selection: sel,
            admission,
            file,
        })
    }
}

/// A selection before its engine is built.
struct Prepared {
    catalog: Vec<&'static dyn Check>,
    selection: Selection,
    admission: kaegis_policy::AdmissionSpec,
    file: Option<PathBuf>,
}

/// Runs a parsed command line; the exit code follows DESIGN.md
/// (0 clean, 1 findings, 2 usage or input error).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Fix(args) => crate::fix::run(
            &args
                .select
                .resolve(args.paths.first().map(PathBuf::as_path))?,
            &args.paths,
            &args.exclude,
            args.dry_run,
        ),
        Command::Checks(args) => run_checks(args),
        Command::Admission(args) => run_admission(args),
        Command::Cluster(args) => run_cluster(args),
        Command::Node(args) => run_node(args),
        Command::Detect(args) => crate::detect::run(args),
        Command::Explain { check, config } => run_explain(&check, config),
        Command::Rbac(RbacCommand::WhoCan {
            verb,
            resource,
            paths,
            source,
            namespace,
            format,
        }) => crate::rbac::who_can(
            &verb,
            &resource,
            namespace.as_deref(),
            &source.source(&paths)?,
            format == AnswerFormat::Json,
        ),
        Command::Rbac(RbacCommand::Permissions {
            subject,
            paths,
            source,
            namespace,
            format,
        }) => crate::rbac::permissions(
            &subject,
            namespace.as_deref(),
            &source.source(&paths)?,
            format == AnswerFormat::Json,
        ),
    }
}

/// Refuses, before any work, a command line that sends two formats to
/// standard output (or `--output`).
fn one_unnamed_format(formats: &[FormatSpec]) -> anyhow::Result<()> {
    if formats.iter().filter(|f| f.file.is_none()).count() > 1 {
        bail!(
            "only one --format can go to standard output (or --output): give the others a file, e.g. --format sarif=report.sarif"
        );
    }
    Ok(())
}

fn run_scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    one_unnamed_format(&args.format)?;
    let baseline = match &args.baseline {
        Some(p) => Some(kaegis_report::baseline::Baseline::load(p)?),
        None => None,
    };
    let resolved = args
        .select
        .resolve(args.paths.first().map(PathBuf::as_path))?;
    let engine = resolved.engine;
    let mut report = scan::scan(
        &engine,
        &args.paths,
        &args.exclude,
        resolved.profile.as_str(),
    );
    report.config = resolved.config;
    if args.format.iter().any(|f| f.format == Format::Sarif) {
        crate::fix::attach_replacements(&mut report.findings);
    }
    if let Some(b) = &baseline {
        report.baselined = b.filter(&mut report.findings);
    }
    emit(
        &report,
        &args.format,
        args.output.as_ref(),
        args.fail_on,
        args.quiet,
    )
}

/// Prints the diagnostics, writes every requested format, and returns the
/// exit code: 2 on input errors, 1 when a finding reaches `fail_on`.
fn emit(
    report: &kaegis_report::Report,
    formats: &[FormatSpec],
    output: Option<&PathBuf>,
    fail_on: FailOn,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let mut stderr = anstream::stderr();
    for d in &report.diagnostics {
        match d.level {
            kaegis_core::DiagnosticLevel::Error => writeln!(stderr, "error: {d}")?,
            kaegis_core::DiagnosticLevel::Note if !quiet => writeln!(stderr, "note: {d}")?,
            kaegis_core::DiagnosticLevel::Note => {}
        }
    }
    for spec in formats {
        let mut buf = Vec::new();
        match spec.format {
            Format::Terminal => kaegis_report::terminal::write(report, &mut buf)?,
            Format::Json => kaegis_report::json::write(report, &mut buf)?,
            Format::Sarif => kaegis_report::sarif::write(report, &mut buf)?,
            Format::Markdown => kaegis_report::markdown::write(report, &mut buf)?,
            Format::Junit => kaegis_report::junit::write(report, &mut buf)?,
            Format::Html => kaegis_report::html::write(report, &mut buf)?,
            Format::PolicyReport => kaegis_report::policyreport::write(report, &mut buf)?,
            Format::KubeBenchJson => {
                kaegis_report::kube_bench::write(report, &cis_benchmark(), &mut buf)?
            }
        }
        match spec.file.as_ref().or(output) {
            Some(path) => {
                let bytes = if spec.format == Format::Terminal {
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
    }
    if report.input_errors() > 0 {
        return Ok(ExitCode::from(2));
    }
    Ok(match fail_on.threshold() {
        Some(t) if report.fails(t) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

fn run_cluster(args: ClusterArgs) -> anyhow::Result<ExitCode> {
    one_unnamed_format(&args.format)?;
    let resolved = args
        .select
        .resolve(args.from.first().map(PathBuf::as_path))?;
    let profile = resolved.profile.as_str();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut client = None;
    let (objects, notes) = if !args.from.is_empty() {
        // A dump (`kubectl get … -A -o yaml`): the same audit, offline.
        let (inputs, mut notes) = kaegis_inputs::discover(&args.from, &[]);
        let mut objects = Vec::new();
        for input in inputs {
            if let kaegis_inputs::Input::File(p) = input {
                let bytes =
                    std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?;
                let loaded = kaegis_inputs::load(
                    std::sync::Arc::from(p.as_path()),
                    &bytes,
                    kaegis_inputs::Syntax::for_path(&p),
                );
                notes.extend(loaded.diagnostics);
                objects.extend(loaded.objects);
            }
        }
        (objects, notes)
    } else {
        runtime.block_on(async {
            let config = cluster_config(
                args.kubeconfig.as_deref(),
                args.context.as_deref(),
                "no cluster to audit (set KUBECONFIG, --kubeconfig, run in a pod, or audit a dump with --from)",
            )
            .await?;
            let c = kube::Client::try_from(config.clone())?;
            let mut listing = kaegis_cluster::fetch::list_all(&c).await;
            if !args.no_anonymous_probe {
                match kaegis_cluster::anonymous::probe(&config).await {
                    Ok(record) => listing.objects.push(record),
                    Err(why) => listing.notes.push(kaegis_cluster::fetch::note(format!(
                        "not audited: anonymous access: {why}"
                    ))),
                }
            }
            client = Some(c);
            anyhow::Ok((listing.objects, listing.notes))
        })?
    };
    let mut report = kaegis_cluster::audit::audit(&resolved.engine, &objects, notes, profile);
    // Many small allocations, and the process ends after the report: leave
    // them to the operating system (a tenth of a 10,000-object audit went
    // to freeing them one by one).
    std::mem::forget(objects);
    report.config = resolved.config;
    let mut write_failed = false;
    if let (true, Some(client)) = (args.write_reports, &client) {
        match runtime.block_on(kaegis_cluster::reports::write(client, &report)) {
            Ok(w) => {
                if !args.quiet {
                    eprintln!(
                        "note: wrote {} PolicyReport(s) and {} ClusterPolicyReport(s); deleted {} stale report(s){}",
                        w.policy_reports.len(),
                        w.cluster_policy_reports.len(),
                        w.deleted.len(),
                        if w.omitted > 0 {
                            format!(
                                "; {} result(s) left out of reports that would exceed etcd's object size (least severe first)",
                                w.omitted
                            )
                        } else {
                            String::new()
                        }
                    );
                }
            }
            Err(e) => {
                eprintln!("error: reports not written: {e}");
                write_failed = true;
            }
        }
    }
    let code = emit(
        &report,
        &args.format,
        args.output.as_ref(),
        args.fail_on,
        args.quiet,
    )?;
    Ok(if write_failed {
        ExitCode::from(2)
    } else {
        code
    })
}

/// kaegis's table of the CIS Kubernetes Benchmark, for the kube-bench
/// report: each recommendation with the catalog's checks that implement it.
fn cis_benchmark() -> kaegis_report::kube_bench::Benchmark<'static> {
    use kaegis_checks::cis;
    kaegis_report::kube_bench::Benchmark {
        version: "cis-1.12",
        recommendations: cis::RECOMMENDATIONS
            .iter()
            .map(|r| kaegis_report::kube_bench::Recommendation {
                id: r.id,
                automated: r.automated,
                summary: r.summary,
                not_checked: r.not_checked,
                implemented_by: cis::checks_for(&kaegis_checks::CATALOG, r.id)
                    .iter()
                    .map(|c| format!("{} {}", c.meta().code, c.meta().slug))
                    .collect(),
            })
            .collect(),
    }
}

fn run_node(args: NodeArgs) -> anyhow::Result<ExitCode> {
    one_unnamed_format(&args.format)?;
    if !args.root.is_dir() {
        bail!("--root {}: not a folder", args.root.display());
    }
    let resolved = args.select.resolve(None)?;
    let collected = kaegis_node::collect(&args.root);
    if !collected.found_anything {
        bail!(
            "nothing to audit under {}: no Kubernetes component (no process in {}, no static pod manifest) and none of the files a node has; run on a node, or pass --root with the node's filesystem (and, in a pod, hostPID for its processes)",
            args.root.display(),
            args.root.join("proc").display()
        );
    }
    // A node's objects are not a cluster: the inventory is what they say,
    // not complete.
    let inventory = kaegis_core::Inventory::build(&collected.objects);
    let mut report = kaegis_cluster::audit::audit_with(
        &resolved.engine,
        &collected.objects,
        &inventory,
        collected.diagnostics,
        resolved.profile.as_str(),
    );
    report.config = resolved.config;
    // The node's files as read under --root (named as on the node): the
    // source lines of findings in manifests and policy files, and the HTML
    // report's excerpts, come from them, not from the auditing machine's
    // own files of the same names.
    report.texts = collected.texts.into_iter().collect();
    // The audit sorted the findings by file: one run per file.
    for run in report
        .findings
        .chunk_by_mut(|a, b| a.location.file == b.location.file)
    {
        if let Some(text) = run[0]
            .location
            .file
            .as_ref()
            .and_then(|f| report.texts.get(f))
        {
            scan::add_snippets(run, text);
        }
    }
    emit(
        &report,
        &args.format,
        args.output.as_ref(),
        args.fail_on,
        args.quiet,
    )
}

/// A client configuration from `--kubeconfig` (and `--context`), else the
/// usual places (`$KUBECONFIG`, `~/.kube/config`, the in-cluster account);
/// `missing` says what to do when there is none.
async fn kube_config(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    missing: &'static str,
) -> anyhow::Result<kube::Config> {
    let options = kube::config::KubeConfigOptions {
        context: context.map(str::to_owned),
        ..Default::default()
    };
    Ok(match kubeconfig {
        Some(path) => {
            let kc = kube::config::Kubeconfig::read_from(path)
                .with_context(|| format!("cannot read the kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .with_context(|| format!("kubeconfig {}", path.display()))?
        }
        None if context.is_some() => kube::Config::from_kubeconfig(&options)
            .await
            .context("no kubeconfig with that context")?,
        None => kube::Config::infer().await.context(missing)?,
    })
}

/// The client configuration of an audit or an RBAC question: every request
/// bounded (a watch-based webhook keeps kube-rs's defaults, whose streams
/// stay open for minutes); `missing` says what to do when there is no
/// cluster.
async fn cluster_config(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    missing: &'static str,
) -> anyhow::Result<kube::Config> {
    let mut config = kube_config(kubeconfig, context, missing).await?;
    config.connect_timeout = Some(std::time::Duration::from_secs(10));
    config.read_timeout = Some(std::time::Duration::from_secs(60));
    Ok(config)
}

/// A client from [`cluster_config`].
pub(crate) async fn cluster_client(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
    missing: &'static str,
) -> anyhow::Result<kube::Client> {
    let config = cluster_config(kubeconfig, context, missing).await?;
    Ok(kube::Client::try_from(config)?)
}

fn run_checks(args: ChecksArgs) -> anyhow::Result<ExitCode> {
    let resolved = args.select.resolve(None)?;
    let engine = resolved.engine;
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
                        "scope": m.scope,
                        "doc": m.doc_markdown(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        ListFormat::Markdown => write_markdown(&mut out, &kaegis_checks::CATALOG)?,
        ListFormat::CisCoverage => write!(
            out,
            "{}",
            kaegis_checks::cis::coverage_markdown(&kaegis_checks::CATALOG)
        )?,
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
                resolved.profile.as_str(),
                engine.pss_minor()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The check reference: an index, then each check's metadata and its
/// documentation, generated from the doc comments (never written twice).
fn write_markdown(out: &mut dyn Write, checks: &[&'static dyn Check]) -> std::io::Result<()> {
    writeln!(out, "# The kaegis check catalog")?;
    writeln!(out)?;
    writeln!(
        out,
        "Every check of the catalog (a profile selects among them; at a Pod Security Standards version a restricted control replaces its baseline twin). Generated by `kaegis checks --format markdown`; do not edit by hand."
    )?;
    writeln!(out)?;
    writeln!(out, "| code | slug | severity | area | profiles |")?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for c in checks {
        let m = c.meta();
        let profiles: Vec<&str> = m.profiles.iter().map(|p| p.as_str()).collect();
        writeln!(
            out,
            "| {} | [`{}`](#{}) | {} | {} | {} |",
            m.code,
            m.slug,
            m.slug,
            m.severity,
            m.area.as_str(),
            if profiles.is_empty() {
                "all only".to_owned()
            } else {
                profiles.join(", ")
            }
        )?;
    }
    for c in checks {
        let m = c.meta();
        writeln!(out)?;
        writeln!(out, "## {}\n", m.slug)?;
        writeln!(
            out,
            "**{}** · {} · {} · {}",
            m.code,
            m.title,
            m.severity,
            m.area.as_str()
        )?;
        writeln!(out)?;
        // The check's own headings move down one level under its section.
        for line in m.doc_markdown().lines() {
            match line.strip_prefix("## ") {
                Some(h) => writeln!(out, "### {h}")?,
                None => writeln!(out, "{line}")?,
            }
        }
        writeln!(out)?;
        writeln!(out, "### References")?;
        writeln!(out)?;
        for r in m.references {
            match r.url {
                Some(u) => writeln!(out, "- {} {} <{u}>", r.source, r.id)?,
                None => writeln!(out, "- {} {}", r.source, r.id)?,
            }
        }
    }
    Ok(())
}

fn run_explain(name: &str, config: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    if let Some(rule) = kaegis_detect::rules::find(name) {
        return crate::detect::explain(rule.as_ref());
    }
    let check =
        match kaegis_checks::find(name) {
            Some(c) => c,
            None => {
                // Maybe a custom rule: they live in the config file.
                let select = SelectArgs {
                    profile: Some(Profile::All),
                    pss_version: None,
                    config,
                    no_config: false,
                    enable: Vec::new(),
                    disable: Vec::new(),
                    pin: Vec::new(),
                };
                let resolved = select.resolve(None)?;
                let found =
                    resolved.engine.checks().iter().copied().find(|c| {
                        c.meta().slug == name || c.meta().code.eq_ignore_ascii_case(name)
                    });
                match found {
                    Some(c) => c,
                    None => bail!(
                        "no check or custom rule is called `{name}`: `kaegis checks` lists them"
                    ),
                }
            }
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
    let profiles: Vec<&str> = m
        .profiles
        .iter()
        .filter(|p| **p != Profile::All)
        .map(|p| p.as_str())
        .chain(["all"])
        .collect();
    writeln!(out, "profiles: {}", profiles.join(", "))?;
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

fn run_admission(args: AdmissionArgs) -> anyhow::Result<ExitCode> {
    if let Some(AdmissionCommand::Certs { out, dns, ip, days }) = args.command {
        let w = kaegis_admission::certs::write(&out, &dns, &ip, days)?;
        eprintln!(
            "wrote {}, {} and {}",
            w.ca.display(),
            w.cert.display(),
            w.key.display()
        );
        println!("{}", w.ca_bundle);
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(listen), Some(tls_cert), Some(tls_key)) = (args.listen, args.tls_cert, args.tls_key)
    else {
        bail!(
            "kaegis admission needs --listen, --tls-cert and --tls-key (or the `certs` subcommand)"
        );
    };
    let select = SelectArgs {
        profile: None,
        pss_version: args.pss_version,
        config: args.config,
        no_config: false,
        enable: Vec::new(),
        disable: Vec::new(),
        pin: Vec::new(),
    };
    // No upward search: a webhook reads the config it is given, or none.
    let prepared = if select.config.is_some() {
        select.prepare(None)?
    } else {
        SelectArgs {
            no_config: true,
            ..select
        }
        .prepare(None)?
    };
    let admission = kaegis_admission::Admission::new(
        &prepared.catalog,
        &prepared.selection,
        prepared.admission,
    )
    .map_err(|e| match &prepared.file {
        Some(f) => anyhow::anyhow!("in {}: {e}", f.display()),
        None => anyhow::anyhow!("{e}"),
    })?;
    let opts = kaegis_admission::server::Options {
        listen,
        metrics_listen: args.metrics_listen,
        tls_cert,
        tls_key,
        limits: kaegis_admission::server::Limits {
            request_timeout: std::time::Duration::from_secs(args.request_timeout.max(1)),
            ..Default::default()
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let no_cluster = args.no_cluster;
    let kubeconfig = args.kubeconfig;
    runtime.block_on(async move {
        let views: std::sync::Arc<dyn kaegis_admission::server::Views> = if no_cluster {
            std::sync::Arc::new(kaegis_admission::server::NoCluster)
        } else {
            let config = kube_config(
                kubeconfig.as_deref(),
                None,
                "no cluster to watch (set KUBECONFIG, --kubeconfig, run in a pod, or pass --no-cluster)",
            )
            .await?;
            let client = kube::Client::try_from(config)?;
            kaegis_admission::cache::ClusterCache::start(client)
        };
        serve(opts, admission, views).await
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    opts: kaegis_admission::server::Options,
    admission: kaegis_admission::Admission,
    views: std::sync::Arc<dyn kaegis_admission::server::Views>,
) -> anyhow::Result<()> {
    kaegis_admission::server::run(
        opts,
        std::sync::Arc::new(admission),
        views,
        |b| {
            eprintln!(
                "kaegis admission: serving AdmissionReview on https://{} (/validate, /mutate){}",
                b.webhook,
                b.metrics
                    .map(|m| format!(", health and metrics on http://{m}"))
                    .unwrap_or_default()
            );
        },
        None,
    )
    .await
}
