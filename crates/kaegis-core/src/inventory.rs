//! The inventory: what the other objects of a scan say, for checks that need
//! more than their own object (a namespace's NetworkPolicies, the bindings
//! of a role, the PodDisruptionBudgets of a Deployment).
//!
//! The inventory also says what it *covers*: a manifest scan sees only what
//! the repository holds, so a check that finds no NetworkPolicy for a
//! namespace must first ask whether the scan could have seen one
//! ([`Inventory::covers`]).

use std::collections::{HashMap, HashSet};

use crate::node::Node;
use crate::object::Object;
use crate::rbac::RbacModel;
use crate::selector::{LabelSelector, Labels};
use crate::view::PodSpecView;

/// A NetworkPolicy, as the coverage checks need it.
#[derive(Clone, Debug)]
pub struct NetworkPolicyInfo {
    /// Namespace key (see [`namespace_key`]).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.podSelector`.
    pub pod_selector: LabelSelector,
    /// The policy isolates ingress (policyTypes, or the default).
    pub ingress: bool,
    /// The policy isolates egress.
    pub egress: bool,
    /// Number of `ingress` rules (0: denies all ingress to what it selects).
    pub ingress_rules: usize,
    /// Number of `egress` rules.
    pub egress_rules: usize,
}

impl NetworkPolicyInfo {
    /// Reads a `networking.k8s.io` NetworkPolicy.
    pub fn of(obj: &Object) -> Option<Self> {
        if obj.id.kind != "NetworkPolicy" || obj.group() != "networking.k8s.io" {
            return None;
        }
        let spec = obj.root.get("spec");
        let rules = |k: &str| spec.and_then(|s| s.get(k)).map_or(0, |n| n.items().len());
        let ingress_rules = rules("ingress");
        let egress_rules = rules("egress");
        let types: Option<Vec<&str>> = spec
            .and_then(|s| s.get("policyTypes"))
            .map(|t| {
                t.items()
                    .iter()
                    .filter_map(Node::as_str)
                    .collect::<Vec<_>>()
            })
            .filter(|t| !t.is_empty());
        // Without policyTypes (or with an empty list), Ingress always applies
        // and Egress applies when the policy has egress rules: the API's
        // defaulting.
        let (ingress, egress) = match &types {
            Some(t) => (t.contains(&"Ingress"), t.contains(&"Egress")),
            None => (true, egress_rules > 0),
        };
        Some(Self {
            namespace: namespace_key(obj).to_owned(),
            name: obj.id.name.clone(),
            pod_selector: LabelSelector::parse(spec.and_then(|s| s.get("podSelector"))),
            ingress,
            egress,
            ingress_rules,
            egress_rules,
        })
    }

    /// True when the policy selects every pod of its namespace and allows no
    /// ingress: the default-deny ingress policy.
    pub fn is_default_deny_ingress(&self) -> bool {
        self.pod_selector.is_empty() && self.ingress && self.ingress_rules == 0
    }

    /// True when the policy selects every pod and allows no egress.
    pub fn is_default_deny_egress(&self) -> bool {
        self.pod_selector.is_empty() && self.egress && self.egress_rules == 0
    }
}

/// A ServiceAccount, as the checks need it.
#[derive(Clone, Debug, Default)]
pub struct ServiceAccountInfo {
    /// `automountServiceAccountToken`.
    pub automount: Option<bool>,
    /// True when it lists `imagePullSecrets`.
    pub image_pull_secrets: bool,
}

/// A HorizontalPodAutoscaler's target and floor.
#[derive(Clone, Debug)]
pub struct AutoscalerInfo {
    /// Namespace key.
    pub namespace: String,
    /// `scaleTargetRef.kind`.
    pub target_kind: String,
    /// `scaleTargetRef.name`.
    pub target_name: String,
    /// `minReplicas` (default 1).
    pub min_replicas: i64,
}

/// The namespace an object lives in, as the inventory groups objects: its
/// `metadata.namespace`, or `""` when the manifest leaves it to the
/// `kubectl -n` of whoever applies it (those objects are taken to go
/// together).
pub fn namespace_key(obj: &Object) -> &str {
    obj.id.namespace.as_deref().unwrap_or("")
}

/// What the objects of a scan say about each other.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// True when the inventory is a whole cluster (`kaegis cluster`): every
    /// namespace is covered, absence is a fact.
    pub complete: bool,
    /// Namespace objects by name, with their labels.
    pub namespaces: HashMap<String, Labels>,
    /// The kinds present in each namespace key.
    kinds: HashMap<String, HashSet<String>>,
    /// NetworkPolicies.
    pub network_policies: Vec<NetworkPolicyInfo>,
    /// PodDisruptionBudgets: namespace key and selector.
    pub disruption_budgets: Vec<(String, LabelSelector)>,
    /// HorizontalPodAutoscalers.
    pub autoscalers: Vec<AutoscalerInfo>,
    /// ServiceAccounts by (namespace key, name).
    pub service_accounts: HashMap<(String, String), ServiceAccountInfo>,
    /// Number of pod-creating objects per namespace key.
    pub workloads: HashMap<String, usize>,
    /// Roles, ClusterRoles and their bindings (with Kubernetes' defaults).
    pub rbac: RbacModel,
    /// The API server's version (`gitVersion` of a `kaegis.dev/v1`
    /// ClusterVersion), when the scan knows it.
    pub cluster_version: Option<String>,
}

impl Inventory {
    /// Builds the inventory of a set of objects.
    pub fn build<'a>(objects: impl IntoIterator<Item = &'a Object>) -> Self {
        let mut inv = Self::default();
        for obj in objects {
            inv.add(obj);
        }
        inv.finish()
    }

    /// Adds the other inventory's objects (for inventories built per file,
    /// in parallel, before [`Inventory::finish`]).
    pub fn merge(&mut self, other: Inventory) {
        self.complete |= other.complete;
        self.namespaces.extend(other.namespaces);
        for (ns, kinds) in other.kinds {
            self.kinds.entry(ns).or_default().extend(kinds);
        }
        self.network_policies.extend(other.network_policies);
        self.disruption_budgets.extend(other.disruption_budgets);
        self.autoscalers.extend(other.autoscalers);
        self.service_accounts.extend(other.service_accounts);
        for (ns, n) in other.workloads {
            *self.workloads.entry(ns).or_default() += n;
        }
        self.rbac.roles.extend(other.rbac.roles);
        self.rbac.bindings.extend(other.rbac.bindings);
        if other.cluster_version.is_some() {
            self.cluster_version = other.cluster_version;
        }
    }

    /// Completes an inventory built with [`Inventory::add`]: adds
    /// Kubernetes' default roles.
    pub fn finish(mut self) -> Self {
        self.rbac = std::mem::take(&mut self.rbac).with_builtins();
        self
    }

    /// Adds one object.
    pub fn add(&mut self, obj: &Object) {
        let ns = namespace_key(obj).to_owned();
        if !self
            .kinds
            .get(&ns)
            .is_some_and(|k| k.contains(&obj.id.kind))
        {
            self.kinds
                .entry(ns.clone())
                .or_default()
                .insert(obj.id.kind.clone());
        }
        match (obj.id.kind.as_str(), obj.group()) {
            ("ClusterVersion", "kaegis.dev") => {
                self.cluster_version = obj
                    .root
                    .get_path(&["spec", "gitVersion"])
                    .and_then(Node::as_str)
                    .map(str::to_owned);
            }
            ("Namespace", "") => {
                self.namespaces.insert(
                    obj.id.name.clone(),
                    Labels::of_metadata(obj.root.get("metadata")),
                );
            }
            ("ServiceAccount", "") => {
                self.service_accounts.insert(
                    (ns, obj.id.name.clone()),
                    ServiceAccountInfo {
                        automount: obj
                            .root
                            .get("automountServiceAccountToken")
                            .and_then(Node::as_bool),
                        image_pull_secrets: obj
                            .root
                            .get("imagePullSecrets")
                            .is_some_and(|n| !n.items().is_empty()),
                    },
                );
            }
            ("PodDisruptionBudget", "policy") => {
                // policy/v1: an empty selector selects every pod of the
                // namespace; a missing one, and an empty one in v1beta1,
                // select none.
                let sel = obj.root.get_path(&["spec", "selector"]);
                let v1beta1 = obj.id.api_version.ends_with("v1beta1");
                let selects_none = match sel {
                    None => true,
                    Some(s) if s.is_null() => true,
                    Some(s) => v1beta1 && LabelSelector::parse(Some(s)).is_empty(),
                };
                if !selects_none {
                    self.disruption_budgets
                        .push((ns, LabelSelector::parse(sel)));
                }
            }
            ("HorizontalPodAutoscaler", "autoscaling") => {
                let spec = obj.root.get("spec");
                let target = spec.and_then(|s| s.get("scaleTargetRef"));
                let text = |k: &str| {
                    target
                        .and_then(|t| t.get(k))
                        .and_then(Node::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                self.autoscalers.push(AutoscalerInfo {
                    namespace: ns,
                    target_kind: text("kind"),
                    target_name: text("name"),
                    min_replicas: spec
                        .and_then(|s| s.get("minReplicas"))
                        .and_then(Node::as_i64)
                        .unwrap_or(1),
                });
            }
            _ => {
                if let Some(np) = NetworkPolicyInfo::of(obj) {
                    self.network_policies.push(np);
                } else if PodSpecView::of(obj).is_some() {
                    *self.workloads.entry(ns).or_default() += 1;
                } else {
                    self.rbac.add(obj);
                }
            }
        }
    }

    /// True when the scan holds an object of `kind` in namespace `ns`.
    pub fn has_kind(&self, ns: &str, kind: &str) -> bool {
        self.kinds.get(ns).is_some_and(|k| k.contains(kind))
    }

    /// True when the scan can speak for objects of `kind` in namespace `ns`:
    /// the inventory is a whole cluster, the scan defines the Namespace
    /// itself, or it holds at least one object of that kind there. Checks
    /// that report a missing object ask this first.
    pub fn covers(&self, ns: &str, kind: &str) -> bool {
        self.complete || self.namespaces.contains_key(ns) || self.has_kind(ns, kind)
    }

    /// The NetworkPolicies of a namespace.
    pub fn policies_in<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a NetworkPolicyInfo> {
        self.network_policies
            .iter()
            .filter(move |p| p.namespace == ns)
    }

    /// The autoscaler that scales `kind`/`name` in `ns`, if any.
    pub fn autoscaler_for(&self, ns: &str, kind: &str, name: &str) -> Option<&AutoscalerInfo> {
        self.autoscalers
            .iter()
            .find(|a| a.namespace == ns && a.target_kind == kind && a.target_name == name)
    }
}
