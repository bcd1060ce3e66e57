//! The RBAC model: Roles, ClusterRoles and their bindings, read from the
//! objects of a scan, with the authorizer's matching rules, so checks can
//! name who gets a power and `kaegis rbac who-can` can answer from the same
//! model.

use std::collections::BTreeSet;

use crate::node::Node;
use crate::object::Object;
use crate::path::JsonPath;

/// One `rules[]` entry of a Role or ClusterRole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// `apiGroups` (`""` is the core group).
    pub api_groups: Vec<String>,
    /// `resources`, with subresources as `pods/exec`.
    pub resources: Vec<String>,
    /// `verbs`.
    pub verbs: Vec<String>,
    /// `resourceNames`: when set, the rule grants only these objects.
    pub resource_names: Vec<String>,
    /// `nonResourceURLs`.
    pub non_resource_urls: Vec<String>,
    /// Where the rule is in its object (`rules[2]`).
    pub path: JsonPath,
}

/// The strings of a list field. A null item reads as `""`, as the API
/// server's decoder reads it (`apiGroups: [~]` is the core group); items of
/// any other type are skipped.
fn strings(node: Option<&Node>) -> Vec<String> {
    node.map_or(&[][..], Node::items)
        .iter()
        .filter_map(|n| {
            if n.is_null() {
                Some(String::new())
            } else {
                n.as_str().map(str::to_owned)
            }
        })
        .collect()
}

impl Rule {
    fn parse(node: &Node, path: JsonPath) -> Self {
        Self {
            api_groups: strings(node.get("apiGroups")),
            resources: strings(node.get("resources")),
            verbs: strings(node.get("verbs")),
            resource_names: strings(node.get("resourceNames")),
            non_resource_urls: strings(node.get("nonResourceURLs")),
            path,
        }
    }

    /// True when the rule grants `verb` (`*` counts) .
    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == "*" || v == verb)
    }

    /// True when the rule covers API group `group`.
    pub fn has_group(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == "*" || g == group)
    }

    /// True when the rule covers `resource` (`pods` or `pods/exec`), as the
    /// RBAC authorizer matches: `*` covers everything, `*/exec` any
    /// resource's `exec` subresource.
    pub fn has_resource(&self, resource: &str) -> bool {
        let sub = resource.split_once('/').map(|(_, s)| s);
        self.resources
            .iter()
            .any(|r| r == "*" || r == resource || (sub.is_some() && r.strip_prefix("*/") == sub))
    }

    /// True when the rule grants `verb` on `group`/`resource` (for every
    /// object, or only the `resourceNames` when [`Rule::is_named`]).
    pub fn allows(&self, verb: &str, group: &str, resource: &str) -> bool {
        self.has_verb(verb) && self.has_group(group) && self.has_resource(resource)
    }

    /// True when the rule is limited to named objects.
    pub fn is_named(&self) -> bool {
        !self.resource_names.is_empty()
    }

    /// True when both rules grant the same, wherever they are.
    pub fn same_grant(&self, other: &Rule) -> bool {
        self.api_groups == other.api_groups
            && self.resources == other.resources
            && self.verbs == other.verbs
            && self.resource_names == other.resource_names
            && self.non_resource_urls == other.non_resource_urls
    }
}

/// Role or ClusterRole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleKind {
    /// A namespaced Role.
    Role,
    /// A ClusterRole.
    ClusterRole,
}

impl RoleKind {
    /// The kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// A Role or ClusterRole.
#[derive(Clone, Debug)]
pub struct Role {
    /// Role or ClusterRole.
    pub kind: RoleKind,
    /// The namespace of a Role (`""` when the manifest leaves it unset).
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// `rules`.
    pub rules: Vec<Rule>,
    /// True when the role is aggregated (`aggregationRule`): its rules are
    /// filled in by the controller from other roles.
    pub aggregated: bool,
    /// True when the role is one of Kubernetes' defaults, known to kaegis
    /// without being in the scan.
    pub builtin: bool,
}

impl Role {
    /// Reads a Role or ClusterRole object.
    pub fn of(obj: &Object) -> Option<Self> {
        if obj.group() != "rbac.authorization.k8s.io" {
            return None;
        }
        let kind = match obj.id.kind.as_str() {
            "Role" => RoleKind::Role,
            "ClusterRole" => RoleKind::ClusterRole,
            _ => return None,
        };
        let rules = obj
            .root
            .get("rules")
            .map_or(&[][..], Node::items)
            .iter()
            .enumerate()
            .map(|(i, r)| Rule::parse(r, JsonPath::root().key("rules").index(i)))
            .collect();
        Some(Self {
            kind,
            namespace: (kind == RoleKind::Role)
                .then(|| obj.id.namespace.clone().unwrap_or_default()),
            name: obj.id.name.clone(),
            rules,
            aggregated: obj
                .root
                .get("aggregationRule")
                .is_some_and(|n| !n.is_null()),
            builtin: false,
        })
    }
}

/// User, Group or ServiceAccount.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A user name.
    User(String),
    /// A group name.
    Group(String),
    /// A ServiceAccount: namespace and name.
    ServiceAccount(String, String),
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::User(n) => write!(f, "User {n}"),
            Subject::Group(n) => write!(f, "Group {n}"),
            // A RoleBinding's subject whose namespace the manifest leaves
            // to `kubectl -n` has none to show.
            Subject::ServiceAccount(ns, n) if ns.is_empty() => write!(f, "ServiceAccount {n}"),
            Subject::ServiceAccount(ns, n) => write!(f, "ServiceAccount {ns}/{n}"),
        }
    }
}

impl Subject {
    /// True for the groups and users that stand for everyone or every
    /// signed-in client.
    pub fn is_public(&self) -> bool {
        matches!(self, Subject::User(n) if n == "system:anonymous")
            || matches!(self, Subject::Group(n) if n == "system:unauthenticated" || n == "system:authenticated")
    }
}

/// RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub struct Binding {
    /// True for a ClusterRoleBinding.
    pub cluster: bool,
    /// The namespace of a RoleBinding (`""` when unset).
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// `roleRef.kind`.
    pub role_kind: RoleKind,
    /// `roleRef.name`.
    pub role_name: String,
    /// `subjects`, with the path of each.
    pub subjects: Vec<(Subject, JsonPath)>,
}

impl Binding {
    /// Reads a RoleBinding or ClusterRoleBinding object.
    pub fn of(obj: &Object) -> Option<Self> {
        if obj.group() != "rbac.authorization.k8s.io" {
            return None;
        }
        let cluster = match obj.id.kind.as_str() {
            "RoleBinding" => false,
            "ClusterRoleBinding" => true,
            _ => return None,
        };
        let role_ref = obj.root.get("roleRef")?;
        let role_kind = match role_ref.get("kind").and_then(Node::as_str)? {
            "Role" => RoleKind::Role,
            "ClusterRole" => RoleKind::ClusterRole,
            _ => return None,
        };
        let role_name = role_ref.get("name").and_then(Node::as_str)?.to_owned();
        let namespace = (!cluster).then(|| obj.id.namespace.clone().unwrap_or_default());
        let subjects = obj
            .root
            .get("subjects")
            .map_or(&[][..], Node::items)
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let name = s.get("name").and_then(Node::as_str)?.to_owned();
                let subject = match s.get("kind").and_then(Node::as_str)? {
                    "User" => Subject::User(name),
                    "Group" => Subject::Group(name),
                    "ServiceAccount" => {
                        let ns = s
                            .get("namespace")
                            .and_then(Node::as_str)
                            .map(str::to_owned)
                            .or_else(|| namespace.clone())
                            .unwrap_or_default();
                        Subject::ServiceAccount(ns, name)
                    }
                    _ => return None,
                };
                Some((subject, JsonPath::root().key("subjects").index(i)))
            })
            .collect();
        Some(Self {
            cluster,
            namespace,
            name: obj.id.name.clone(),
            role_kind,
            role_name,
            subjects,
        })
    }

    /// Where the binding grants: `None` for cluster-wide, or a namespace.
    pub fn scope(&self) -> Option<&str> {
        if self.cluster {
            None
        } else {
            self.namespace.as_deref()
        }
    }

    /// `ClusterRoleBinding name` or `RoleBinding ns/name`.
    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) if !self.cluster && !ns.is_empty() => {
                format!("RoleBinding {ns}/{}", self.name)
            }
            _ if self.cluster => format!("ClusterRoleBinding {}", self.name),
            _ => format!("RoleBinding {}", self.name),
        }
    }
}

/// One answer to "who can": a subject, the binding and role that grant it,
/// and where.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    /// Who.
    pub subject: Subject,
    /// Where: `None` cluster-wide, or a namespace.
    pub namespace: Option<String>,
    /// The binding that grants it (`ClusterRoleBinding x`).
    pub binding: String,
    /// The role (`ClusterRole edit`).
    pub role: String,
    /// True when only some named objects are covered.
    pub named_only: bool,
}

/// Roles and bindings of a scan, plus Kubernetes' default user-facing
/// ClusterRoles (`cluster-admin`, `admin`, `edit`, `view`) that bindings
/// commonly reference without defining.
#[derive(Clone, Debug, Default)]
pub struct RbacModel {
    /// Roles and ClusterRoles.
    pub roles: Vec<Role>,
    /// RoleBindings and ClusterRoleBindings.
    pub bindings: Vec<Binding>,
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Rule {
    let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect();
    Rule {
        api_groups: v(groups),
        resources: v(resources),
        verbs: v(verbs),
        ..Rule::default()
    }
}

/// The parts of Kubernetes' default ClusterRoles that matter to a security
/// review (from the RBAC documentation's "User-facing roles").
fn builtin_roles() -> Vec<Role> {
    let read = &["get", "list", "watch"][..];
    let write = &[
        "create",
        "delete",
        "deletecollection",
        "patch",
        "update",
        "get",
        "list",
        "watch",
    ][..];
    let workloads = &[
        "pods",
        "pods/attach",
        "pods/exec",
        "pods/portforward",
        "pods/proxy",
        "configmaps",
        "secrets",
        "services",
        "serviceaccounts",
        "persistentvolumeclaims",
        "replicationcontrollers",
    ][..];
    let apps = &["deployments", "statefulsets", "daemonsets", "replicasets"][..];
    let mut edit = vec![
        rule(&[""], workloads, write),
        rule(&["apps"], apps, write),
        rule(&["batch"], &["jobs", "cronjobs"], write),
        rule(&[""], &["serviceaccounts"], &["impersonate"]),
        rule(&[""], &["serviceaccounts/token"], &["create"]),
    ];
    let mut admin = edit.clone();
    admin.push(rule(
        &["rbac.authorization.k8s.io"],
        &["roles", "rolebindings"],
        write,
    ));
    edit.shrink_to_fit();
    admin.shrink_to_fit();
    let mut view = vec![
        rule(
            &[""],
            &[
                "pods",
                "configmaps",
                "services",
                "serviceaccounts",
                "persistentvolumeclaims",
            ],
            read,
        ),
        rule(&["apps"], apps, read),
        rule(&["batch"], &["jobs", "cronjobs"], read),
    ];
    view.shrink_to_fit();
    let mut all = rule(&["*"], &["*"], &["*"]);
    all.path = JsonPath::root();
    let mk = |name: &str, rules: Vec<Rule>| Role {
        kind: RoleKind::ClusterRole,
        namespace: None,
        name: name.to_owned(),
        rules,
        aggregated: false,
        builtin: true,
    };
    vec![
        mk("cluster-admin", vec![all]),
        mk("admin", admin),
        mk("edit", edit),
        mk("view", view),
    ]
}

impl RbacModel {
    /// Adds one object if it is a role or binding.
    pub fn add(&mut self, obj: &Object) {
        if let Some(r) = Role::of(obj) {
            self.roles.push(r);
        } else if let Some(b) = Binding::of(obj) {
            self.bindings.push(b);
        }
    }

    /// Adds Kubernetes' default ClusterRoles that the scan does not define.
    pub fn with_builtins(mut self) -> Self {
        for b in builtin_roles() {
            if !self
                .roles
                .iter()
                .any(|r| r.kind == RoleKind::ClusterRole && r.name == b.name)
            {
                self.roles.push(b);
            }
        }
        self
    }

    /// The role a binding references, if known (the first one, when the
    /// scan defines it several times).
    pub fn role_of<'a>(&'a self, b: &'a Binding) -> Option<&'a Role> {
        self.roles_for(b).next()
    }

    /// The bindings that reference `role`.
    pub fn bindings_of<'a>(&'a self, role: &'a Role) -> impl Iterator<Item = &'a Binding> + 'a {
        self.bindings.iter().filter(move |b| {
            b.role_kind == role.kind
                && b.role_name == role.name
                && (role.kind == RoleKind::ClusterRole || b.namespace == role.namespace)
        })
    }

    /// Every binding with the same kind, namespace and name as `b`, `b`
    /// included. A cluster holds one; a scan may hold several definitions
    /// (one manifest in several variants, or un-built Kustomize bases that
    /// reuse names such as `role-binding`), and which one a cluster would
    /// hold is then unknown.
    pub fn definitions_of<'a>(&'a self, b: &'a Binding) -> impl Iterator<Item = &'a Binding> + 'a {
        self.bindings.iter().filter(move |o| {
            o.cluster == b.cluster && o.namespace == b.namespace && o.name == b.name
        })
    }

    /// Every role a binding may reference: the roles of the model with its
    /// `roleRef` (more than one when the scan defines that role several
    /// times; see [`RbacModel::definitions_of`]).
    pub fn roles_for<'a>(&'a self, b: &'a Binding) -> impl Iterator<Item = &'a Role> + 'a {
        self.roles.iter().filter(move |r| {
            r.kind == b.role_kind
                && r.name == b.role_name
                && (r.kind == RoleKind::ClusterRole || r.namespace == b.namespace)
        })
    }

    /// Who gets `role`'s power, and where: `(subject, None)` when a
    /// ClusterRoleBinding grants it cluster-wide, `(subject, Some(ns))` for a
    /// RoleBinding.
    pub fn subjects_of(&self, role: &Role) -> Vec<(Subject, Option<String>)> {
        let mut out: BTreeSet<(Subject, Option<String>)> = BTreeSet::new();
        for b in self.bindings_of(role) {
            for (s, _) in &b.subjects {
                out.insert((s.clone(), b.scope().map(str::to_owned)));
            }
        }
        out.into_iter().collect()
    }

    /// Every subject that may `verb` `resource` in `group`, in `namespace`
    /// (`None`: cluster-wide, i.e. only through ClusterRoleBindings).
    pub fn who_can(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
    ) -> Vec<Grant> {
        let mut out = BTreeSet::new();
        for b in &self.bindings {
            if let (Some(want), Some(scope)) = (namespace, b.scope())
                && want != scope
            {
                continue;
            }
            if namespace.is_none() && !b.cluster {
                continue;
            }
            let Some(role) = self.role_of(b) else {
                continue;
            };
            let matching: Vec<&Rule> = role
                .rules
                .iter()
                .filter(|r| r.allows(verb, group, resource))
                .collect();
            if matching.is_empty() {
                continue;
            }
            let named_only = matching.iter().all(|r| r.is_named());
            for (s, _) in &b.subjects {
                out.insert(Grant {
                    subject: s.clone(),
                    namespace: b.scope().map(str::to_owned),
                    binding: b.describe(),
                    role: format!("{} {}", role.kind.as_str(), role.name),
                    named_only,
                });
            }
        }
        out.into_iter().collect()
    }
}

/// The prefix of a service account's user name:
/// `system:serviceaccount:<namespace>:<name>`.
pub const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";

/// The namespace and name of a service account's user name
/// (`system:serviceaccount:ns:name`), or `None` for any other user name.
pub fn service_account_of_user(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)?;
    let (ns, name) = rest.split_once(':')?;
    (!ns.is_empty() && !name.is_empty() && !name.contains(':')).then_some((ns, name))
}

impl Subject {
    /// The subject as the authorizer sees a request from it: a User named
    /// `system:serviceaccount:ns:name` *is* that ServiceAccount.
    pub fn canonical(&self) -> Subject {
        match self {
            Subject::User(u) => match service_account_of_user(u) {
                Some((ns, n)) => Subject::ServiceAccount(ns.to_owned(), n.to_owned()),
                None => self.clone(),
            },
            _ => self.clone(),
        }
    }

    /// The user name a request from this subject carries (`None` for a
    /// group, which never makes requests itself).
    pub fn user_name(&self) -> Option<String> {
        match self {
            Subject::User(u) => Some(u.clone()),
            Subject::ServiceAccount(ns, n) => {
                Some(format!("{SERVICE_ACCOUNT_USER_PREFIX}{ns}:{n}"))
            }
            Subject::Group(_) => None,
        }
    }

    /// True when requests from user `user` are this subject's (a
    /// ServiceAccount's user is `system:serviceaccount:ns:name`; a group
    /// never is a user).
    pub fn is_user(&self, user: &str) -> bool {
        match self {
            Subject::User(u) => u == user,
            Subject::ServiceAccount(ns, n) => {
                user.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)
                    .and_then(|rest| rest.strip_prefix(ns.as_str()))
                    .and_then(|rest| rest.strip_prefix(':'))
                    == Some(n.as_str())
            }
            Subject::Group(_) => false,
        }
    }

    /// The groups the API server's authenticators always put this subject
    /// in: a service account is in `system:serviceaccounts`,
    /// `system:serviceaccounts:<ns>` and `system:authenticated`; any other
    /// user in `system:authenticated`, except `system:anonymous`, which is
    /// in `system:unauthenticated`. A group stands for itself only. Other
    /// groups a user holds come from its authenticator (a certificate's
    /// organizations, an OIDC claim) and cannot be known from RBAC objects.
    pub fn implicit_groups(&self) -> Vec<String> {
        match self.canonical() {
            Subject::ServiceAccount(ns, _) => vec![
                "system:serviceaccounts".to_owned(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".to_owned(),
            ],
            Subject::User(u) if u == "system:anonymous" => {
                vec!["system:unauthenticated".to_owned()]
            }
            Subject::User(_) => vec!["system:authenticated".to_owned()],
            Subject::Group(_) => Vec::new(),
        }
    }
}

/// One rule a subject holds, with where it applies and what grants it.
#[derive(Clone, Copy, Debug)]
pub struct EffectiveRule<'a> {
    /// The rule.
    pub rule: &'a Rule,
    /// The Role or ClusterRole it is in.
    pub role: &'a Role,
    /// The binding that grants the role to the subject.
    pub binding: &'a Binding,
    /// The group the binding names, when it grants the role to a group the
    /// subject is in rather than to the subject itself.
    pub via_group: Option<&'a str>,
}

impl EffectiveRule<'_> {
    /// Where the rule applies: `None` cluster-wide (every namespace and the
    /// cluster-scoped resources), or one namespace (its namespaced
    /// resources only).
    pub fn namespace(&self) -> Option<&str> {
        self.binding.scope()
    }

    /// True when the rule covers a request in `namespace` (`None`: a
    /// request for a cluster-scoped resource, or across all namespaces,
    /// which only cluster-wide rules cover).
    pub fn applies_in(&self, namespace: Option<&str>) -> bool {
        match (self.namespace(), namespace) {
            (None, _) => true,
            (Some(mine), Some(want)) => mine == want,
            (Some(_), None) => false,
        }
    }

    /// `ClusterRoleBinding x → ClusterRole y`, with ` (via group g)` when
    /// it comes through a group.
    pub fn describe_grant(&self) -> String {
        let mut text = format!(
            "{} → {} {}",
            self.binding.describe(),
            self.role.kind.as_str(),
            self.role.name
        );
        if let Some(g) = self.via_group {
            text.push_str(&format!(" (via group {g})"));
        }
        text
    }
}

/// A binding of the subject whose role the model does not know: its rules,
/// and so part of the subject's permissions, are unknown.
#[derive(Clone, Copy, Debug)]
pub struct UnresolvedBinding<'a> {
    /// The binding.
    pub binding: &'a Binding,
    /// The group it names, when it names a group the subject is in.
    pub via_group: Option<&'a str>,
}

/// Everything a subject may do, as the RBAC authorizer computes it: the
/// rules of every role bound to the subject itself or to a group it is
/// implicitly in.
#[derive(Clone, Debug)]
pub struct EffectivePermissions<'a> {
    /// The subject (a User named `system:serviceaccount:…` read as the
    /// ServiceAccount it is).
    pub subject: Subject,
    /// The user name requests from it carry (`None` for a group).
    pub user: Option<String>,
    /// The groups it is implicitly in, counted.
    pub groups: Vec<String>,
    /// Its rules: cluster-wide ones first, then by namespace, binding and
    /// rule order.
    pub rules: Vec<EffectiveRule<'a>>,
    /// Its bindings whose role is not in the model.
    pub unresolved: Vec<UnresolvedBinding<'a>>,
}

impl<'a> EffectivePermissions<'a> {
    /// The rules that grant `verb` on `group`/`resource` for a request in
    /// `namespace` (`None`: cluster-scoped or all namespaces), rules limited
    /// by `resourceNames` included (see [`Rule::is_named`]).
    pub fn granting<'b>(
        &'b self,
        verb: &'b str,
        group: &'b str,
        resource: &'b str,
        namespace: Option<&'b str>,
    ) -> impl Iterator<Item = &'b EffectiveRule<'a>> + 'b {
        self.rules
            .iter()
            .filter(move |e| e.applies_in(namespace) && e.rule.allows(verb, group, resource))
    }
}

impl RbacModel {
    /// The effective permissions of `subject`: every binding that names it
    /// (a ServiceAccount also as the User `system:serviceaccount:ns:name`)
    /// or a group it is implicitly in (see [`Subject::implicit_groups`]),
    /// with the rules of the role each grants. A binding that names the
    /// subject both directly and through a group counts once, directly.
    pub fn permissions_of(&self, subject: &Subject) -> EffectivePermissions<'_> {
        let subject = subject.canonical();
        let user = subject.user_name();
        let groups = subject.implicit_groups();
        let mut rules = Vec::new();
        let mut unresolved = Vec::new();
        for b in &self.bindings {
            let mut direct = false;
            let mut via_group = None;
            for (s, _) in &b.subjects {
                match s {
                    Subject::Group(g) if matches!(&subject, Subject::Group(me) if me == g) => {
                        direct = true;
                    }
                    Subject::Group(g) if groups.contains(g) => {
                        via_group = via_group.or(Some(g.as_str()));
                    }
                    Subject::Group(_) => {}
                    Subject::User(_) | Subject::ServiceAccount(..) => {
                        direct |= user.as_deref().is_some_and(|u| s.is_user(u));
                    }
                }
            }
            if !direct && via_group.is_none() {
                continue;
            }
            let via_group = if direct { None } else { via_group };
            match self.role_of(b) {
                Some(role) => rules.extend(role.rules.iter().map(|rule| EffectiveRule {
                    rule,
                    role,
                    binding: b,
                    via_group,
                })),
                None => unresolved.push(UnresolvedBinding {
                    binding: b,
                    via_group,
                }),
            }
        }
        // A stable sort: the rules of one binding keep their order.
        rules.sort_by_cached_key(|e| {
            (
                e.namespace().is_some(),
                e.namespace().map(str::to_owned),
                e.binding.describe(),
            )
        });
        unresolved.sort_by_key(|u| (u.binding.scope().is_some(), u.binding.describe()));
        EffectivePermissions {
            subject,
            user,
            groups,
            rules,
            unresolved,
        }
    }
}

/// Formats a list of subjects for a finding message: `User a, ServiceAccount
/// ns/b (in namespace ns)`, or a note that no binding in the scan grants it.
pub fn describe_subjects(subjects: &[(Subject, Option<String>)]) -> String {
    if subjects.is_empty() {
        return "no binding in the scan grants it yet".to_owned();
    }
    let shown: Vec<String> = subjects
        .iter()
        .take(8)
        .map(|(s, ns)| match ns {
            Some(ns) if !ns.is_empty() => format!("{s} (in namespace {ns})"),
            Some(_) => s.to_string(),
            None => format!("{s} (cluster-wide)"),
        })
        .collect();
    let more = subjects.len().saturating_sub(shown.len());
    if more > 0 {
        format!("granted to {} and {more} more", shown.join(", "))
    } else {
        format!("granted to {}", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::{Entry, Pos, Value};
    use crate::object::Origin;

    fn scalar(text: &str) -> Node {
        Node::plain_scalar(Pos::default(), text)
    }

    fn seq(items: Vec<Node>) -> Node {
        Node::new(Pos::default(), Value::Seq(items))
    }

    fn map(entries: Vec<(&str, Node)>) -> Node {
        let entries = entries
            .into_iter()
            .map(|(k, v)| Entry {
                key: k.into(),
                key_pos: Pos::default(),
                value: v,
            })
            .collect();
        Node::new(Pos::default(), Value::Map(entries))
    }

    fn cluster_role(extra: Vec<(&str, Node)>) -> Object {
        let mut entries = vec![
            ("apiVersion", scalar("rbac.authorization.k8s.io/v1")),
            ("kind", scalar("ClusterRole")),
            ("metadata", map(vec![("name", scalar("r"))])),
        ];
        entries.extend(extra);
        Object::from_root(map(entries), Origin::Other("test".into())).unwrap()
    }

    #[test]
    fn a_null_api_group_is_the_core_group() {
        let obj = cluster_role(vec![(
            "rules",
            seq(vec![map(vec![
                ("apiGroups", seq(vec![scalar("~")])),
                ("resources", seq(vec![scalar("secrets")])),
                ("verbs", seq(vec![scalar("get")])),
            ])]),
        )]);
        let role = Role::of(&obj).unwrap();
        assert!(role.rules[0].allows("get", "", "secrets"));
        assert!(!role.aggregated);
    }

    #[test]
    fn a_null_aggregation_rule_is_no_aggregation() {
        let obj = cluster_role(vec![("aggregationRule", scalar("null"))]);
        assert!(!Role::of(&obj).unwrap().aggregated);
        let obj = cluster_role(vec![("aggregationRule", map(vec![]))]);
        assert!(Role::of(&obj).unwrap().aggregated);
    }

    #[test]
    fn resources_match_like_the_authorizer() {
        let r = rule(&[""], &["pods", "*/exec"], &["get"]);
        assert!(r.has_resource("pods"));
        assert!(r.has_resource("pods/exec"));
        assert!(r.has_resource("deployments/exec"));
        assert!(!r.has_resource("pods/log"));
        assert!(!rule(&[""], &["pods/*"], &["get"]).has_resource("pods/exec"));
        assert!(rule(&[""], &["*"], &["get"]).has_resource("nodes/proxy"));
    }

    fn object(kind: &str, ns: Option<&str>, name: &str, extra: Vec<(&str, Node)>) -> Object {
        let mut meta = vec![("name", scalar(name))];
        if let Some(ns) = ns {
            meta.push(("namespace", scalar(ns)));
        }
        let mut entries = vec![
            ("apiVersion", scalar("rbac.authorization.k8s.io/v1")),
            ("kind", scalar(kind)),
            ("metadata", map(meta)),
        ];
        entries.extend(extra);
        Object::from_root(map(entries), Origin::Other("test".into())).unwrap()
    }

    fn words(xs: &[&str]) -> Node {
        seq(xs.iter().map(|x| scalar(x)).collect())
    }

    /// A role with one rule: `resources` in the core group, `verbs`.
    fn role(
        kind: &str,
        ns: Option<&str>,
        name: &str,
        resources: &[&str],
        verbs: &[&str],
    ) -> Object {
        object(
            kind,
            ns,
            name,
            vec![(
                "rules",
                seq(vec![map(vec![
                    ("apiGroups", words(&[""])),
                    ("resources", words(resources)),
                    ("verbs", words(verbs)),
                ])]),
            )],
        )
    }

    /// A binding; each subject is `(kind, name, namespace)`.
    fn binding(
        kind: &str,
        ns: Option<&str>,
        name: &str,
        role: (&str, &str),
        subjects: &[(&str, &str, Option<&str>)],
    ) -> Object {
        let subjects = subjects
            .iter()
            .map(|(k, n, sns)| {
                let mut e = vec![("kind", scalar(k)), ("name", scalar(n))];
                if let Some(sns) = sns {
                    e.push(("namespace", scalar(sns)));
                }
                map(e)
            })
            .collect();
        object(
            kind,
            ns,
            name,
            vec![
                (
                    "roleRef",
                    map(vec![("kind", scalar(role.0)), ("name", scalar(role.1))]),
                ),
                ("subjects", seq(subjects)),
            ],
        )
    }

    fn model(objects: &[Object]) -> RbacModel {
        let mut m = RbacModel::default();
        for o in objects {
            m.add(o);
        }
        m.with_builtins()
    }

    /// `(where, grant, resources)` of each effective rule.
    fn summary(p: &EffectivePermissions<'_>) -> Vec<(String, String, String)> {
        p.rules
            .iter()
            .map(|e| {
                (
                    e.namespace().unwrap_or("cluster-wide").to_owned(),
                    e.describe_grant(),
                    e.rule.resources.join(","),
                )
            })
            .collect()
    }

    #[test]
    fn a_service_account_holds_its_bindings_and_its_groups_bindings() {
        let sa = |n: &'static str, ns: Option<&'static str>| ("ServiceAccount", n, ns);
        let m = model(&[
            role("ClusterRole", None, "secret-reader", &["secrets"], &["get"]),
            role("Role", Some("shop"), "cm", &["configmaps"], &["list"]),
            role("ClusterRole", None, "pods", &["pods"], &["create"]),
            binding(
                "ClusterRoleBinding",
                None,
                "api-secrets",
                ("ClusterRole", "secret-reader"),
                &[sa("api", Some("shop"))],
            ),
            // The subject's namespace defaults to the RoleBinding's.
            binding(
                "RoleBinding",
                Some("shop"),
                "api-cm",
                ("Role", "cm"),
                &[sa("api", None)],
            ),
            binding(
                "RoleBinding",
                Some("shop"),
                "all-shop-accounts",
                ("ClusterRole", "view"),
                &[("Group", "system:serviceaccounts:shop", None)],
            ),
            binding(
                "ClusterRoleBinding",
                None,
                "everyone",
                ("ClusterRole", "pods"),
                &[("Group", "system:authenticated", None)],
            ),
            binding(
                "ClusterRoleBinding",
                None,
                "as-user",
                ("ClusterRole", "pods"),
                &[("User", "system:serviceaccount:shop:api", None)],
            ),
            // Both directly and through a group: counted once, directly.
            binding(
                "ClusterRoleBinding",
                None,
                "both",
                ("ClusterRole", "pods"),
                &[
                    ("Group", "system:serviceaccounts", None),
                    sa("api", Some("shop")),
                ],
            ),
            // Not the subject: other namespaces, other names, anonymous.
            binding(
                "RoleBinding",
                Some("web"),
                "web-accounts",
                ("ClusterRole", "pods"),
                &[("Group", "system:serviceaccounts:web", None)],
            ),
            binding(
                "ClusterRoleBinding",
                None,
                "other-api",
                ("ClusterRole", "pods"),
                &[sa("api", Some("web")), ("User", "api", None)],
            ),
            binding(
                "ClusterRoleBinding",
                None,
                "anonymous",
                ("ClusterRole", "pods"),
                &[("Group", "system:unauthenticated", None)],
            ),
            binding(
                "RoleBinding",
                Some("shop"),
                "dangling",
                ("Role", "missing"),
                &[("Group", "system:serviceaccounts", None)],
            ),
        ]);
        let p = m.permissions_of(&Subject::ServiceAccount("shop".into(), "api".into()));
        assert_eq!(p.user.as_deref(), Some("system:serviceaccount:shop:api"));
        assert_eq!(
            p.groups,
            [
                "system:serviceaccounts",
                "system:serviceaccounts:shop",
                "system:authenticated"
            ]
        );
        let s = |w: &str, g: &str, r: &str| (w.to_owned(), g.to_owned(), r.to_owned());
        let view = "pods,configmaps,services,serviceaccounts,persistentvolumeclaims";
        assert_eq!(
            summary(&p)
                .into_iter()
                .filter(|(_, g, _)| !g.contains("view"))
                .collect::<Vec<_>>(),
            [
                s(
                    "cluster-wide",
                    "ClusterRoleBinding api-secrets → ClusterRole secret-reader",
                    "secrets"
                ),
                s(
                    "cluster-wide",
                    "ClusterRoleBinding as-user → ClusterRole pods",
                    "pods"
                ),
                s(
                    "cluster-wide",
                    "ClusterRoleBinding both → ClusterRole pods",
                    "pods"
                ),
                s(
                    "cluster-wide",
                    "ClusterRoleBinding everyone → ClusterRole pods (via group system:authenticated)",
                    "pods"
                ),
                s("shop", "RoleBinding shop/api-cm → Role cm", "configmaps"),
            ]
        );
        assert!(summary(&p).contains(&s(
            "shop",
            "RoleBinding shop/all-shop-accounts → ClusterRole view (via group system:serviceaccounts:shop)",
            view
        )));
        let unresolved: Vec<_> = p
            .unresolved
            .iter()
            .map(|u| (u.binding.describe(), u.via_group))
            .collect();
        assert_eq!(
            unresolved,
            [(
                "RoleBinding shop/dangling".to_owned(),
                Some("system:serviceaccounts")
            )]
        );
        // Where each rule applies.
        assert_eq!(p.granting("get", "", "secrets", Some("web")).count(), 1);
        // The Role cm, and view through the namespace's group.
        assert_eq!(
            p.granting("list", "", "configmaps", Some("shop")).count(),
            2
        );
        assert_eq!(p.granting("list", "", "configmaps", Some("web")).count(), 0);
        assert_eq!(p.granting("list", "", "configmaps", None).count(), 0);
    }

    #[test]
    fn a_user_named_like_a_service_account_is_that_service_account() {
        let m = model(&[
            role("ClusterRole", None, "pods", &["pods"], &["create"]),
            binding(
                "ClusterRoleBinding",
                None,
                "sa",
                ("ClusterRole", "pods"),
                &[("ServiceAccount", "api", Some("shop"))],
            ),
        ]);
        let user = Subject::User("system:serviceaccount:shop:api".into());
        assert_eq!(
            user.canonical(),
            Subject::ServiceAccount("shop".into(), "api".into())
        );
        assert_eq!(m.permissions_of(&user).rules.len(), 1);
        // Not a service account's user name: stays a user.
        for name in [
            "system:serviceaccount:shop",
            "system:serviceaccount::api",
            "system:serviceaccount:shop:a:b",
        ] {
            let u = Subject::User(name.into());
            assert_eq!(u.canonical(), u);
        }
    }

    #[test]
    fn users_anonymous_and_groups_hold_their_implicit_groups_only() {
        let m = model(&[
            role("ClusterRole", None, "pods", &["pods"], &["get"]),
            binding(
                "ClusterRoleBinding",
                None,
                "authn",
                ("ClusterRole", "pods"),
                &[("Group", "system:authenticated", None)],
            ),
            binding(
                "ClusterRoleBinding",
                None,
                "unauthn",
                ("ClusterRole", "pods"),
                &[("Group", "system:unauthenticated", None)],
            ),
            binding(
                "RoleBinding",
                Some("web"),
                "devs",
                ("ClusterRole", "edit"),
                &[("Group", "devs", None), ("User", "alice", None)],
            ),
        ]);
        let grants = |s: Subject| {
            m.permissions_of(&s)
                .rules
                .iter()
                .map(|e| e.describe_grant())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            grants(Subject::User("alice".into())),
            [
                "ClusterRoleBinding authn → ClusterRole pods (via group system:authenticated)",
                "RoleBinding web/devs → ClusterRole edit",
            ]
        );
        assert_eq!(
            grants(Subject::User("system:anonymous".into())),
            ["ClusterRoleBinding unauthn → ClusterRole pods (via group system:unauthenticated)"]
        );
        assert_eq!(
            grants(Subject::Group("devs".into())),
            ["RoleBinding web/devs → ClusterRole edit"]
        );
        assert_eq!(
            grants(Subject::Group("system:authenticated".into())),
            ["ClusterRoleBinding authn → ClusterRole pods"]
        );
    }

    #[test]
    fn a_name_defined_twice_has_every_definition() {
        let m = model(&[
            role("ClusterRole", None, "role", &["pods"], &["create"]),
            role("ClusterRole", None, "role", &["configmaps"], &["get"]),
            binding(
                "ClusterRoleBinding",
                None,
                "role-binding",
                ("ClusterRole", "role"),
                &[("ServiceAccount", "service-account", None)],
            ),
            binding(
                "ClusterRoleBinding",
                None,
                "role-binding",
                ("ClusterRole", "view"),
                &[("ServiceAccount", "service-account", None)],
            ),
            binding(
                "RoleBinding",
                Some("a"),
                "role-binding",
                ("ClusterRole", "role"),
                &[("ServiceAccount", "service-account", None)],
            ),
        ]);
        let b = &m.bindings;
        assert_eq!(m.definitions_of(&b[0]).count(), 2);
        assert_eq!(m.definitions_of(&b[2]).count(), 1);
        let roles: Vec<&str> = m
            .roles_for(&b[0])
            .map(|r| r.rules[0].resources[0].as_str())
            .collect();
        assert_eq!(roles, ["pods", "configmaps"]);
        assert_eq!(
            m.role_of(&b[0]).map(|r| r.rules[0].resources[0].as_str()),
            Some("pods")
        );
        assert_eq!(m.roles_for(&b[1]).count(), 1, "the default view");
        let mut moved = m.roles[0].rules[0].clone();
        moved.path = JsonPath::root().key("rules").index(7);
        assert!(moved.same_grant(&m.roles[0].rules[0]));
        assert!(!moved.same_grant(&m.roles[1].rules[0]));
    }
}
