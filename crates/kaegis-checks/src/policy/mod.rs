//! Checks about the manifests themselves and about kaegis' own waivers:
//! what must hold for the other findings to mean anything.

pub mod duplicate_key;
pub mod waiver;

use kaegis_core::Check;

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[&waiver::Waiver, &duplicate_key::DuplicateKey];
