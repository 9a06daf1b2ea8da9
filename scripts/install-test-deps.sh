#!/usr/bin/env bash
# Test dependencies outside Maven: Debian's headless-capable Chromium for the gallery test
# (app: GalleryChromiumTest). Idempotent and quick when already installed; .ci/run calls it.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: chromium is missing; run as root (apt-get install -y chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# another apt may hold the lock: wait and retry (bounded)
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; then
    break
  fi
  if [ "$attempt" -eq 1 ]; then
    apt-get update >/dev/null 2>&1 || true
  fi
  sleep 15
done
command -v chromium >/dev/null 2>&1 || { echo "install-test-deps: could not install chromium" >&2; exit 1; }
