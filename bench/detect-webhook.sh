#!/usr/bin/env bash
# Audit webhook ingestion under load: `kaegis detect --listen` (release build,
# built-in rules, alerts to /dev/null) taking EventList batches over HTTPS,
# driven by wrk from a second process on loopback (apt-get install wrk).
# The batches are a realistic mix written by python3 (controller reads at
# Metadata level, patches and creates with their objects at Request /
# RequestResponse level, a few execs and anonymous Secret reads), the shape
# the API server's webhook backend posts (--audit-webhook-batch-max-size
# defaults to 400 events; 100 here by default). Prints requests/s, events/s
# (requests/s x EVENTS), wrk's latency distribution (p50/p99 per POST: TLS,
# decode, enqueue, answer), then the server's own counters and its
# ingestion-latency histogram (body received -> queued -> judged) from
# /metrics. wrk repeats the same bodies, so audit IDs repeat: the detector's
# per-request bookkeeping sees re-sent events (what the API server's retries
# look like) rather than fresh ones.
#
#   bash bench/detect-webhook.sh   # DURATION=20s CONNECTIONS=32 THREADS=2 EVENTS=100
#
# Needs the CLI flags: kaegis detect --listen ADDR --tls-cert F --tls-key F
#   --metrics-listen ADDR --output FILE, and `kaegis admission certs`.
# For an in-process run (no CLI needed):
#   cargo run --release -p kaegis-detect --example webhook_load -- 10 32 100
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
bin=${CARGO_TARGET_DIR:-target}/release/kaegis
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }; rm -rf "$tmp"' EXIT
"$bin" admission certs --out "$tmp" --ip 127.0.0.1 >/dev/null 2>&1
port=$((20000 + RANDOM % 20000)); mport=$((port + 1))
"$bin" detect --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$mport" \
  --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key" --output /dev/null 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break
  sleep 0.1
done
metrics() {
  exec 3<>"/dev/tcp/127.0.0.1/$mport"
  printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
  cat <&3
}
events=${EVENTS:-100}
python3 - "$events" "$tmp" <<'PY'
import json, sys
n, out = int(sys.argv[1]), sys.argv[2]
def ev(i, b):
    aid = f"{b:08x}-{i:04x}-4a7e-9c1d-5e2f7b3a{i:04x}"
    ts = f"2026-11-23T10:{b // 60 % 60:02}:{b % 60:02}.{i:06}Z"
    base = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": aid,
            "stage": "ResponseComplete", "requestReceivedTimestamp": ts, "stageTimestamp": ts}
    k = i % 50
    if k <= 33:
        base.update(level="Metadata", verb="list",
            requestURI=f"/api/v1/namespaces/shop/endpoints?resourceVersion={i}",
            user={"username": "system:serviceaccount:kube-system:endpointslice-controller",
                  "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]},
            sourceIPs=["10.0.0.11"], userAgent="kube-controller-manager/v1.33.1 (linux/amd64) kubernetes/8adc0f0",
            objectRef={"resource": "endpoints", "namespace": "shop", "apiVersion": "v1"},
            responseStatus={"metadata": {}, "code": 200},
            annotations={"authorization.k8s.io/decision": "allow",
                         "authorization.k8s.io/reason": "RBAC: allowed by ClusterRoleBinding \"system:controller:endpointslice-controller\""})
    elif k <= 43:
        dep = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": f"frontend-{i}", "namespace": "shop", "generation": 7, "labels": {"app.kubernetes.io/name": "frontend"}},
               "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "frontend"}},
                        "template": {"metadata": {"labels": {"app": "frontend"}},
                                     "spec": {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                                              "containers": [{"name": "web", "image": f"registry.example.com/shop/frontend:1.4.{i}",
                                                              "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                                                              "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}}]}}},
               "status": {"replicas": 3, "readyReplicas": 3}}
        base.update(level="RequestResponse", verb="patch",
            requestURI=f"/apis/apps/v1/namespaces/shop/deployments/frontend-{i}",
            user={"username": "ci-deployer", "groups": ["ci", "system:authenticated"]},
            sourceIPs=["192.168.10.4"], userAgent="kubectl/v1.33.0",
            objectRef={"resource": "deployments", "namespace": "shop", "name": f"frontend-{i}", "apiGroup": "apps", "apiVersion": "v1"},
            responseStatus={"metadata": {}, "code": 200},
            requestObject={"spec": {"template": {"spec": {"containers": [{"name": "web", "image": f"registry.example.com/shop/frontend:1.4.{i}"}]}}}},
            responseObject=dep)
    elif k <= 47:
        base.update(level="Request", verb="create", requestURI="/api/v1/namespaces/shop/pods",
            user={"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": ["system:serviceaccounts", "system:authenticated"]},
            sourceIPs=["10.0.0.11"], userAgent="kube-controller-manager/v1.33.1",
            objectRef={"resource": "pods", "namespace": "shop", "name": f"frontend-{i}-x7k2p", "apiVersion": "v1"},
            responseStatus={"metadata": {}, "code": 201},
            requestObject={"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": f"frontend-{i}-", "namespace": "shop", "labels": {"app": "frontend"}},
                           "spec": {"containers": [{"name": "web", "image": "registry.example.com/shop/frontend:1.4.2", "securityContext": {"allowPrivilegeEscalation": False}}]}})
    elif k == 48:
        base.update(level="Metadata", verb="create", stage="ResponseStarted",
            requestURI=f"/api/v1/namespaces/shop/pods/frontend-{b}/exec?command=sh&stdin=true&tty=true",
            user={"username": "dana@example.com", "groups": ["developers", "system:authenticated"]},
            sourceIPs=["198.51.100.23"], userAgent="kubectl/v1.33.0",
            objectRef={"resource": "pods", "namespace": "shop", "name": f"frontend-{b}", "apiVersion": "v1", "subresource": "exec"},
            responseStatus={"metadata": {}, "code": 101})
    else:
        base.update(level="Metadata", verb="get", requestURI="/api/v1/namespaces/shop/secrets/db-credentials",
            user={"username": "system:anonymous", "groups": ["system:unauthenticated"]},
            sourceIPs=["203.0.113.50"], userAgent="curl/8.5.0",
            objectRef={"resource": "secrets", "namespace": "shop", "name": "db-credentials", "apiVersion": "v1"},
            responseStatus={"metadata": {}, "status": "Failure", "reason": "Forbidden", "code": 403})
    return base
bodies = [json.dumps({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {},
                      "items": [ev(i, b) for i in range(n)]}, separators=(",", ":")) for b in range(16)]
with open(f"{out}/post.lua", "w") as f:
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nbodies = {\n')
    for body in bodies:
        f.write("[==[" + body + "]==],\n")
    f.write("}\nlocal i = 0\nrequest = function()\n  i = i + 1\n"
            "  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])\nend\n")
print(f"{n} events per batch, {sum(map(len, bodies)) // len(bodies) // 1024} KiB per body", file=sys.stderr)
PY
echo "== wrk: ${CONNECTIONS:-32} connections, ${DURATION:-20s}"
wrk --latency -t "${THREADS:-2}" -c "${CONNECTIONS:-32}" -d "${DURATION:-20s}" \
  -s "$tmp/post.lua" "https://127.0.0.1:$port/audit" | tee "$tmp/wrk.out" |
  sed -n '/Latency Distribution/,/Transfer/p'
rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.out")
awk -v r="$rps" -v e="$events" 'BEGIN { printf "events/s (accepted or not): %.0f\n", r * e }'
echo "== server (/metrics)"
metrics | grep -E '^kaegis_detect_(events_(received|processed)_total|batches_total|decode_errors_total|queue_events|alerts_total|ingest_latency_seconds_(sum|count))' || true
echo "(non-200 batches are 429s from the bounded queue: the API server retries them)"
