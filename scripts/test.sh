#!/usr/bin/env bash
# Every test: the test dependencies outside Maven (Chromium for the gallery test), then the Maven build.
# This is exactly what CI runs (.ci/run).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/install-test-deps.sh"
exec "$here/scripts/mvn.sh" -B verify "$@"
