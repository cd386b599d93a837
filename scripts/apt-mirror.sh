#!/usr/bin/env bash
# Print the Debian mirror URL this machine's apt already uses (never written into the repo).
#   scripts/apt-mirror.sh            the main archive
#   scripts/apt-mirror.sh security   the security archive
# DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR in the environment win.
set -euo pipefail
case "${1:-main}" in
  main)
    [ -n "${DEBIAN_MIRROR:-}" ] && { echo "$DEBIAN_MIRROR"; exit 0; }
    filter='$1 ~ /\/debian\/?$/ && $2 !~ /-(security|updates|backports)$/' ;;
  security)
    [ -n "${DEBIAN_SECURITY_MIRROR:-}" ] && { echo "$DEBIAN_SECURITY_MIRROR"; exit 0; }
    filter='$1 ~ /\/debian-security\/?$/ && $2 ~ /-security$/' ;;
  *) echo "usage: $0 [main|security]" >&2; exit 2 ;;
esac
apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | awk "$filter"' {print $1; exit}'
