#!/usr/bin/env bash
# Profiles medic's HTTP probe path with JFR: N http checks (interval 10 s) against the loopback
# stub, a recording of SECONDS after a 10 s warm-up, then the hottest methods and allocation sites.
# Usage: bench/profile-http.sh [N=1000] [SECONDS=60] [JVM flags...]
# Prints CPU ms per probe over the recording as bench/foundation.sh does, and leaves the
# recording in daemon/target/profile-http.jfr for `jfr` or JDK Mission Control.
# Needs daemon/target/medic.jar (mvn -B -q package -DskipTests) and curl; the summary tables use
# `jfr view`, which JDK 21+ has (the Temurin 25 under /usr/lib/jvm reads JDK 17 recordings).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
SECS=${2:-60}
shift $(( $# > 2 ? 2 : $# )) || true
if [ $# -gt 0 ]; then
  JVM_FLAGS=("$@")
else
  JVM_FLAGS=(-XX:+UseSerialGC -Xmx64m -Xss512k -XX:TieredStopAtLevel=1)
fi
JAR=$(pwd)/daemon/target/medic.jar
OUT=$(pwd)/daemon/target/profile-http.jfr
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
hz=$(getconf CLK_TCK)
cpu_ms() { awk -v hz="$hz" '{print ($14+$15)*1000/hz}' "/proc/$1/stat"; }
probes() { curl -s "127.0.0.1:$1/metrics" | awk '/^medic_probes_total/{s+=$2} END{print s+0}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

java bench/StubTargets.java >"$work/stub.out" 2>&1 &
until [ -s "$work/stub.out" ]; do sleep 0.1; done
read -r stub _ <"$work/stub.out"
port=$(free_port)
{
  echo "medic { http.port = $port, interval = 10s, timeout = 5s, startup-spread = 5s, journal.dir = \"$work/journal\", checks {"
  for i in $(seq 1 "$N"); do
    echo "  t$i { type = http, url = \"http://127.0.0.1:$stub/health/$i\" }"
  done
  echo "} }"
} >"$work/medic.conf"
java "${JVM_FLAGS[@]}" -jar "$JAR" run --config "$work/medic.conf" >"$work/medic.log" 2>&1 &
pid=$!
until curl -sf -o /dev/null "127.0.0.1:$port/ready"; do
  kill -0 $pid 2>/dev/null || { cat "$work/medic.log" >&2; exit 1; }
  sleep 0.05
done
sleep 10 # past start-up and JIT warm-up
c0=$(cpu_ms $pid); p0=$(probes "$port")
# profile: 20 ms samples and allocation samples; only what the recording needs.
jcmd $pid JFR.start name=probe settings=profile filename="$OUT" >/dev/null
sleep "$SECS"
jcmd $pid JFR.stop name=probe >/dev/null
c1=$(cpu_ms $pid); p1=$(probes "$port")
awk -v c="$(echo "$c1 - $c0" | bc)" -v p="$(echo "$p1 - $p0" | bc)" -v n="$N" -v secs="$SECS" \
  'BEGIN{printf "%d HTTP checks: %d probes in %d s; CPU %.0f ms = %.3f ms per probe (with JFR on)\n", n, p, secs, c, c/p}'
kill $pid; wait $pid || true

jfr=$(command -v jfr)
for j in /usr/lib/jvm/temurin-25-jdk-amd64/bin/jfr "${JAVA_HOME:-/nonexistent}/bin/jfr"; do
  [ -x "$j" ] && "$j" view --help >/dev/null 2>&1 && jfr=$j && break
done
if "$jfr" view --help >/dev/null 2>&1; then
  for view in hot-methods allocation-by-site gc-pauses; do
    "$jfr" view --width 160 "$view" "$OUT" || true
  done
else
  echo "no jfr with 'view' (JDK 21+); open $OUT in JDK Mission Control"
fi
echo "recording: $OUT"
