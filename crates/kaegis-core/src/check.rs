//! The check trait and the metadata every check declares.

use crate::finding::{Severity, Violation};
use crate::inventory::Inventory;
use crate::object::Object;
use crate::settings::Settings;

/// The practice area a check belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// The Pod Security Standards and container security contexts.
    PodSecurity,
    /// Images and registries.
    Images,
    /// Secrets handling.
    Secrets,
    /// Role-based access control.
    Rbac,
    /// Network isolation: NetworkPolicies, Services, Ingresses, the mesh.
    Network,
    /// Namespaces, quotas and limits.
    Namespaces,
    /// Probes, resources, replicas, rollouts.
    Reliability,
    /// Volumes, persistent volumes and storage classes.
    Storage,
    /// Admission control: webhook configurations.
    Admission,
    /// The manifests themselves and kaegis' own waivers.
    Policy,
    /// The cluster as a whole: its version, what only a live cluster tells.
    Cluster,
    /// The control plane's configuration on its node: kube-apiserver,
    /// kube-controller-manager, kube-scheduler, and their files.
    ControlPlane,
    /// etcd's configuration and data directory.
    Etcd,
    /// The kubelet's (and kube-proxy's) configuration and files.
    Kubelet,
}

impl Area {
    /// The kebab-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Area::PodSecurity => "pod-security",
            Area::Images => "images",
            Area::Secrets => "secrets",
            Area::Rbac => "rbac",
            Area::Network => "network",
            Area::Namespaces => "namespaces",
            Area::Reliability => "reliability",
            Area::Storage => "storage",
            Area::Admission => "admission",
            Area::Policy => "policy",
            Area::Cluster => "cluster",
            Area::ControlPlane => "control-plane",
            Area::Etcd => "etcd",
            Area::Kubelet => "kubelet",
        }
    }
}

/// A named selection of checks (`--profile`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Pod Security Standards, baseline level.
    PssBaseline,
    /// Pod Security Standards, restricted level (includes baseline).
    PssRestricted,
    /// CIS Kubernetes Benchmark.
    Cis,
    /// NSA/CISA Kubernetes Hardening Guide.
    Nsa,
    /// Production readiness.
    Production,
    /// Every check.
    All,
}

impl Profile {
    /// Every profile, in the order `--help` lists them.
    pub const ALL: [Profile; 6] = [
        Profile::PssBaseline,
        Profile::PssRestricted,
        Profile::Cis,
        Profile::Nsa,
        Profile::Production,
        Profile::All,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::PssBaseline => "pss-baseline",
            Profile::PssRestricted => "pss-restricted",
            Profile::Cis => "cis",
            Profile::Nsa => "nsa",
            Profile::Production => "production",
            Profile::All => "all",
        }
    }

    /// Parses a command-line name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PssLevel {
    /// The baseline level: prevents known privilege escalations.
    Baseline,
    /// The restricted level: current pod hardening best practice.
    Restricted,
}

/// How a check maps to a Pod Security Standards control.
#[derive(Clone, Copy, Debug)]
pub struct PssControl {
    /// The control's name in the standard (e.g. `Privileged Containers`).
    pub control: &'static str,
    /// The level that first includes it.
    pub level: PssLevel,
    /// The first policy version (`1.<since>`) that has the control.
    pub since: u32,
    /// Checks (by slug) this one replaces, and from which minor version, as
    /// the restricted seccomp control replaces the baseline one from v1.19.
    pub overrides: &'static [(&'static str, u32)],
}

/// A source a check enforces.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Reference {
    /// Which document: `PSS`, `CIS`, `NSA`, `MITRE`, `K8S`.
    pub source: &'static str,
    /// The id or section in it.
    pub id: &'static str,
    /// A link, where one is stable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'static str>,
}

/// What a check reads besides its object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// The object alone: the check runs as soon as the object is parsed.
    Object,
    /// The object and the [`Inventory`] of the other objects in the scan
    /// (namespaces, NetworkPolicies, RBAC, ServiceAccounts…): the check runs
    /// once every input is read. When the inventory does not cover what it
    /// needs, the check says nothing rather than guess.
    Inventory,
}

/// Everything about a check except its logic. `doc` is Markdown with the
/// sections `## What`, `## Why` and `## How to fix`, taken from the check's
/// doc comment so that documentation is written once.
#[derive(Debug)]
pub struct CheckMeta {
    /// Stable code: `KG` and three digits, grouped by area.
    pub code: &'static str,
    /// Stable kebab-case name.
    pub slug: &'static str,
    /// One line saying what the check wants.
    pub title: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Practice area.
    pub area: Area,
    /// Profiles that include it (besides `all`).
    pub profiles: &'static [Profile],
    /// Where the practice comes from.
    pub references: &'static [Reference],
    /// The Pod Security Standards control, for PSS checks.
    pub pss: Option<PssControl>,
    /// Markdown documentation: What / Why / How to fix.
    pub doc: &'static str,
    /// What it reads besides its object.
    pub scope: Scope,
    /// The kinds it looks at; empty: any. The engine runs the check only on
    /// objects of these kinds (and JUnit reports count one test per object
    /// and applicable check); for inventory-scope checks it also decides
    /// which objects a scan keeps for the second pass.
    pub kinds: &'static [&'static str],
}

/// The kinds that carry a pod template (see [`crate::PodSpecView`]).
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
];

/// The RBAC kinds.
pub const RBAC_KINDS: &[&str] = &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

impl CheckMeta {
    /// True when the check looks at objects of `kind` (its `kinds`, or any
    /// kind when it declares none).
    pub fn applies_to(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }

    /// Defaults for the optional fields of a declaration (`pss: None`,
    /// `scope: Object`); the others are placeholders every check overrides.
    pub const BASE: CheckMeta = CheckMeta {
        code: "",
        slug: "",
        title: "",
        severity: Severity::Medium,
        area: Area::Policy,
        profiles: &[],
        references: &[],
        pss: None,
        doc: "",
        scope: Scope::Object,
        kinds: &[],
    };
}

impl CheckMeta {
    /// True when the check implements CIS Kubernetes Benchmark
    /// recommendation `id` (one of its references is `CIS id`).
    pub fn implements_cis(&self, id: &str) -> bool {
        self.references
            .iter()
            .any(|r| r.source == "CIS" && r.id == id)
    }

    /// The documentation as Markdown (the doc comment, with the one space
    /// after each `///` removed).
    pub fn doc_markdown(&self) -> String {
        doc_markdown(self.doc)
    }

    /// One section of the documentation (`What`, `Why`, `How to fix`),
    /// without its heading.
    pub fn doc_section(&self, heading: &str) -> Option<String> {
        doc_section(self.doc, heading)
    }

    /// True when the profile includes this check.
    pub fn in_profile(&self, profile: Profile) -> bool {
        profile == Profile::All || self.profiles.contains(&profile)
    }
}

/// A doc comment as Markdown: the one space after each `///` removed.
/// Checks and detection rules are documented the same way.
pub fn doc_markdown(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    for line in doc.lines() {
        out.push_str(line.strip_prefix(' ').unwrap_or(line));
        out.push('\n');
    }
    out.trim().to_owned()
}

/// One `## heading` section of a doc comment, without its heading.
pub fn doc_section(doc: &str, heading: &str) -> Option<String> {
    let doc = doc_markdown(doc);
    let marker = format!("## {heading}\n");
    let start = doc.find(&marker)? + marker.len();
    let rest = &doc[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(rest[..end].trim().to_owned())
}

/// What a check may read besides its object.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The Pod Security Standards version to evaluate (`1.<minor>`).
    pub pss_minor: u32,
    /// Check parameters and the names of custom rules.
    pub settings: &'a Settings,
    /// The other objects of the scan, for [`Scope::Inventory`] checks;
    /// `None` for object-scope checks.
    pub inventory: Option<&'a Inventory>,
}

/// The newest Pod Security Standards version kaegis knows (`v1.37`).
pub const LATEST_PSS_MINOR: u32 = 37;

/// A check. Implementations are unit structs, one per file, registered in the
/// catalog; they never know whether the object came from a file, the API
/// server or an admission request.
pub trait Check: Send + Sync + 'static {
    /// The check's identity and documentation.
    fn meta(&self) -> &'static CheckMeta;

    /// Reports every violation in `obj`.
    fn check(&self, obj: &Object, ctx: &Context<'_>, out: &mut Vec<Violation>);
}
