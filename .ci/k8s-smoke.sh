#!/usr/bin/env bash
# Smoke test of the control plane .ci/k8s-bins.sh builds: etcd + kube-apiserver
# on loopback, started by .ci/k8s-control-plane.sh (random free ports,
# throw-away data/cert dirs, a static-token admin in system:masters), then
# kubectl version / apply / get, then a clean shutdown. No
# controller-manager, scheduler or kubelet: objects are stored and validated
# (admission included) but never reconciled -- pods stay Pending, namespaces
# never finish terminating.
#
# Environment: KAEGIS_K8S_BIN as for k8s-bins.sh; KAEGIS_K8S_KEEP=1 keeps the
# temp folder (logs, kubeconfig) for inspection.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BIN=${KAEGIS_K8S_BIN:-$HOME/.cache/kaegis/k8s-bin}
export KAEGIS_K8S_BIN=$BIN

log() { echo "k8s-smoke: $*" >&2; }

bash "$here/k8s-bins.sh"

# shellcheck source=.ci/k8s-control-plane.sh
. "$here/k8s-control-plane.sh"
trap k8s_cleanup EXIT
trap 'exit 130' INT TERM
k8s_up

log "kubectl version"
kc version
kc get --raw /version; echo
kc auth whoami

cat > "$k8s_tmp/objects.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: kaegis-smoke
---
apiVersion: v1
kind: Pod
metadata:
  name: hello
  namespace: kaegis-smoke
spec:
  containers:
  - name: hello
    image: registry.k8s.io/pause:3.10
    securityContext:
      allowPrivilegeEscalation: false
      runAsNonRoot: true
      capabilities: {drop: [ALL]}
      seccompProfile: {type: RuntimeDefault}
EOF
log "kubectl apply"
kc apply -f "$k8s_tmp/objects.yaml"
kc apply --dry-run=server -f "$k8s_tmp/objects.yaml"
kc get pods -A
log "smoke test passed"
