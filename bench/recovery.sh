#!/usr/bin/env bash
# Recovery timing (issue: recovery engine): a real redis-server watched by medic with a command
# action that starts it again; N times `kill -9` at a random moment of the cycle, and the time from
# the kill until medic reports the check ok again (after confirming, restarting and verifying).
# Usage: bench/recovery.sh [RUNS=5] [INTERVAL=5s] [FALL=2] [RETRY=1s]
# Needs daemon/target/medic.jar, curl, jq-free (awk), and a redis-server binary: $REDIS_SERVER, or
# `redis-server` on PATH, or the one embedded-redis ships in ~/.m2.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}; INTERVAL=${2:-5s}; FALL=${3:-2}; RETRY=${4:-1s}
JAR=daemon/target/medic.jar
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000)); api=$((port + 1))
cleanup() {
  [ -n "${medic:-}" ] && kill "$medic" 2>/dev/null || true
  [ -f "$work/redis.pid" ] && kill -9 "$(cat "$work/redis.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bin=${REDIS_SERVER:-$(command -v redis-server || true)}
if [ -z "$bin" ]; then
  jar=$(ls ~/.m2/repository/com/github/codemonstur/embedded-redis/*/embedded-redis-*.jar | head -1)
  (cd "$work" && unzip -q -o "$jar" redis-server-6.2.6-v5-linux-amd64) && bin="$work/redis-server-6.2.6-v5-linux-amd64"
  chmod +x "$bin"
fi
args=("$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --dir "$work" --pidfile "$work/redis.pid")
"${args[@]}"
cmd=$(printf '"%s", ' "${args[@]}"); cmd="[${cmd%, }]"
cat >"$work/medic.conf" <<CONF
medic {
  http.port = $api
  journal.dir = "$work/journal"
  checks.cache {
    type = redis, uri = "redis://127.0.0.1:$port"
    interval = $INTERVAL, fall = $FALL, retry-interval = $RETRY
    # Kills seconds apart are flapping by the default (5 changes in 10m): medic would rightly
    # stop acting. Here every kill must be measured.
    flap.changes = 1000
    on-critical = [start-redis]
  }
  # cooldown 0s: the kills below come seconds apart, and the default 1m cooldown after a
  # successful restart would (rightly) hold the next restart back.
  actions.start-redis { type = command, command = $cmd, grace = 500ms, max-attempts = 100, within = 1m, backoff.initial = 1s, cooldown = 0s }
}
CONF
java -jar "$JAR" run --config "$work/medic.conf" >"$work/medic.log" 2>&1 &
medic=$!
status() { curl -s "127.0.0.1:$api/status?check=cache" | awk -F'"' '/"status"/{print $4; exit}'; }
until [ "$(status)" = ok ]; do sleep 0.2; done
echo "redis watched with interval=$INTERVAL fall=$FALL retry-interval=$RETRY; $RUNS kills"
times=()
for i in $(seq 1 "$RUNS"); do
  sleep "$(awk -v s=$RANDOM 'BEGIN{srand(s); printf "%.2f", 1 + rand()*5}')"   # a random moment
  t0=$(date +%s%N)
  kill -9 "$(cat "$work/redis.pid")"
  until [ "$(status)" = critical ]; do sleep 0.05; done
  until [ "$(status)" = ok ]; do sleep 0.05; done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  times+=("$ms"); echo "  run $i: kill -9 -> ok in $ms ms"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END{m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "median %d ms, max %d ms over %d runs\n", m, a[NR], NR}'
