#!/usr/bin/env bash
# Build the core OpenTelemetry Collector from Debian sid Go sources (components-here.md §4a):
# the real OTLP sender that molecule/default points at the ingest gateway. Test tooling only.
#
#   scripts/build-otelcol-debian.sh [--force]
#
# Output: .cache/otelcol-debian/otelcol-debian (static, git-ignored, never committed), plus
# a .recipe file: the build is skipped when the binary exists for the same recipe (main.go
# hash). The sid build image (debian-build:sid, debootstrap + docker import) is cached too.
# Then it is packed as a release (the binary at the archive's top, as otelcol-contrib's) into the
# test artifact cache (FORGE_OTELCOL_CACHE, default .cache/fixtures/artifacts) with its sha256 in that
# cache's lock file: the lab and molecule install it through roles/artifact as the agent's collector
# (roles/otel_agent, artifact otelcol-debian: a SUBSTITUTE for otelcol-contrib, refused in production).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=.cache/otelcol-debian
SRC=molecule/shared/otelcol-debian/main.go
IMAGE=${FORGE_SID_IMAGE:-forge-build/debian-go:sid}
log() { printf '[build-otelcol] %s\n' "$*" >&2; }
want=$(sha256sum "$SRC" | cut -c1-16)
pack() {
  python3 - "$OUT/otelcol-debian" "${FORGE_OTELCOL_CACHE:-.cache/fixtures/artifacts}" <<'PY'
import re, subprocess, sys, tarfile
from pathlib import Path
sys.path.insert(0, "molecule/fixtures")
from fixture_release import build_release
binary, cache = Path(sys.argv[1]), Path(sys.argv[2]).resolve()
version = re.search(r"version (\S+)", subprocess.check_output([binary, "--version"], text=True)).group(1)
base = "https://substitutes.invalid/otelcol-debian/{version}/otelcol-debian_{version}_linux_amd64.tar.gz"
entry = {"version": version, "arch": {"amd64": {"url": base, "checksum_url": base + ".sha256"}}}
data = binary.read_bytes()
for e in build_release("otelcol-debian", lambda _f: (("otelcol-debian", data, 0o755, tarfile.REGTYPE),),
                       cache, manifest=entry):
    print(f"[build-otelcol] packed {e['name']} {e['version']} {e['arch']}: sha256 {e['sha256']} (SUBSTITUTE)",
          file=sys.stderr)
PY
}
if [ "${1:-}" != "--force" ] && [ -x "$OUT/otelcol-debian" ] && [ "$(cat "$OUT/.recipe" 2>/dev/null)" = "$want" ]; then
  log "reusing $OUT/otelcol-debian (recipe $want)"; pack; exit 0
fi
mkdir -p "$OUT"
start=$(date +%s)
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null
  MIRROR=$(scripts/apt-mirror.sh main)
  root=$(mktemp -d /var/tmp/forge-sid.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  log "debootstrap sid with golang and golang-opentelemetry-collector-dev"
  if ! debootstrap --variant=minbase --include=golang-go,golang-opentelemetry-collector-dev,ca-certificates \
      sid "$root" "$MIRROR" >"$root.log" 2>&1; then
    tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1
  fi
  rm -f "$root.log"
  rm -rf "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -c . | docker import - "$IMAGE" >/dev/null
fi
log "go build (GOPATH mode, offline)"
docker run --rm -v "$PWD/$SRC:/main.go:ro" -v "$PWD/$OUT:/out" "$IMAGE" bash -ec '
  mkdir -p /root/go/src/otelcol-debian && cp /main.go /root/go/src/otelcol-debian/
  cd /root/go/src/otelcol-debian
  GO111MODULE=off GOPATH=/root/go:/usr/share/gocode CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    go build -trimpath -o /out/otelcol-debian .'
"$OUT/otelcol-debian" --version >&2
echo "$want" > "$OUT/.recipe"
log "built $OUT/otelcol-debian in $(( $(date +%s) - start ))s"
pack
