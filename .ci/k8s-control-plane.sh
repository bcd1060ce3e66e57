# Sourced (not run) by .ci/k8s-smoke.sh and bench/cluster-audit.sh: a
# throw-away control plane -- etcd + kube-apiserver on loopback (random free
# ports, throw-away data/cert dirs), a static-token admin in system:masters,
# a kubeconfig. No controller-manager, scheduler or kubelet: objects are
# stored and validated (admission included) but never reconciled -- pods stay
# Pending, namespaces never finish terminating, no `default` ServiceAccounts.
#
# The caller defines log() and sets BIN (the folder of etcd, kube-apiserver,
# kubectl), then:
#   k8s_up [FLAG...]       start both (FLAGs added to kube-apiserver's),
#                          wait for /readyz; exports KUBECONFIG (and
#                          KUBECACHEDIR, so kubectl caches in k8s_tmp)
#   trap k8s_cleanup EXIT  stop both (log tails on a failing exit), remove
#                          k8s_tmp unless KAEGIS_K8S_KEEP=1, keep the exit code
#   kc ARGS...             kubectl against it
# shellcheck shell=bash

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2fs", b - a }'; }
kc() { "$BIN/kubectl" "$@"; }

k8s_tmp=$(mktemp -d "${TMPDIR:-/tmp}/kaegis-k8s.XXXXXX")
k8s_etcd_pid= k8s_api_pid=

k8s_stop() { # pid name
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
  local t; t=$(now)
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$1" 2>/dev/null; then
    log "$2 ignored SIGTERM for 10s; SIGKILL"; kill -KILL "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || true
  log "$2 stopped in $(since "$t")"
}
k8s_cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    for f in etcd apiserver; do
      [ -f "$k8s_tmp/$f.log" ] && { log "--- last lines of $f.log"; tail -n 25 "$k8s_tmp/$f.log" >&2; }
    done
  fi
  k8s_stop "$k8s_api_pid" kube-apiserver
  k8s_stop "$k8s_etcd_pid" etcd
  if [ "${KAEGIS_K8S_KEEP:-}" = 1 ]; then log "kept $k8s_tmp"; else rm -rf "$k8s_tmp"; fi
  exit "$rc"
}

# A port nothing listens on (bash's /dev/tcp; no ss/nc/python needed).
k8s_taken=" "
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    case "$k8s_taken" in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then k8s_taken+="$p "; echo "$p"; return; fi
  done
  return 1
}
wait_port() { # port seconds
  for _ in $(seq $(($2 * 20))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

k8s_up() {
  local tmp=$k8s_tmp etcd_port peer_port api_port token t_etcd t_api ready
  etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)

  # Service-account key pair (openssl; Go's standard library when it is absent).
  if command -v openssl >/dev/null; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/sa.key" 2>/dev/null
    openssl pkey -in "$tmp/sa.key" -pubout -out "$tmp/sa.pub"
  else
    mkdir "$tmp/keygen"
    cat > "$tmp/keygen/main.go" <<'EOF'
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
)

func main() {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	priv, _ := x509.MarshalPKCS8PrivateKey(k)
	pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	os.WriteFile(os.Args[1], pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}), 0o600)
	os.WriteFile(os.Args[2], pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644)
}
EOF
    (cd "$tmp/keygen" && GOWORK=off GOFLAGS= go run main.go "$tmp/sa.key" "$tmp/sa.pub")
  fi

  # Static bearer token for an admin identity (tests only):
  # token,user,uid,"group1,group2"
  token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  echo "$token,kaegis-admin,kaegis-admin,\"system:masters\"" > "$tmp/tokens.csv"

  t_etcd=$(now)
  "$BIN/etcd" \
    --name=kaegis \
    --data-dir="$tmp/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" \
    --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="kaegis=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync \
    --log-level=warn \
    > "$tmp/etcd.log" 2>&1 &
  k8s_etcd_pid=$!
  wait_port "$etcd_port" 30 || { log "etcd did not listen on $etcd_port"; return 1; }
  log "etcd $("$BIN/etcd" --version | sed -n 's/^etcd Version: //p') listening on 127.0.0.1:$etcd_port after $(since "$t_etcd")"

  local api_flags=(
    --etcd-servers="http://127.0.0.1:$etcd_port"
    --bind-address=127.0.0.1
    --advertise-address=127.0.0.1
    --secure-port="$api_port"
    --cert-dir="$tmp/certs"
    --service-account-issuer=https://kubernetes.default.svc
    --service-account-key-file="$tmp/sa.pub"
    --service-account-signing-key-file="$tmp/sa.key"
    --token-auth-file="$tmp/tokens.csv"
    --authorization-mode=Node,RBAC
    --service-cluster-ip-range=10.0.0.0/24
    --disable-admission-plugins=ServiceAccount
    --endpoint-reconciler-type=none
    "$@"
  )
  log "kube-apiserver ${api_flags[*]}"
  t_api=$(now)
  "$BIN/kube-apiserver" "${api_flags[@]}" > "$tmp/apiserver.log" 2>&1 &
  k8s_api_pid=$!

  cat > "$tmp/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kaegis
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $tmp/certs/apiserver.crt
users:
- name: kaegis-admin
  user:
    token: $token
contexts:
- name: kaegis
  context: {cluster: kaegis, user: kaegis-admin}
current-context: kaegis
EOF
  export KUBECONFIG=$tmp/kubeconfig KUBECACHEDIR=$tmp/kube-cache

  ready=
  for _ in $(seq 1200); do
    kill -0 "$k8s_api_pid" 2>/dev/null || { log "kube-apiserver exited"; return 1; }
    if [ -f "$tmp/certs/apiserver.crt" ] && kc get --raw /readyz >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.1
  done
  [ -n "$ready" ] || { log "kube-apiserver not ready after 120s"; kc get --raw '/readyz?verbose' >&2 || true; return 1; }
  log "kube-apiserver ready (/readyz) $(since "$t_api") after start"
}
