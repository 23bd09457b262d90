#!/usr/bin/env bash
# Foundation measurements (issue: foundation), reproducible on one machine:
#   1. start -> /ready and RSS after 60 s of `medic run` with the embedded default;
#   2. CPU time per probe for N HTTP checks on loopback, keep-alive on and off.
# Usage: bench/foundation.sh [N=1000] [SECONDS=60] [JVM flags...]
# Needs daemon/target/medic.jar (mvn -B -q package -DskipTests) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
SECS=${2:-60}
shift $(( $# > 2 ? 2 : $# )) || true
JVM_FLAGS=("$@")
# Absolute, as the class-data archive of mvn package records it: -XX:SharedArchiveFile=$PWD/daemon/target/medic.jsa
JAR=$(pwd)/daemon/target/medic.jar
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
hz=$(getconf CLK_TCK)

cpu_ms() { awk -v hz="$hz" '{print ($14+$15)*1000/hz}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/{printf "%.1f", $2/1024}' "/proc/$1/status"; }
probes() { curl -s "127.0.0.1:$1/metrics" | awk '/^medic_probes_total/{s+=$2} END{print s+0}'; }
wait_ready() { # pid port -> ms until /ready answered 200
  local start=$2 port=$3
  until curl -sf -o /dev/null "127.0.0.1:$port/ready"; do sleep 0.01; done
  echo $(( ($(date +%s%N) - start) / 1000000 ))
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB, $(java -version 2>&1 | head -1)"
echo "JVM flags: ${JVM_FLAGS[*]:-(defaults)}"

# 1. Embedded default.
port=19779
start=$(date +%s%N)
# The embedded default on another port, so that a medic already on 9779 does not interfere.
printf 'include classpath("medic-default.conf")\nmedic.http.port = %d\n' $port >"$work/default.conf"
java "${JVM_FLAGS[@]}" -jar "$JAR" run --config "$work/default.conf" >"$work/default.log" 2>&1 &
pid=$!
ready_ms=$(wait_ready $pid "$start" $port)
sleep "$SECS"
echo "embedded default: start -> /ready ${ready_ms} ms; RSS after ${SECS} s: $(rss_mib $pid) MiB"
kill $pid; wait $pid || true

# 2. N HTTP checks against a loopback stub.
java bench/StubTargets.java >"$work/stub.out" 2>&1 &
until [ -s "$work/stub.out" ]; do sleep 0.1; done
read -r stub _ <"$work/stub.out"
for keepalive in true false; do
  conf="$work/http-$keepalive.conf"
  {
    echo "medic { http.port = $port, interval = 10s, timeout = 5s, startup-spread = 5s, checks {"
    for i in $(seq 1 "$N"); do
      echo "  t$i { type = http, url = \"http://127.0.0.1:$stub/health/$i\", keep-alive = $keepalive }"
    done
    echo "} }"
  } >"$conf"
  start=$(date +%s%N)
  java "${JVM_FLAGS[@]}" -jar "$JAR" run --config "$conf" >"$work/run-$keepalive.log" 2>&1 &
  pid=$!
  ready_ms=$(wait_ready $pid "$start" $port)
  sleep 10 # past start-up and JIT warm-up
  c0=$(cpu_ms $pid); p0=$(probes $port)
  sleep "$SECS"
  c1=$(cpu_ms $pid); p1=$(probes $port)
  awk -v c="$(echo "$c1 - $c0" | bc)" -v p="$(echo "$p1 - $p0" | bc)" -v n="$N" -v ka="$keepalive" \
      -v r="$(rss_mib $pid)" -v ready="$ready_ms" -v secs="$SECS" \
      'BEGIN{printf "%d HTTP checks, keep-alive=%s: ready %d ms; %d probes in %d s; CPU %.0f ms = %.3f ms per probe; RSS %s MiB\n", n, ka, ready, p, secs, c, c/p, r}'
  kill $pid; wait $pid || true
done
