#!/usr/bin/env bash
# Make sure a Docker engine runs: install Debian's docker.io when it is missing and
# start dockerd (through systemd when systemd is PID 1, directly otherwise).
set -euo pipefail
log() { printf '[docker] %s\n' "$*" >&2; }
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  log "installing Debian's docker.io"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io >/dev/null
fi
if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; then
  systemctl start docker
else
  log "starting dockerd (log: /var/log/forge-dockerd.log)"
  nohup dockerd > /var/log/forge-dockerd.log 2>&1 &
fi
for _ in $(seq 60); do
  docker info >/dev/null 2>&1 && { log "engine $(docker version --format '{{.Server.Version}}') is up"; exit 0; }
  sleep 1
done
log "dockerd did not come up; see /var/log/forge-dockerd.log"; exit 1
