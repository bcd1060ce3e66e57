//! Checks of the `storage` area: PersistentVolumes and StorageClasses.

pub mod host_path_persistent_volume;
pub mod storage_class_encryption;

use kaegis_core::Check;

/// The checks of this area.
pub static CHECKS: &[&dyn Check] = &[
    &host_path_persistent_volume::HostPathPersistentVolume,
    &storage_class_encryption::StorageClassEncryption,
];
