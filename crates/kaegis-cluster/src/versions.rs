//! Kubernetes release support and CVE data (being written).
