//! KG802: StorageClasses must ask for encrypted volumes where the
//! provisioner does not encrypt by default.
use kaegis_core::{Area, Context, JsonPath, Node, Object, Severity, Violation};

use crate::macros::declare_check;
use crate::refs::{HARDENING, k8s, mitre};

declare_check! {
    /// ## What
    /// Fires for a StorageClass (`storage.k8s.io`) whose provisioner creates
    /// unencrypted volumes unless asked, and that does not ask. Checked
    /// provisioners:
    ///
    /// - AWS EBS, `ebs.csi.aws.com` and the in-tree `kubernetes.io/aws-ebs`:
    ///   `parameters.encrypted` must be true (`"true"`, as Go's `ParseBool`
    ///   reads it). A missing parameter and `"false"` are reported.
    ///
    /// Not checked, because their volumes are encrypted at rest whatever the
    /// StorageClass says: GCE Persistent Disk (`pd.csi.storage.gke.io`,
    /// `kubernetes.io/gce-pd`; a customer key is optional through
    /// `disk-encryption-kms-key`), Azure Disk and Azure File
    /// (`disk.csi.azure.com`, `file.csi.azure.com`, server-side encryption
    /// with platform keys). Not checked either, because encryption there is
    /// usually configured below the StorageClass (per file system, per
    /// volume type, per OSD) and a missing parameter proves nothing: AWS
    /// EFS, OpenStack Cinder, Ceph RBD/CephFS, vSphere, NFS and local
    /// provisioners.
    ///
    /// An AWS account can turn on "EBS encryption by default", which
    /// encrypts volumes even without the parameter; kaegis cannot see it, and
    /// the parameter still makes the StorageClass correct in any account.
    ///
    /// ## Why
    /// Unencrypted volumes leave application data, database files and any
    /// secret written to disk readable from snapshots, from detached
    /// volumes and by anyone with access to the underlying storage, and
    /// most compliance frameworks (PCI DSS, HIPAA, SOC 2) expect encryption
    /// at rest. Encryption cannot be added to an existing EBS volume in
    /// place: it takes a snapshot, a copy and a migration.
    ///
    /// ## How to fix
    /// ```yaml
    /// apiVersion: storage.k8s.io/v1
    /// kind: StorageClass
    /// metadata:
    ///   name: gp3-encrypted
    /// provisioner: ebs.csi.aws.com
    /// parameters:
    ///   type: gp3
    ///   encrypted: "true"
    ///   # kmsKeyId: arn:aws:kms:…   (optional: a customer-managed key)
    /// volumeBindingMode: WaitForFirstConsumer
    /// ```
    pub struct StorageClassEncryption {
        code: "KG802",
        slug: "storage-class-encryption",
        title: "StorageClasses must request encrypted volumes",
        severity: Severity::Medium,
        area: Area::Storage,
        kinds: &["StorageClass"],
        profiles: HARDENING,
        references: &[
            mitre("T1530 Data from Cloud Storage"),
            k8s("StorageClass parameters: AWS EBS", "https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/parameters.md"),
            k8s("Storage classes", "https://kubernetes.io/docs/concepts/storage/storage-classes/"),
        ],
    }
}

/// Provisioners that create unencrypted volumes unless `encrypted: "true"`.
const EBS_PROVISIONERS: &[&str] = &["ebs.csi.aws.com", "kubernetes.io/aws-ebs"];

/// Go's `strconv.ParseBool` true values.
fn parse_bool_true(s: &str) -> bool {
    matches!(s.trim(), "1" | "t" | "T" | "true" | "TRUE" | "True")
}

impl StorageClassEncryption {
    fn evaluate(&self, obj: &Object, _ctx: &Context, out: &mut Vec<Violation>) {
        if obj.id.kind != "StorageClass" || obj.group() != "storage.k8s.io" {
            return;
        }
        let Some(provisioner) = obj.root.get("provisioner").and_then(Node::as_str) else {
            return;
        };
        if !EBS_PROVISIONERS.contains(&provisioner) {
            return;
        }
        let path = JsonPath::root().keys(&["parameters", "encrypted"]);
        match obj
            .root
            .get_path(&["parameters", "encrypted"])
            .and_then(Node::as_str)
        {
            Some(v) if parse_bool_true(v) => {}
            Some(v) => out.push(Violation::new(
                path,
                format!("StorageClass sets encrypted: {v:?}: {provisioner} volumes are created unencrypted"),
            )),
            None => out.push(Violation::new(
                path,
                format!("StorageClass does not set parameters.encrypted: \"true\": {provisioner} volumes are created unencrypted"),
            )),
        }
    }
}
