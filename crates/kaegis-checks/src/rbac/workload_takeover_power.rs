//! KG418: Workloads must not run as a ServiceAccount that can take over the
//! cluster.
use kaegis_core::rbac::{Binding, EffectivePermissions, EffectiveRule, RbacModel, Role, Subject};
use kaegis_core::{
    Area, Context, Inventory, Node, Object, PodSpecView, Scope, Severity, Violation, namespace_key,
};

use super::{HARDENING, RBAC_GOOD_PRACTICES_URL, RBAC_GROUP, join_words, k8s, mitre, nsa};
use crate::macros::declare_check;

declare_check! {
    /// ## What
    /// Fires for a workload (a Pod, or anything with a pod template) whose
    /// pods hold the API token of a ServiceAccount that can take over the
    /// cluster. The account is `serviceAccountName` (else the deprecated
    /// `serviceAccount`, else `default`) in the workload's namespace, and
    /// its power is what the RBAC authorizer gives it: the roles bound to
    /// the account itself (also under its user name
    /// `system:serviceaccount:<ns>:<name>`) and to the groups every service
    /// account is in (`system:serviceaccounts`,
    /// `system:serviceaccounts:<ns>`, `system:authenticated`), as `kaegis
    /// rbac permissions` lists them. The powers that count:
    /// - every verb on every resource;
    /// - reading (`get`, `list`, `watch`) Secrets;
    /// - creating Pods or workloads (Deployments, ReplicaSets,
    ///   StatefulSets, DaemonSets, Jobs, CronJobs, ReplicationControllers);
    /// - `create` on `pods/exec` or `pods/attach`, or adding ephemeral
    ///   containers;
    /// - `escalate` or `bind` on Roles or ClusterRoles;
    /// - `impersonate` on users, groups or service accounts;
    /// - `get` or `create` on `nodes/proxy` (the kubelet API);
    /// - `create` on `serviceaccounts/token`;
    /// - approving certificate signing requests (`update` on
    ///   `certificatesigningrequests/approval` and `approve` on every
    ///   signer, `kubernetes.io/*` or `kubernetes.io/kube-apiserver-client`);
    /// - `create`, `update` or `patch` on mutating or validating webhook
    ///   configurations.
    ///
    /// Each counts when a ClusterRoleBinding grants it, or, for namespaced
    /// resources, a RoleBinding in `kube-system` (whose Secrets, pods and
    /// service accounts are the control plane's own). The same powers in
    /// another namespace are not a cluster takeover and are left to the
    /// rule-level checks. Rules limited by `resourceNames` do not count
    /// (except the signer names above, which are what such a rule is about).
    /// One finding per workload, at its `serviceAccountName`, names each
    /// power and the binding and role that grant it. When the scan defines a
    /// binding or role several times under one name (one manifest in
    /// several variants, or un-built Kustomize bases that reuse names such
    /// as `role-binding`), a rule counts only if every definition that binds
    /// the account grants it: which one a cluster would hold is unknown.
    ///
    /// It does not fire when the pods hold no token of the account:
    /// `automountServiceAccountToken: false` on the pod spec (or unset there
    /// and `false` on the ServiceAccount of the scan), and no projected
    /// `serviceAccountToken` volume for the API server; nor for static pods'
    /// mirror Pods (annotation `kubernetes.io/config.mirror`), which run
    /// without a service account.
    ///
    /// Workloads in `kube-system` are reported too. Controllers there
    /// (network and storage plugins, cloud controllers) often need such
    /// power, but they are also where an attacker who takes one node looks
    /// first: a DaemonSet's token is on every node. Exempt a reviewed one by
    /// name or namespace in the config file, or waive it on the object with
    /// `kaegis.dev/ignore` and a reason.
    ///
    /// ## Why
    /// A pod's ServiceAccount token is a file in every container of the
    /// pod. Whoever runs code there (a bug in the application, a
    /// vulnerable dependency, a compromised image, a shell left open)
    /// holds the account's power. With any of the powers above it becomes
    /// cluster administrator in a step or two: read every token and
    /// credential, start a privileged pod on any node, run commands in the
    /// control plane's pods, grant itself any role, sign itself a
    /// `system:masters` certificate, or rewrite every pod as it is
    /// admitted. One compromised workload then means a compromised cluster.
    ///
    /// ## How to fix
    /// Give the workload its own ServiceAccount with only what it needs,
    /// bound per namespace; split a controller so that the part exposed to
    /// untrusted input holds no such power; and turn the token off where
    /// the pod never calls the API:
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata:
    ///   name: shop-operator
    ///   namespace: shop
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["configmaps"]
    ///   verbs: ["get", "list", "watch"]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata:
    ///   name: shop-operator
    ///   namespace: shop
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: Role
    ///   name: shop-operator
    /// subjects:
    /// - kind: ServiceAccount
    ///   name: shop-operator
    ///   namespace: shop
    /// ```
    pub struct WorkloadTakeoverPower {
        code: "KG418",
        slug: "rbac-workload-takeover-power",
        title: "Workloads must not run as a ServiceAccount that can take over the cluster",
        severity: Severity::High,
        area: Area::Rbac,
        profiles: HARDENING,
        references: &[
            mitre("T1528 Steal Application Access Token"),
            nsa("Authentication and authorization: least privilege for service accounts"),
            k8s("RBAC good practices: privilege escalation risks", RBAC_GOOD_PRACTICES_URL),
        ],
        scope: Scope::Inventory,
        kinds: kaegis_core::check::WORKLOAD_KINDS,
    }
}

/// The namespace whose namespaced resources are the control plane's.
const KUBE_SYSTEM: &str = "kube-system";

/// API requests of one kind: any of `verbs` on any of `resources` of
/// `group`.
struct Request {
    verbs: &'static [&'static str],
    group: &'static str,
    resources: &'static [&'static str],
    /// True for namespaced resources, which a RoleBinding in kube-system
    /// also grants.
    namespaced: bool,
    /// `resourceNames` that keep a limited rule dangerous (the signers a
    /// CSR approver may approve for).
    names: &'static [&'static str],
}

/// A takeover power: every one of `needs` (each any of its requests).
struct Power {
    name: &'static str,
    needs: &'static [&'static [Request]],
}

const fn req(
    verbs: &'static [&'static str],
    group: &'static str,
    resources: &'static [&'static str],
    namespaced: bool,
) -> Request {
    Request {
        verbs,
        group,
        resources,
        namespaced,
        names: &[],
    }
}

/// Every verb on every resource: it implies all the other powers.
const EVERYTHING: Power = Power {
    name: "every verb on every resource",
    needs: &[&[req(&["*"], "*", &["*"], true)]],
};

const POWERS: &[Power] = &[
    Power {
        name: "read Secrets",
        needs: &[&[req(&["get", "list", "watch"], "", &["secrets"], true)]],
    },
    Power {
        name: "create pods or workloads",
        needs: &[&[
            req(&["create"], "", &["pods", "replicationcontrollers"], true),
            req(
                &["create"],
                "apps",
                &["deployments", "replicasets", "statefulsets", "daemonsets"],
                true,
            ),
            req(&["create"], "batch", &["jobs", "cronjobs"], true),
        ]],
    },
    Power {
        name: "run commands in pods",
        needs: &[&[
            req(&["create"], "", &["pods/exec", "pods/attach"], true),
            req(
                &["update", "patch"],
                "",
                &["pods/ephemeralcontainers"],
                true,
            ),
        ]],
    },
    Power {
        name: "escalate or bind roles",
        needs: &[&[req(
            &["escalate", "bind"],
            RBAC_GROUP,
            &["roles", "clusterroles"],
            true,
        )]],
    },
    Power {
        name: "impersonate others",
        needs: &[&[
            req(&["impersonate"], "", &["users", "groups"], false),
            req(&["impersonate"], "", &["serviceaccounts"], true),
        ]],
    },
    Power {
        name: "proxy to kubelets (nodes/proxy)",
        needs: &[&[req(&["get", "create"], "", &["nodes/proxy"], false)]],
    },
    Power {
        name: "create service account tokens",
        needs: &[&[req(&["create"], "", &["serviceaccounts/token"], true)]],
    },
    Power {
        name: "approve certificate signing requests",
        needs: &[
            &[req(
                &["update", "patch"],
                "certificates.k8s.io",
                &["certificatesigningrequests/approval"],
                false,
            )],
            &[Request {
                verbs: &["approve"],
                group: "certificates.k8s.io",
                resources: &["signers"],
                namespaced: false,
                names: &["kubernetes.io/*", "kubernetes.io/kube-apiserver-client"],
            }],
        ],
    },
    Power {
        name: "change admission webhooks",
        needs: &[&[req(
            &["create", "update", "patch"],
            "admissionregistration.k8s.io",
            &[
                "mutatingwebhookconfigurations",
                "validatingwebhookconfigurations",
            ],
            false,
        )]],
    },
];

/// True when the effective rule grants the request where a takeover needs
/// it: cluster-wide, or in kube-system when `kube_system` and the resource
/// is namespaced.
fn grants(e: &EffectiveRule<'_>, r: &Request, kube_system: bool) -> bool {
    let reach = match e.namespace() {
        None => true,
        Some(ns) => kube_system && r.namespaced && ns == KUBE_SYSTEM,
    };
    let named_ok = !e.rule.is_named()
        || e.rule
            .resource_names
            .iter()
            .any(|n| r.names.contains(&n.as_str()));
    reach
        && named_ok
        && r.verbs
            .iter()
            .any(|v| r.resources.iter().any(|res| e.rule.allows(v, r.group, res)))
}

/// The grants (`binding → role`) of a power the subject holds, with where
/// it applies; `None` when it does not hold it.
fn held(perms: &EffectivePermissions<'_>, power: &Power) -> Option<(&'static str, Vec<String>)> {
    for (kube_system, reach) in [(false, "cluster-wide"), (true, "in namespace kube-system")] {
        let mut found: Vec<String> = Vec::new();
        let all = power.needs.iter().all(|any_of| {
            let mut hit = false;
            for e in &perms.rules {
                if any_of.iter().any(|r| grants(e, r, kube_system)) {
                    hit = true;
                    let g = grant_text(e);
                    if !found.contains(&g) {
                        found.push(g);
                    }
                }
            }
            hit
        });
        if all {
            return Some((reach, found));
        }
    }
    None
}

/// `RoleBinding ns/b → ClusterRole r`, with ` via group g` when the binding
/// names a group of the account.
fn grant_text(e: &EffectiveRule<'_>) -> String {
    let mut text = format!(
        "{} → {} {}",
        e.binding.describe(),
        e.role.kind.as_str(),
        e.role.name
    );
    if let Some(g) = e.via_group {
        text.push_str(" via group ");
        text.push_str(g);
    }
    text
}

/// `a, b and c`, at most three, then `and N more`.
fn some_grants(grants: &[String]) -> String {
    const SHOWN: usize = 3;
    if grants.len() <= SHOWN {
        join_words(grants)
    } else {
        format!(
            "{} and {} more",
            grants[..SHOWN].join(", "),
            grants.len() - SHOWN
        )
    }
}

/// The subject's rules that hold whichever definition of a binding or role
/// a cluster would have, when the scan defines one name several times (one
/// manifest in several variants, or un-built Kustomize bases that reuse
/// names such as `role-binding`): a rule counts when every definition of
/// every role that the binding's definitions naming the subject reference
/// holds the same rule. With one definition each, that is every rule.
fn certain_rules<'a>(
    model: &'a RbacModel,
    perms: &EffectivePermissions<'a>,
) -> Vec<EffectiveRule<'a>> {
    let names_subject = |b: &Binding| {
        perms.rules.iter().any(|e| std::ptr::eq(e.binding, b))
            || perms.unresolved.iter().any(|u| std::ptr::eq(u.binding, b))
    };
    let mut out: Vec<EffectiveRule<'a>> = Vec::new();
    // The first definition of each name already weighed.
    let mut done: Vec<&Binding> = Vec::new();
    for e in &perms.rules {
        let definitions: Vec<&Binding> = model.definitions_of(e.binding).collect();
        if definitions.len() == 1 && model.roles_for(e.binding).nth(1).is_none() {
            out.push(*e);
            continue;
        }
        if done.iter().any(|b| std::ptr::eq(*b, definitions[0])) {
            continue;
        }
        done.push(definitions[0]);
        // The definitions that bind the subject (other variants may bind
        // other subjects under the same name).
        let definitions: Vec<&Binding> = definitions
            .into_iter()
            .filter(|d| names_subject(d))
            .collect();
        if definitions
            .iter()
            .any(|d| model.roles_for(d).next().is_none())
        {
            continue;
        }
        let roles: Vec<&Role> = definitions
            .iter()
            .flat_map(|d| model.roles_for(d))
            .collect();
        for rule in &e.role.rules {
            if roles
                .iter()
                .all(|r| r.rules.iter().any(|other| other.same_grant(rule)))
            {
                out.push(EffectiveRule { rule, ..*e });
            }
        }
    }
    out
}

/// True when the pods hold an API token of their ServiceAccount: it is
/// automounted (the pod's setting wins over the account's), or a projected
/// volume requests one for the API server (no other audience).
fn holds_token(pod: &PodSpecView<'_>, inventory: &Inventory, ns: &str, account: &str) -> bool {
    let automount = match pod
        .field("automountServiceAccountToken")
        .and_then(Node::as_bool)
    {
        Some(set) => set,
        None => inventory
            .service_accounts
            .get(&(ns.to_owned(), account.to_owned()))
            .and_then(|sa| sa.automount)
            .unwrap_or(true),
    };
    automount
        || pod.volumes().iter().any(|v| {
            v.get_path(&["projected", "sources"]).is_some_and(|s| {
                s.items().iter().any(|src| {
                    src.get("serviceAccountToken").is_some_and(|t| {
                        t.get("audience")
                            .and_then(Node::as_str)
                            .is_none_or(str::is_empty)
                    })
                })
            })
        })
}

impl WorkloadTakeoverPower {
    fn evaluate(&self, obj: &Object, ctx: &Context, out: &mut Vec<Violation>) {
        let Some(inventory) = ctx.inventory else {
            return;
        };
        if inventory.rbac.bindings.is_empty() {
            return;
        }
        let Some(pod) = PodSpecView::of(obj) else {
            return;
        };
        if obj.id.kind == "Pod" && pod.annotation("kubernetes.io/config.mirror").is_some() {
            return;
        }
        let ns = namespace_key(obj);
        let account = pod.service_account_name();
        if !holds_token(&pod, inventory, ns, account) {
            return;
        }
        let subject = Subject::ServiceAccount(ns.to_owned(), account.to_owned());
        let mut perms = inventory.rbac.permissions_of(&subject);
        perms.rules = certain_rules(&inventory.rbac, &perms);
        if perms.rules.is_empty() {
            return;
        }
        let held: Vec<(&str, (&str, Vec<String>))> = match held(&perms, &EVERYTHING) {
            Some(everything @ ("cluster-wide", _)) => vec![(EVERYTHING.name, everything)],
            everything => everything
                .into_iter()
                .map(|h| (EVERYTHING.name, h))
                .chain(
                    POWERS
                        .iter()
                        .filter_map(|p| held(&perms, p).map(|h| (p.name, h))),
                )
                .collect(),
        };
        // Powers with the same reach and grants go together, in the order
        // of the list above.
        let mut groups: Vec<(Vec<&str>, &str, &[String])> = Vec::new();
        for (name, (reach, grants)) in &held {
            match groups
                .iter_mut()
                .find(|(_, r, g)| r == reach && *g == grants.as_slice())
            {
                Some((names, _, _)) => names.push(name),
                None => groups.push((vec![name], reach, grants)),
            }
        }
        let found: Vec<String> = groups
            .iter()
            .map(|(names, reach, grants)| {
                format!("{} {reach} ({})", join_words(names), some_grants(grants))
            })
            .collect();
        if found.is_empty() {
            return;
        }
        let named = |k: &str| {
            pod.field(k)
                .and_then(Node::as_str)
                .is_some_and(|s| !s.is_empty())
        };
        let field = if !named("serviceAccountName") && named("serviceAccount") {
            "serviceAccount"
        } else {
            "serviceAccountName"
        };
        out.push(Violation::new(
            pod.path(field),
            format!(
                "pods run as {subject} and hold its token, which can take over the cluster: {}; whoever runs code in one of them has these powers",
                found.join("; ")
            ),
        ));
    }
}
