#!/usr/bin/env bash
# Builds, from Go source modules, the three binaries the end-to-end tests run a
# real Kubernetes control plane with -- etcd, kube-apiserver, kubectl -- and
# caches them in $KAEGIS_K8S_BIN (default ~/.cache/kaegis/k8s-bin). Nothing is
# downloaded but Go modules (through the Go module proxy, checked against the
# Go checksum database) and, when Debian ships a new enough etcd, the
# etcd-server package. Needs only Go (>= the `go` line of the Kubernetes
# go.mod, 1.26 for v1.37) and bash; no C compiler (CGO_ENABLED=0, as upstream
# builds these binaries statically).
#
# A binary whose stamp file (<name>.stamp) matches the wanted recipe is kept:
# a second run returns in milliseconds. Delete the folder to rebuild.
#
# Environment:
#   KAEGIS_K8S_BIN        output folder        (~/.cache/kaegis/k8s-bin)
#   KAEGIS_K8S_BUILD      throw-away modules   (~/.cache/kaegis/k8s-build)
#   KAEGIS_K8S_VERSION    k8s.io/kubernetes    (v1.37.2)
#   KAEGIS_ETCD_VERSION   go.etcd.io/etcd      (v3.6.16)
#   KAEGIS_ETCD_FROM_APT  auto: use Debian's etcd-server when its candidate is
#                         3.5/3.6/3.7 (installs it if needed, as root or via
#                         sudo -n); no: always build from source      (auto)
#   KAEGIS_GO_PARALLEL    go build -p                                 (2)
set -euo pipefail

K8S_VERSION=${KAEGIS_K8S_VERSION:-v1.37.2}
ETCD_VERSION=${KAEGIS_ETCD_VERSION:-v3.6.16}
BIN=${KAEGIS_K8S_BIN:-$HOME/.cache/kaegis/k8s-bin}
WORK=${KAEGIS_K8S_BUILD:-$HOME/.cache/kaegis/k8s-build}
ETCD_FROM_APT=${KAEGIS_ETCD_FROM_APT:-auto}
# Bump when the way a binary is built changes, to force a rebuild.
RECIPE=2

# Kubernetes' own release build: static, trimmed, stripped, same tags.
K8S_TAGS=selinux,notest,grpcnotrace

t_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }
log() { echo "k8s-bins: $*" >&2; }

k8s_stamp="$K8S_VERSION recipe=$RECIPE tags=$K8S_TAGS"
etcd_src_stamp="source $ETCD_VERSION recipe=$RECIPE"

is_current() { # name wanted-stamp
  [ -x "$BIN/$1" ] && [ -f "$BIN/$1.stamp" ] && [ "$(cat "$BIN/$1.stamp")" = "$2" ]
}
etcd_is_current() {
  is_current etcd "$etcd_src_stamp" && return 0
  # A Debian etcd accepted earlier stays accepted unless building is forced.
  [ "$ETCD_FROM_APT" != no ] && [ -x "$BIN/etcd" ] && [ -f "$BIN/etcd.stamp" ] &&
    grep -q "^debian " "$BIN/etcd.stamp"
}
all_current() {
  etcd_is_current && is_current kube-apiserver "$k8s_stamp" && is_current kubectl "$k8s_stamp"
}

if all_current; then
  log "up to date in $BIN ($(elapsed "$t_start"))"
  exit 0
fi

mkdir -p "$BIN" "$WORK"
# Serialize concurrent runs (two test binaries starting at once).
if command -v flock >/dev/null; then
  exec 9>"$BIN/.lock"
  flock 9
  if all_current; then
    log "up to date in $BIN (built by a concurrent run; $(elapsed "$t_start"))"
    exit 0
  fi
fi

command -v go >/dev/null || { log "needs Go on PATH"; exit 1; }
# Never fetch another toolchain, never pick up an enclosing go.work, no cgo.
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
export GOFLAGS="-p=${KAEGIS_GO_PARALLEL:-2} -buildvcs=false -modcacherw"
log "$(go version); GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE)"

install_bin() { # tmp-file name stamp
  mv -f "$1" "$BIN/$2"
  printf '%s\n' "$3" > "$BIN/$2.stamp"
}

# ---------------------------------------------------------------- etcd
etcd_from_debian() {
  [ "$ETCD_FROM_APT" != no ] && command -v apt-cache >/dev/null || return 1
  local cand ver sudo=
  cand=$(apt-cache policy etcd-server 2>/dev/null | awk '/Candidate:/ { print $2 }')
  ver=${cand#*:}; ver=${ver%%[-+~]*}
  case "$ver" in
    3.5.*|3.6.*|3.7.*) ;;
    *) log "Debian etcd-server candidate '${cand:-none}' is not 3.5-3.7; building from source"; return 1 ;;
  esac
  if [ "$(dpkg-query -W -f='${Status} ${Version}' etcd-server 2>/dev/null)" != "install ok installed $cand" ]; then
    [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null && sudo="sudo -n"; } ||
      { log "cannot apt-get install etcd-server (not root); building from source"; return 1; }
    log "apt-get install etcd-server $cand"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q etcd-server >&2 || return 1
  fi
  local src
  src=$(dpkg -L etcd-server | grep -E '/s?bin/etcd$' | head -n1)
  [ -n "$src" ] && [ -x "$src" ] || return 1
  cp "$src" "$BIN/.etcd.tmp" && install_bin "$BIN/.etcd.tmp" etcd "debian $cand"
}

etcd_from_source() {
  local dir="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$dir"
  # `go get` raises the go line to etcd's own (it sets the GODEBUG defaults).
  printf 'module kaegis.local/etcd\n\ngo 1.21\n' > "$dir/go.mod"
  # etcd's own main (go.etcd.io/etcd/v3) is not installable (replace
  # directives); its body is this one call into the server module.
  cat > "$dir/main.go" <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  rm -f "$dir/go.sum"
  (cd "$dir" && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2 && go mod tidy >&2)
  (cd "$dir" && go build -trimpath -ldflags='-s -w' -o "$BIN/.etcd.tmp" .)
  install_bin "$BIN/.etcd.tmp" etcd "$etcd_src_stamp"
}

if ! etcd_is_current; then
  t=$(date +%s.%N)
  etcd_from_debian || etcd_from_source
  log "etcd: $(cat "$BIN/etcd.stamp") in $(elapsed "$t")"
fi

# ------------------------------------------------- kube-apiserver, kubectl
if ! { is_current kube-apiserver "$k8s_stamp" && is_current kubectl "$k8s_stamp"; }; then
  t=$(date +%s.%N)
  dir="$WORK/kubernetes-$K8S_VERSION"
  mkdir -p "$dir"
  info=$(cd "$WORK" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION")
  kdir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -f "$kdir/go.mod" ] || { log "no go.mod for k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
  # Staging modules are required at v0.0.0 and replaced by ./staging/src/...
  # in Kubernetes' go.mod; each is published as k8s.io/<name> v0.<minor>.<patch>.
  staging_version=v0.${K8S_VERSION#v1.}
  staging=$(awk '/^replace \(/ { r = 1; next } r && /^\)/ { r = 0 }
                 r && $2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }' "$kdir/go.mod")
  {
    printf 'module kaegis.local/kubernetes\n\n'
    # Kubernetes' go and godebug lines: they set the binaries' GODEBUG defaults.
    awk '$1 == "go" && NF == 2 { print; print "" }
         $1 == "godebug" { g = 1 } g { print } g && ($2 != "(" || $1 == ")") { g = 0 }' "$kdir/go.mod"
    printf '\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
    for m in $staging; do
      # Only those Kubernetes requires (sample-* are replaced but unused).
      if grep -Eq "^[[:space:]]+$m v0\.0\.0([[:space:]]|$)" "$kdir/go.mod"; then
        printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"
      fi
    done
    printf ')\n'
  } > "$dir/go.mod"
  rm -f "$dir/go.sum"
  (cd "$dir" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
                        "k8s.io/kubernetes/cmd/kubectl@$K8S_VERSION" >&2)
  log "kubernetes module graph resolved in $(elapsed "$t")"

  # What hack/lib/version.sh stamps into a release build, so /version and
  # `--version` report the real release instead of v0.0.0-master.
  # buildDate: the release's publication time, from the proxy's .info.
  info_file=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Info": "\(.*\)",*$/\1/p')
  build_date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info_file" 2>/dev/null || true)
  ver=${K8S_VERSION#v}; major=${ver%%.*}; minor=${ver#*.}; minor=${minor%%.*}
  ldflags="-s -w"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.buildDate=${build_date:-1970-01-01T00:00:00Z} -X $pkg.gitCommit="
  done
  for cmd in kube-apiserver kubectl; do
    tc=$(date +%s.%N)
    (cd "$dir" && go build -trimpath -tags="$K8S_TAGS" -ldflags="$ldflags" \
       -o "$BIN/.$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
    install_bin "$BIN/.$cmd.tmp" "$cmd" "$k8s_stamp"
    log "$cmd: built in $(elapsed "$tc")"
  done
fi

for b in etcd kube-apiserver kubectl; do
  log "$(printf '%-15s %6s  %s' "$b" "$(du -h "$BIN/$b" | cut -f1)" "$(cat "$BIN/$b.stamp")")"
done
log "done in $(elapsed "$t_start"): $BIN"
