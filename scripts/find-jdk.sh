#!/usr/bin/env bash
# Prints the path of a JDK 25 (or newer): $JAVA_HOME if it is one, else the newest under /usr/lib/jvm.
# Fails with one line if there is none. Sourced or run by ./tessera and .ci/run.
set -euo pipefail
jdk_version() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1; }
ok() { [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && v=$(jdk_version "$1") && [ "${v%%.*}" -ge 25 ] 2>/dev/null; }
if [ -n "${JAVA_HOME:-}" ] && ok "$JAVA_HOME"; then echo "$JAVA_HOME"; exit 0; fi
for d in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
  d=${d%/}
  if ok "$d"; then echo "$d"; exit 0; fi
done
echo "tessera: no JDK 25 found (JAVA_HOME is '${JAVA_HOME:-unset}', nothing suitable under /usr/lib/jvm); install one, e.g. Temurin 25, and set JAVA_HOME" >&2
exit 1
