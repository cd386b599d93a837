#!/usr/bin/env bash
# Build (or reuse) the systemd base image for the lab and the molecule scenarios.
#
#   scripts/build-image.sh [--force]
#
# The image is a Debian bookworm minbase made with debootstrap and loaded with
# `docker import` (no container registry is reachable from our machines).
# It is cached: when an image with the same tag *and* the same recipe hash
# exists, nothing is done. The tag is FORGE_IMAGE (default forge-lab/debian-systemd:bookworm).
#
# Two known problems of these machines are handled here:
# - the Debian mirror serves frozen snapshots whose Release files may carry an
#   expired Valid-Until: the image gets Acquire::Check-Valid-Until "false";
# - HTTPS goes through an intercepting proxy: the host's local CA certificates
#   (/usr/local/share/ca-certificates/*.crt) are installed into the image.
set -euo pipefail

IMAGE=${FORGE_IMAGE:-forge-lab/debian-systemd:bookworm}
SUITE=${FORGE_IMAGE_SUITE:-bookworm}
PACKAGES=python3,python3-apt,systemd,systemd-sysv,dbus,sudo,iproute2,iputils-ping,procps,ca-certificates,openssh-server,curl,netcat-openbsd
RECIPE_VERSION=2
force=${1:-}

log() { printf '[build-image] %s\n' "$*" >&2; }

recipe_hash() {
  local extra_ca
  extra_ca=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null | sha256sum | cut -c1-12)
  printf '%s|%s|%s|%s' "$RECIPE_VERSION" "$SUITE" "$PACKAGES" "$extra_ca" | sha256sum | cut -c1-16
}

want=$(recipe_hash)
have=$(docker image inspect "$IMAGE" --format '{{ index .Config.Labels "forge.recipe" }}' 2>/dev/null || true)
if [ "$force" != "--force" ] && [ "$have" = "$want" ]; then
  log "reusing cached image $IMAGE (recipe $want)"
  exit 0
fi

command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -q debootstrap >/dev/null; }
MIRROR=$("$(dirname "$0")/apt-mirror.sh")
[ -n "$MIRROR" ] || { log "cannot find a Debian mirror in the host's apt sources; set DEBIAN_MIRROR"; exit 2; }

root=$(mktemp -d /var/tmp/forge-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
log "debootstrap $SUITE (this takes about a minute)"
start=$(date +%s)
if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" > "$root.log" 2>&1; then
  tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1
fi
rm -f "$root.log"

printf 'Acquire::Check-Valid-Until "false";\n' > "$root/etc/apt/apt.conf.d/99forge-no-valid-until"
printf 'APT::Install-Recommends "false";\n' > "$root/etc/apt/apt.conf.d/99forge-no-recommends"
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi
# A container is not a booted machine: no getty, no host keys baked into the image
# (sshd-keygen makes them on first boot), no machine-id shared between hosts.
rm -f "$root"/etc/ssh/ssh_host_* "$root/etc/machine-id" "$root/var/lib/dbus/machine-id"
: > "$root/etc/machine-id"
chroot "$root" systemctl mask getty@tty1.service console-getty.service systemd-firstboot.service >/dev/null 2>&1 || true
mkdir -p "$root/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
  > "$root/etc/systemd/system/ssh.service.d/10-forge-hostkeys.conf"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
# An empty package list must look stale to apt and to Ansible's cache_valid_time.
touch -d @0 "$root/var/lib/apt/lists"

tar -C "$root" -c . | docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change "LABEL forge.recipe=$want" \
  - "$IMAGE" > /dev/null
# The image this one replaced is now untagged: drop it (only images of this recipe label).
docker image prune --force --filter label=forge.recipe >/dev/null
log "built $IMAGE (recipe $want) in $(( $(date +%s) - start ))s"
