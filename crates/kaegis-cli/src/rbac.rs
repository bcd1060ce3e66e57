//! `kaegis rbac who-can VERB RESOURCE PATH…` and `kaegis rbac permissions
//! SUBJECT PATH…`: answers from the same RBAC model the checks use (the
//! roles and bindings of manifests or of a live cluster, plus Kubernetes'
//! default user-facing ClusterRoles when they are not there).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::bail;
use kaegis_core::rbac::{EffectiveRule, RbacModel, Subject};
use kaegis_core::{DiagnosticLevel, Inventory, Object};
use kaegis_inputs::{Input, Syntax, discover, load};

/// Where the roles and bindings come from.
pub enum Source<'a> {
    /// Manifests: files or directories.
    Files(&'a [PathBuf]),
    /// A live cluster, through its API.
    Cluster {
        /// `--kubeconfig`.
        kubeconfig: Option<&'a Path>,
        /// `--context`.
        context: Option<&'a str>,
    },
}

impl Source<'_> {
    /// "the manifests" or "the cluster", for messages.
    fn name(&self) -> &'static str {
        match self {
            Source::Files(_) => "the manifests",
            Source::Cluster { .. } => "the cluster",
        }
    }

    /// The RBAC model of the source. A cluster whose RBAC objects cannot
    /// all be listed is an error: the answer would be silently incomplete.
    fn model(&self) -> anyhow::Result<RbacModel> {
        let objects = match self {
            Source::Files(paths) => read_objects(paths)?,
            Source::Cluster {
                kubeconfig,
                context,
            } => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                let listing = runtime.block_on(async {
                    let client = crate::cli::cluster_client(
                        *kubeconfig,
                        *context,
                        "no cluster to read (set KUBECONFIG, --kubeconfig, run in a pod, or give manifests as PATH instead of --cluster)",
                    )
                    .await?;
                    anyhow::Ok(kaegis_cluster::fetch::list_rbac(&client).await)
                })?;
                if !listing.notes.is_empty() {
                    let reasons: Vec<String> =
                        listing.notes.iter().map(|n| n.message.clone()).collect();
                    bail!(
                        "cannot read the cluster's RBAC, so the answer would be incomplete: {}",
                        reasons.join("; ")
                    );
                }
                listing.objects
            }
        };
        Ok(Inventory::build(&objects).rbac)
    }
}

/// A subject as the command line names it: `serviceaccount:NS:NAME`,
/// `system:serviceaccount:NS:NAME`, `user:NAME` or `group:NAME`.
pub fn parse_subject(text: &str) -> Result<Subject, String> {
    let bad = || {
        format!(
            "`{text}` is not a subject: write serviceaccount:NAMESPACE:NAME, system:serviceaccount:NAMESPACE:NAME, user:NAME or group:NAME"
        )
    };
    let account = |rest: &str| {
        kaegis_core::rbac::service_account_of_user(&format!(
            "{}{rest}",
            kaegis_core::rbac::SERVICE_ACCOUNT_USER_PREFIX
        ))
        .map(|(ns, n)| Subject::ServiceAccount(ns.to_owned(), n.to_owned()))
    };
    let subject = if let Some(rest) = text.strip_prefix("serviceaccount:") {
        account(rest)
    } else if let Some(rest) = text.strip_prefix(kaegis_core::rbac::SERVICE_ACCOUNT_USER_PREFIX) {
        account(rest)
    } else if let Some(name) = text.strip_prefix("user:") {
        (!name.is_empty()).then(|| Subject::User(name.to_owned()).canonical())
    } else if let Some(name) = text.strip_prefix("group:") {
        (!name.is_empty()).then(|| Subject::Group(name.to_owned()))
    } else {
        None
    };
    subject.ok_or_else(bad)
}

/// A resource as kubectl names it: `pods`, `pods/exec`,
/// `deployments.apps`, `deployments.apps/scale`.
pub fn parse_resource(text: &str) -> (String, String) {
    let (main, sub) = match text.split_once('/') {
        Some((m, s)) => (m, Some(s)),
        None => (text, None),
    };
    let (resource, group) = match main.split_once('.') {
        Some((r, g)) => (r, g),
        None => (main, ""),
    };
    let resource = match sub {
        Some(s) => format!("{resource}/{s}"),
        None => resource.to_owned(),
    };
    (resource, group.to_owned())
}

/// Reads every object under `paths` (no checks run).
fn read_objects(paths: &[PathBuf]) -> anyhow::Result<Vec<Object>> {
    let (inputs, diagnostics) = discover(paths, &[]);
    let mut errors = diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .map(|d| d.to_string())
        .collect::<Vec<_>>();
    let mut objects = Vec::new();
    for input in inputs {
        let Input::File(path) = input else {
            continue;
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                errors.push(format!("{}: cannot read: {e}", path.display()));
                continue;
            }
        };
        let syntax = Syntax::for_path(&path);
        let file = load(Arc::from(Path::new(&path)), &bytes, syntax);
        errors.extend(
            file.diagnostics
                .iter()
                .filter(|d| d.level == DiagnosticLevel::Error)
                .map(|d| d.to_string()),
        );
        objects.extend(file.objects);
    }
    for e in &errors {
        eprintln!("error: {e}");
    }
    Ok(objects)
}

/// Runs `who-can`.
pub fn who_can(
    verb: &str,
    resource: &str,
    namespace: Option<&str>,
    source: &Source<'_>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let rbac = source.model()?;
    let (res, group) = parse_resource(resource);
    let grants = rbac.who_can(verb, &group, &res, namespace);
    let mut out = anstream::stdout().lock();
    if json {
        let list: Vec<serde_json::Value> = grants
            .iter()
            .map(|g| {
                serde_json::json!({
                    "subject": g.subject.to_string(),
                    "namespace": g.namespace,
                    "binding": g.binding,
                    "role": g.role,
                    "resourceNamesOnly": g.named_only,
                })
            })
            .collect();
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "verb": verb,
                "resource": res,
                "group": group,
                "namespace": namespace,
                "grants": list,
            }),
        )?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let scope = match namespace {
        Some(ns) => format!("in namespace {ns}"),
        None => "cluster-wide".to_owned(),
    };
    let what = if group.is_empty() {
        res.clone()
    } else {
        format!("{res}.{group}")
    };
    let masters =
        "members of the group system:masters may do everything: RBAC does not apply to them";
    if grants.is_empty() {
        writeln!(
            out,
            "no subject in {} may {verb} {what} {scope} (roles and bindings read: {} and {})",
            source.name(),
            rbac.roles.iter().filter(|r| !r.builtin).count(),
            rbac.bindings.len()
        )?;
        writeln!(out, "({masters})")?;
        return Ok(ExitCode::SUCCESS);
    }
    let bold = anstyle::Style::new().bold();
    writeln!(out, "who may {verb} {what} {scope}:")?;
    writeln!(
        out,
        "{bold}{:<44} {:<16} {:<40} ROLE{bold:#}",
        "SUBJECT", "WHERE", "BINDING"
    )?;
    for g in &grants {
        let role = if g.named_only {
            format!("{} (some resourceNames only)", g.role)
        } else {
            g.role.clone()
        };
        writeln!(
            out,
            "{:<44} {:<16} {:<40} {role}",
            g.subject.to_string(),
            g.namespace.as_deref().unwrap_or("cluster-wide"),
            g.binding,
        )?;
    }
    writeln!(out, "({masters})")?;
    Ok(ExitCode::SUCCESS)
}

/// What an effective rule covers, as `kubectl auth can-i --list` names
/// it: `pods`, `deployments.apps`, `*.*`, a non-resource URL; with
/// ` (only a, b)` when it is limited to named objects.
fn rule_resources(e: &EffectiveRule<'_>) -> String {
    let r = e.rule;
    let mut items: Vec<String> = Vec::new();
    for res in &r.resources {
        for g in &r.api_groups {
            items.push(if g.is_empty() {
                res.clone()
            } else {
                format!("{res}.{g}")
            });
        }
    }
    items.extend(r.non_resource_urls.iter().cloned());
    let mut text = items.join(", ");
    if r.is_named() {
        text.push_str(&format!(" (only {})", r.resource_names.join(", ")));
    }
    text
}

/// Where an effective rule applies, for the table.
fn rule_where(e: &EffectiveRule<'_>) -> String {
    match e.namespace() {
        None => "cluster-wide".to_owned(),
        Some("") => "(namespace unset)".to_owned(),
        Some(ns) => ns.to_owned(),
    }
}

/// Runs `permissions`: what SUBJECT may do, rule by rule, with where each
/// rule applies and the binding and role that grant it.
pub fn permissions(
    subject: &Subject,
    namespace: Option<&str>,
    source: &Source<'_>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let rbac = source.model()?;
    let perms = rbac.permissions_of(subject);
    let rules: Vec<&EffectiveRule<'_>> = perms
        .rules
        .iter()
        .filter(|e| namespace.is_none_or(|ns| e.applies_in(Some(ns))))
        .collect();
    let unresolved: Vec<_> = perms
        .unresolved
        .iter()
        .filter(|u| namespace.is_none_or(|ns| u.binding.scope().is_none_or(|scope| scope == ns)))
        .collect();
    let mut out = anstream::stdout().lock();
    if json {
        let role_of =
            |kind: kaegis_core::rbac::RoleKind, name: &str| format!("{} {name}", kind.as_str());
        let list: Vec<serde_json::Value> = rules
            .iter()
            .map(|e| {
                serde_json::json!({
                    "apiGroups": e.rule.api_groups,
                    "resources": e.rule.resources,
                    "verbs": e.rule.verbs,
                    "resourceNames": e.rule.resource_names,
                    "nonResourceURLs": e.rule.non_resource_urls,
                    "namespace": e.namespace(),
                    "binding": e.binding.describe(),
                    "role": role_of(e.role.kind, &e.role.name),
                    "viaGroup": e.via_group,
                })
            })
            .collect();
        let unknown: Vec<serde_json::Value> = unresolved
            .iter()
            .map(|u| {
                serde_json::json!({
                    "binding": u.binding.describe(),
                    "role": role_of(u.binding.role_kind, &u.binding.role_name),
                    "namespace": u.binding.scope(),
                    "viaGroup": u.via_group,
                })
            })
            .collect();
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "subject": perms.subject.to_string(),
                "user": perms.user,
                "groups": perms.groups,
                "namespace": namespace,
                "rules": list,
                "unknownRoles": unknown,
            }),
        )?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut who = perms.subject.to_string();
    if let Some(user) = &perms.user
        && !matches!(perms.subject, Subject::User(_))
    {
        who.push_str(&format!(" (user {user})"));
    }
    if !perms.groups.is_empty() {
        who.push_str(&format!(", in groups {}", perms.groups.join(", ")));
    }
    let scope = match namespace {
        Some(ns) => format!(" in namespace {ns}"),
        None => String::new(),
    };
    if rules.is_empty() {
        writeln!(
            out,
            "{who}: no binding in {} grants it anything{scope}",
            source.name()
        )?;
    } else {
        writeln!(out, "{who} may{scope}:")?;
        let rows: Vec<[String; 4]> = rules
            .iter()
            .map(|e| {
                [
                    rule_resources(e),
                    e.rule.verbs.join(", "),
                    rule_where(e),
                    e.describe_grant(),
                ]
            })
            .collect();
        let header = ["RESOURCES", "VERBS", "WHERE", "GRANTED VIA"];
        let mut width = header.map(str::len);
        for row in &rows {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[&str; 4]| {
            format!(
                "{:<w0$}  {:<w1$}  {:<w2$}  {}",
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                w0 = width[0],
                w1 = width[1],
                w2 = width[2]
            )
        };
        let bold = anstyle::Style::new().bold();
        writeln!(out, "{bold}{}{bold:#}", line(&header))?;
        for row in &rows {
            writeln!(
                out,
                "{}",
                line(&[&row[0], &row[1], &row[2], &row[3]]).trim_end()
            )?;
        }
    }
    for u in &unresolved {
        let via = u
            .via_group
            .map(|g| format!(" (via group {g})"))
            .unwrap_or_default();
        writeln!(
            out,
            "unknown: {} → {} {}{via} is not in {}: what it grants is not counted",
            u.binding.describe(),
            u.binding.role_kind.as_str(),
            u.binding.role_name,
            source.name()
        )?;
    }
    match perms.subject {
        Subject::Group(_) => writeln!(
            out,
            "(members also hold what is granted to themselves and to their other groups)"
        )?,
        Subject::User(_) => writeln!(
            out,
            "(the user's other groups come from how it signs in and are not counted; members of system:masters may do everything)"
        )?,
        Subject::ServiceAccount(..) => {}
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::{parse_resource, parse_subject};
    use kaegis_core::rbac::Subject;

    #[test]
    fn subjects_as_the_command_line_names_them() {
        let sa = Subject::ServiceAccount("shop".into(), "api".into());
        assert_eq!(parse_subject("serviceaccount:shop:api"), Ok(sa.clone()));
        assert_eq!(
            parse_subject("system:serviceaccount:shop:api"),
            Ok(sa.clone())
        );
        assert_eq!(parse_subject("user:system:serviceaccount:shop:api"), Ok(sa));
        assert_eq!(
            parse_subject("user:alice"),
            Ok(Subject::User("alice".into()))
        );
        assert_eq!(
            parse_subject("group:system:masters"),
            Ok(Subject::Group("system:masters".into()))
        );
        for bad in [
            "alice",
            "user:",
            "group:",
            "serviceaccount:shop",
            "serviceaccount:shop/api",
            "serviceaccount::api",
            "serviceaccount:shop:api:x",
            "ServiceAccount:shop:api",
        ] {
            let err = parse_subject(bad).unwrap_err();
            assert!(err.contains("is not a subject"), "{bad}: {err}");
        }
    }

    #[test]
    fn resources_as_kubectl_names_them() {
        assert_eq!(parse_resource("pods"), ("pods".into(), "".into()));
        assert_eq!(parse_resource("pods/exec"), ("pods/exec".into(), "".into()));
        assert_eq!(
            parse_resource("deployments.apps"),
            ("deployments".into(), "apps".into())
        );
        assert_eq!(
            parse_resource("deployments.apps/scale"),
            ("deployments/scale".into(), "apps".into())
        );
        assert_eq!(
            parse_resource("roles.rbac.authorization.k8s.io"),
            ("roles".into(), "rbac.authorization.k8s.io".into())
        );
    }
}
