#!/usr/bin/env bash
# Profiles medic's HTTP probe path: N http checks (interval 10 s) against the loopback stub, then
# SECONDS of steady state after a 10 s warm-up, measured three ways:
#   - CPU ms per probe (as bench/foundation.sh computes it) and RSS;
#   - CPU per thread (user/sys), from /proc;
#   - where the CPU goes: `perf record -e cpu-clock` (linux-perf) with the JIT's symbol map, the
#     hottest frames by self time and by inclusive time for medic's and Vert.x's own frames.
#     Without perf, a JFR recording instead (on JDK 17 its execution samples miss most of the
#     event loop's time here: open daemon/target/profile-http.jfr in JDK Mission Control).
# Usage: bench/profile-http.sh [N=1000] [SECONDS=40] [JVM flags...]   (default: the unit's flags)
# Needs daemon/target/medic.jar (mvn -B -q package -DskipTests), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
SECS=${2:-40}
shift $(( $# > 2 ? 2 : $# )) || true
if [ $# -gt 0 ]; then
  JVM_FLAGS=("$@")
else
  JVM_FLAGS=(-XX:+UseSerialGC -Xms8m -Xmx256m -Xss512k -XX:TieredStopAtLevel=1)
fi
JAR=$(pwd)/daemon/target/medic.jar
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
hz=$(getconf CLK_TCK)
cpu_ms() { awk -v hz="$hz" '{print ($14+$15)*1000/hz}' "/proc/$1/stat"; }
probes() { curl -s "127.0.0.1:$1/metrics" | awk '/^medic_probes_total/{s+=$2} END{print s+0}'; }
threads() { for t in /proc/"$1"/task/*; do printf '%s %s %s\n' "${t##*/}" "$(awk '{print $14, $15}' "$t/stat")" "$(tr ' ' _ <"$t/comm")"; done | sort; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
use_perf=false
if command -v perf >/dev/null && perf record -q -e cpu-clock -o "$work/probe.data" -- true 2>/dev/null; then
  use_perf=true
  JVM_FLAGS+=(-XX:+PreserveFramePointer)
fi

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
echo "JVM flags: ${JVM_FLAGS[*]}"
java "${JVM_FLAGS[@]}" -jar "$JAR" run --config "$work/medic.conf" >"$work/medic.log" 2>&1 &
pid=$!
until curl -sf -o /dev/null "127.0.0.1:$port/ready"; do
  kill -0 $pid 2>/dev/null || { cat "$work/medic.log" >&2; exit 1; }
  sleep 0.05
done
sleep 10 # past start-up and JIT warm-up
threads $pid >"$work/t0"
c0=$(cpu_ms $pid); p0=$(probes "$port")
if $use_perf; then
  perf record -q -e cpu-clock -F 499 -g -p $pid -o "$work/perf.data" -- sleep "$SECS" 2>/dev/null
  jcmd $pid Compiler.perfmap >/dev/null # /tmp/perf-PID.map: names for the JIT's code
else
  jcmd $pid JFR.start name=probe settings=profile filename="$(pwd)/daemon/target/profile-http.jfr" >/dev/null
  sleep "$SECS"
  jcmd $pid JFR.stop name=probe >/dev/null
fi
c1=$(cpu_ms $pid); p1=$(probes "$port")
threads $pid >"$work/t1"
rss=$(awk '/VmRSS/{printf "%.1f", $2/1024}' /proc/$pid/status)
awk -v c="$(echo "$c1 - $c0" | bc)" -v p="$(echo "$p1 - $p0" | bc)" -v n="$N" -v secs="$SECS" -v rss="$rss" \
  'BEGIN{printf "%d HTTP checks: %d probes in %d s; CPU %.0f ms = %.3f ms per probe; RSS %s MiB\n", n, p, secs, c, c/p, rss}'
echo "CPU by thread (ms):"
join "$work/t0" "$work/t1" | awk -v hz="$hz" '{u=($5-$2)*1000/hz; s=($6-$3)*1000/hz; U[$4]+=u; S[$4]+=s}
  END{for (k in U) if (U[k]+S[k] > 0) printf "  %6d user %6d sys  %s\n", U[k], S[k], k}' | sort -k1 -nr
kill $pid; wait $pid || true

if $use_perf; then
  echo "where the CPU goes (self time; [JIT] is compiled Java, [k] the kernel):"
  perf report -i "$work/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | grep -E '^ +[0-9]' | head -6
  perf report -i "$work/perf.data" --stdio --no-children --sort sym -g none 2>/dev/null | grep -E '^ +[0-9]' | head -25
  echo "inclusive time of medic's frames and the Vert.x/Micrometer frames around them:"
  perf report -i "$work/perf.data" --stdio --children --sort sym -g none 2>/dev/null | grep -E '^ +[0-9]' \
    | grep -E 'dev\.medic|io\.vertx\.micrometer|HttpClientImpl\.request|Http1xClientConnection\.(writeHead|handleResponseEnd)|registerMeter|regex\.Matcher\.replaceAll|NioIoHandler\.run|epoll_wait' \
    | head -30
  rm -f "/tmp/perf-$pid.map"
else
  echo "recording: daemon/target/profile-http.jfr"
fi
