#!/usr/bin/env bash
# Runs Maven with a JDK 25, installing Maven from Debian if it is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA_HOME="$("$here/scripts/find-jdk.sh")"
export JAVA_HOME
if ! command -v mvn >/dev/null 2>&1; then
  echo "tessera: installing maven (apt-get)..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq maven >/dev/null; \
  else sudo apt-get update -qq && sudo apt-get install -y -qq maven >/dev/null; fi
fi
exec mvn "$@"
