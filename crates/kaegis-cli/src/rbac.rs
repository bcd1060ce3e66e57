//! `kaegis rbac who-can VERB RESOURCE PATH…`: answers from the same RBAC
//! model the checks use (the scan's roles and bindings plus Kubernetes'
//! default user-facing ClusterRoles).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use kaegis_core::{DiagnosticLevel, Inventory, Object};
use kaegis_inputs::{Input, Syntax, discover, load};

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
    paths: &[PathBuf],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let objects = read_objects(paths)?;
    let inventory = Inventory::build(&objects);
    let (res, group) = parse_resource(resource);
    let grants = inventory.rbac.who_can(verb, &group, &res, namespace);
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
            "no subject in the scan may {verb} {what} {scope} (roles and bindings read: {} and {})",
            inventory.rbac.roles.iter().filter(|r| !r.builtin).count(),
            inventory.rbac.bindings.len()
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

#[cfg(test)]
mod tests {
    use super::parse_resource;

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
