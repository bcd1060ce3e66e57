//! kaegis-core: the model every other kaegis crate shares.
//!
//! - [`node`]: the source-mapped object tree every parser produces;
//! - [`path`]: JSON paths into objects;
//! - [`object`]: Kubernetes objects and their origin;
//! - [`view`]: typed views (the pod spec of any workload kind);
//! - [`check`]: the check trait and check metadata;
//! - [`finding`]: findings and severities;
//! - [`selector`]: label selectors;
//! - [`rbac`]: the RBAC model (roles, bindings, who can do what);
//! - [`inventory`]: what the other objects of a scan say, for cross-object
//!   checks;
//! - [`settings`]: check parameters;
//! - [`time`]: RFC 3339 times to and from microseconds;
//! - [`engine`]: check selection and execution, waivers and exemptions.
//!
//! This crate must not depend on any parser, input, reporter or server crate:
//! it is the one-directional flow's middle, and knows nothing of where objects
//! come from or where findings go.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod check;
pub mod diagnostic;
pub mod engine;
pub mod finding;
pub mod fix;
pub mod flags;
pub mod inventory;
pub mod node;
pub mod object;
pub mod path;
pub mod rbac;
pub mod selector;
pub mod settings;
pub mod time;
pub mod view;

pub use check::{Area, Check, CheckMeta, Context, Profile, PssControl, PssLevel, Reference, Scope};
pub use diagnostic::{Diagnostic, DiagnosticLevel};
pub use engine::{Engine, Exemption, Outcome, Selection, Waiver};
pub use finding::{Finding, FixProposal, Location, Severity, TextReplacement, Violation};
pub use fix::{Edit, Fix};
pub use inventory::{Inventory, namespace_key};
pub use node::{Entry, Node, Pos, Value};
pub use object::{Object, ObjectId, Origin};
pub use path::JsonPath;
pub use selector::{LabelSelector, Labels};
pub use settings::Settings;
pub use view::{ContainerKind, ContainerView, PodSpecView};
