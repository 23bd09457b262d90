#!/usr/bin/env bash
# Builds the Java runtime medic's container image ships: jlink with just the modules medic.jar
# uses. The Dockerfile runs this; CI runs it too (there is no Docker engine there) and starts medic
# on the result, so what the image would run is what CI checked.
#
# usage: build-runtime.sh [--jar FILE] [--out DIR] [--check [--scrape FILE]]
#   --jar FILE  the shaded jar (default: daemon/target/medic.jar)
#   --out DIR   where the runtime goes (default: daemon/target/runtime); replaced if present
#   --check     then start medic with it on a free loopback port and require /ready 200,
#               /health 200 (through `medic health`) and a clean SIGTERM exit
#   --scrape FILE with --check: save that medic's /metrics to FILE
set -euo pipefail

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
repo=$(dirname -- "$here")
jar="$repo/daemon/target/medic.jar"
out="$repo/daemon/target/runtime"
check=false
scrape=""
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --check) check=true; shift ;;
    --scrape) scrape=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "build-runtime.sh: unknown argument $1" >&2; exit 64 ;;
  esac
done
[ -r "$jar" ] || { echo "build-runtime.sh: no jar at $jar" >&2; exit 66; }

jhome=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac || command -v jlink)")")")}
jdeps="$jhome/bin/jdeps"
jlink="$jhome/bin/jlink"
[ -x "$jlink" ] || { echo "build-runtime.sh: no jlink under $jhome (set JAVA_HOME to a JDK 17)" >&2; exit 69; }
[ -d "$jhome/jmods" ] || { echo "build-runtime.sh: $jhome has no jmods (Debian: apt-get install openjdk-17-jmods)" >&2; exit 69; }

# What the classes reference, as jdeps sees it.
found=$("$jdeps" --ignore-missing-deps --print-module-deps --multi-release 17 "$jar")
# Referenced only by code medic never runs: typesafe-config's ConfigBeanFactory and Micrometer's
# Log4j2 binder (java.desktop, for java.beans), Vert.x's Java-source verticles (java.compiler).
# Dropping them saves ~12 MB; the start-up check below runs medic on the result.
drop=" java.desktop java.compiler "
# Needed but invisible to jdeps: sun.misc.Signal (SIGTERM/SIGHUP handlers) lives in
# jdk.unsupported, TLS key exchange with EC curves in jdk.crypto.ec, JVM/process metrics read
# com.sun.management through reflection (jdk.management), and DNS for JNDI lookups.
add="jdk.unsupported jdk.crypto.ec jdk.management jdk.naming.dns"
modules=""
for m in ${found//,/ } $add; do
  case "$drop" in *" $m "*) continue ;; esac
  case ",$modules," in *",$m,"*) continue ;; esac
  modules="${modules:+$modules,}$m"
done
echo "build-runtime.sh: modules $modules"

rm -rf "$out"
mkdir -p "$(dirname "$out")"
# --strip-debug is Java debug attributes plus native debug symbols (most of libjvm.so's size). jlink
# refuses it beside --strip-native-debug-symbols, which names objcopy (binutils) where it exists.
strip=(--strip-debug)
if command -v objcopy >/dev/null; then
  strip=(--strip-java-debug-attributes --strip-native-debug-symbols "objcopy=$(command -v objcopy)")
fi
# No --compress: compressed module images start slower, and start-up is what a restart costs.
# --generate-cds-archive: the runtime's own classes are shared and pre-parsed from the first run.
"$jlink" --add-modules "$modules" "${strip[@]}" --no-man-pages --no-header-files \
  --generate-cds-archive --output "$out"
# The archive for heaps over 32 GB (no compressed oops): medic runs with -Xmx256m.
rm -f "$out/lib/server/classes_nocoops.jsa"
echo "build-runtime.sh: runtime in $out ($(du -sh "$out" | cut -f1))"

$check || exit 0

# ---- start medic on the new runtime ---------------------------------------------------
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat > "$work/medic.conf" <<CONF
medic {
  http.port = $port
  journal.dir = "$work/journal"
  checks {
    root { type = disk, path = "/" }
    self { type = http, url = "http://127.0.0.1:$port/health" }
  }
}
CONF
java="$out/bin/java"
# The flags the launcher, the unit and the image run medic with.
opts="-XX:+UseSerialGC -Xms8m -Xmx256m -Xss512k -XX:TieredStopAtLevel=1"
# shellcheck disable=SC2086
"$java" $opts -jar "$jar" run --config "$work/medic.conf" > "$work/medic.log" 2>&1 &
pid=$!
code=000
for _ in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready" || true)
  [ "$code" = 200 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
if [ "$code" != 200 ]; then
  echo "build-runtime.sh: medic on the jlink runtime never answered /ready 200 (last: $code)" >&2
  cat "$work/medic.log" >&2
  exit 1
fi
echo "build-runtime.sh: /ready 200 from medic on the jlink runtime"
if [ -n "$scrape" ]; then
  curl -sf "http://127.0.0.1:$port/metrics" > "$scrape"
  echo "build-runtime.sh: /metrics saved to $scrape ($(grep -vc '^#' "$scrape") samples)"
fi
# shellcheck disable=SC2086
"$java" $opts -jar "$jar" health --url "http://127.0.0.1:$port"
"$java" $opts -jar "$jar" status --url "http://127.0.0.1:$port" >/dev/null || [ $? -le 2 ]
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
if [ "$rc" -ne 0 ] || ! grep -q "medic stopped" "$work/medic.log"; then
  echo "build-runtime.sh: medic on the jlink runtime did not stop cleanly (exit $rc)" >&2
  cat "$work/medic.log" >&2
  exit 1
fi
if grep -Eq "ClassNotFoundException|NoClassDefFoundError|module .* not found" "$work/medic.log"; then
  echo "build-runtime.sh: a class is missing from the runtime:" >&2
  grep -E "ClassNotFoundException|NoClassDefFoundError|not found" "$work/medic.log" >&2
  exit 1
fi
echo "build-runtime.sh: medic ran, answered and stopped (exit 0) on the jlink runtime"
