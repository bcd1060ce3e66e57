#!/usr/bin/env bash
# `kaegis cluster` against a real API server holding ~10,000 objects: starts a
# throw-away etcd + kube-apiserver (.ci/k8s-control-plane.sh, as the smoke
# test and the end-to-end tests do), loads the mix bench/cluster-objects.py
# writes (200 objects a namespace: workloads hardened, ordinary and
# insecure, with the ReplicaSets and Pods a controller would have made, and
# Services, ConfigMaps, Secrets, RBAC, NetworkPolicies...), checks the count
# through the API, then measures the audit: hyperfine for wall time, GNU time
# for peak RSS, the API server's and etcd's CPU per audit from /proc, and the
# same audit offline (`kaegis cluster --from` a `kubectl get -o yaml` dump of
# the same kinds) to split listing from checking. Everything is stopped and
# removed on exit. Exit code 1 from kaegis means "findings": expected here.
#
#   bash bench/cluster-audit.sh         # needs python3; hyperfine if present
#
# Environment:
#   OBJECTS          objects to create, rounded to whole namespaces of 200,
#                    plus 49 cluster-scoped ones            (10000)
#   KAEGIS_BIN       the kaegis binary     (target/release/kaegis, built here)
#   KAEGIS_K8S_BIN   etcd, kube-apiserver, kubectl      (as for k8s-bins.sh)
#   RUNS             timed runs of each audit                        (10)
#   PROFILE          kaegis --profile                                (all)
#   PARALLEL         kubectl processes loading namespaces at once     (4)
#   KAEGIS_K8S_KEEP  1 keeps the temp folder (objects, dump, reports, logs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
BIN=${KAEGIS_K8S_BIN:-$HOME/.cache/kaegis/k8s-bin}
export KAEGIS_K8S_BIN=$BIN
OBJECTS=${OBJECTS:-10000}
RUNS=${RUNS:-10}
PROFILE=${PROFILE:-all}
PARALLEL=${PARALLEL:-4}
namespaces=$(( (OBJECTS + 199) / 200 ))

log() { echo "cluster-audit: $*" >&2; }

if [ -z "${KAEGIS_BIN:-}" ]; then
  (cd "$root" && cargo build --release --locked -q -p kaegis)
  KAEGIS_BIN=${CARGO_TARGET_DIR:-$root/target}/release/kaegis
fi
command -v python3 >/dev/null || { log "needs python3 (bench/cluster-objects.py)"; exit 2; }
bash "$root/.ci/k8s-bins.sh"

# shellcheck source=.ci/k8s-control-plane.sh
. "$root/.ci/k8s-control-plane.sh"
trap k8s_cleanup EXIT
trap 'exit 130' INT TERM
# A /16 for Services (the default /24 holds 254 ClusterIPs); privileged
# containers allowed, as kubeadm and managed clusters do.
k8s_up --service-cluster-ip-range=10.96.0.0/16 --allow-privileged=true
tmp=$k8s_tmp

# Every kind `kaegis cluster` lists (crates/kaegis-cluster/src/fetch.rs).
kinds=namespaces,pods,services,serviceaccounts,configmaps,secrets,resourcequotas,limitranges
kinds+=,persistentvolumes,persistentvolumeclaims,replicationcontrollers,nodes
kinds+=,deployments.apps,replicasets.apps,statefulsets.apps,daemonsets.apps,jobs.batch,cronjobs.batch
kinds+=,ingresses.networking.k8s.io,networkpolicies.networking.k8s.io,poddisruptionbudgets.policy
kinds+=,horizontalpodautoscalers.autoscaling,roles.rbac.authorization.k8s.io
kinds+=,clusterroles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io
kinds+=,clusterrolebindings.rbac.authorization.k8s.io,storageclasses.storage.k8s.io
kinds+=,validatingwebhookconfigurations.admissionregistration.k8s.io
kinds+=,mutatingwebhookconfigurations.admissionregistration.k8s.io
count() { kc get "$kinds" -A -o name | wc -l; }

before=$(count)
log "the empty API server already serves $before objects of these kinds (its bootstrap RBAC, namespaces, the kubernetes Service)"

t=$(now)
python3 "$here/cluster-objects.py" "$tmp/objects" "$namespaces"
log "generated $namespaces namespaces x 200 + 49 cluster-scoped objects ($(du -sh "$tmp/objects" | cut -f1)) in $(since "$t")"

t=$(now)
kc create -f "$tmp/objects/00-cluster.yaml" > "$tmp/load.log" 2>&1
find "$tmp/objects" -name 'ns-*.yaml' -print0 |
  xargs -0 -P "$PARALLEL" -n 1 "$BIN/kubectl" create -f >> "$tmp/load.log" 2>&1 ||
  { log "loading failed:"; grep -iv '^warning\|created$' "$tmp/load.log" | head -20 >&2; exit 1; }
load=$(since "$t")
after=$(count)
log "loaded $((after - before)) objects in $load ($PARALLEL kubectl create in parallel, one namespace each)"
log "the API server now serves $after objects of the $(tr , '\n' <<<"$kinds" | wc -l) kinds kaegis cluster lists:"
kc get "$kinds" -A -o name | sed 's|/.*||' | sort | uniq -c | sort -rn | awk '{ printf "  %6d %s\n", $1, $2 }' >&2

audit=("$KAEGIS_BIN" cluster --kubeconfig "$KUBECONFIG" --profile "$PROFILE" --format json --quiet)
t=$(now)
kc get "$kinds" -A -o yaml > "$tmp/dump.yaml"
log "kubectl get -A -o yaml of the same kinds: $(du -h "$tmp/dump.yaml" | cut -f1) in $(since "$t")"
offline=("$KAEGIS_BIN" cluster --from "$tmp/dump.yaml" --profile "$PROFILE" --format json --quiet)

summary() { # report.json
  jq -r '"audited \(.summary.objects) objects (controller-owned ReplicaSets and Pods roll up to their owner), \(.summary.findings) findings (critical \(.summary.bySeverity.critical), high \(.summary.bySeverity.high), medium \(.summary.bySeverity.medium), low \(.summary.bySeverity.low), info \(.summary.bySeverity.info)), \(.diagnostics | length) diagnostics"' "$1"
}
# CPU seconds (user + system) a process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

echo "== live: ${audit[*]} -o FILE"
rc=0; "${audit[@]}" -o "$tmp/live.json" || rc=$?
[ "$rc" -le 1 ] || { log "kaegis cluster exited $rc"; exit 1; }
echo "exit $rc; $(summary "$tmp/live.json")"
jq -r '.diagnostics[] | "  diagnostic: \(.message)"' "$tmp/live.json" | head -5
echo "== offline: ${offline[*]} -o FILE"
rc=0; "${offline[@]}" -o "$tmp/offline.json" || rc=$?
[ "$rc" -le 1 ] || { log "kaegis cluster --from exited $rc"; exit 1; }
echo "exit $rc; $(summary "$tmp/offline.json")"

if command -v hyperfine >/dev/null; then
  hyperfine -N -i --warmup 1 --runs "$RUNS" \
    -n "live API" "${audit[*]} -o /dev/null" \
    -n "dump" "${offline[*]} -o /dev/null"
else
  log "no hyperfine: $RUNS runs each under /usr/bin/time"
  for name in audit offline; do
    declare -n cmd=$name
    for _ in $(seq "$RUNS"); do
      /usr/bin/time -f "$name: wall %e s" "${cmd[@]}" -o /dev/null || true
    done
  done
fi

echo "== peak memory, and the control plane's CPU per live audit"
for _ in 1 2 3; do
  a=$(cpu "$k8s_api_pid") e=$(cpu "$k8s_etcd_pid")
  /usr/bin/time -f "live: peak RSS %M KB, wall %e s, user %U s, sys %S s" "${audit[@]}" -o /dev/null || true
  echo "      kube-apiserver $(awk -v a="$a" -v b="$(cpu "$k8s_api_pid")" 'BEGIN { printf "%.2f", b - a }') s CPU, etcd $(awk -v a="$e" -v b="$(cpu "$k8s_etcd_pid")" 'BEGIN { printf "%.2f", b - a }') s CPU"
done
for _ in 1 2 3; do
  /usr/bin/time -f "dump: peak RSS %M KB, wall %e s, user %U s, sys %S s" "${offline[@]}" -o /dev/null || true
done
