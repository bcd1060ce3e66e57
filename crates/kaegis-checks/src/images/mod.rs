//! Checks of the `images` area.

use kaegis_core::Check;

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[];
