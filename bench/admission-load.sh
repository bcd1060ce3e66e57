#!/usr/bin/env bash
# Webhook latency under load: `kaegis admission --no-cluster` (release build)
# answering AdmissionReviews over HTTPS, driven by wrk from a second process
# on loopback (apt-get install wrk). Prints wrk's latency distribution for a
# hardened Deployment (allowed) and a privileged Pod (denied), then the
# server's own latency histogram from /metrics.
#   bash bench/admission-load.sh          # DURATION=20s CONNECTIONS=32 THREADS=2
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
bin=target/release/kaegis
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$bin" admission certs --out "$tmp" --ip 127.0.0.1 >/dev/null 2>&1
port=$((20000 + RANDOM % 20000)); mport=$((port + 1))
"$bin" admission --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$mport" \
  --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key" --no-cluster >/dev/null 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break
  sleep 0.1
done
body() { # file kind json
  cat >"$tmp/$1.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$2]]
LUA
}
body hardened '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"3f2a","kind":{"group":"apps","version":"v1","kind":"Deployment"},"resource":{"group":"apps","version":"v1","resource":"deployments"},"namespace":"shop","operation":"CREATE","userInfo":{"username":"ci"},"object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"frontend","namespace":"shop","labels":{"app.kubernetes.io/name":"frontend","app.kubernetes.io/instance":"frontend-prod"}},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"frontend"}},"template":{"metadata":{"labels":{"app":"frontend"}},"spec":{"automountServiceAccountToken":false,"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"web","image":"registry.example.com/shop/frontend:1.4.2","resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}},"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}]}}}}}}'
body privileged '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"9c1d","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","operation":"CREATE","userInfo":{"username":"dev"},"object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"debug"},"spec":{"hostPID":true,"containers":[{"name":"sh","image":"busybox","securityContext":{"privileged":true}}]}}}}'
for case in hardened privileged; do
  echo "== $case"
  wrk --latency -t "${THREADS:-2}" -c "${CONNECTIONS:-32}" -d "${DURATION:-20s}" \
    -s "$tmp/$case.lua" "https://127.0.0.1:$port/validate" | sed -n '/Latency Distribution/,/Transfer/p'
done
echo "== server-side histogram (/metrics)"
exec 3<>"/dev/tcp/127.0.0.1/$mport"
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
grep -E 'request_duration_seconds_(sum|count)|decisions_total' <&3 || true
