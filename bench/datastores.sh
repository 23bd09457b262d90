#!/usr/bin/env bash
# Datastore probe latency next to raw clients, against the same embedded servers (issue:
# datastore probes). The probes' own latency comes from bench/DatastoreLatency.java; the raw
# clients are timed here, each several times, medians reported.
#   new connection:  redis-cli ping, psql -c 'select 1' (one process each: connect, log in, query)
#   kept connection: redis-cli -r N ping / info, pgbench -t N (select 1, then the probe's queries)
# Usage: bench/datastores.sh [RUNS=200]
# Needs: mvn -B -q test-compile (once), psql, pgbench, redis-cli (apt-get install redis-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
work=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null || true; wait || true; rm -rf "$work"' EXIT
cp=$(cd daemon && mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp" >/dev/null && cat "$work/cp")
mkdir -p daemon/target/tmp
mkfifo "$work/in"
java -Djava.io.tmpdir="$PWD/daemon/target/tmp" -cp "daemon/target/classes:daemon/target/test-classes:$cp" \
  bench/DatastoreLatency.java "$N" <"$work/in" >"$work/out" 2>"$work/err" &
exec 3>"$work/in"
until grep -q '^DONE' "$work/out" 2>/dev/null; do
  if ! kill -0 $! 2>/dev/null; then cat "$work/err" >&2; exit 1; fi
  sleep 0.2
done
pg=$(awk '/^PG /{print $2}' "$work/out")
redis=$(awk '/^REDIS /{print $2}' "$work/out")
sql=$(awk '/^SQL /{print $2}' "$work/out")

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
wall_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); awk -v d=$((e - s)) 'BEGIN{printf "%.3f\n", d/1e6}'; }
times() { local k=$1; shift; for _ in $(seq "$k"); do wall_ms "$@"; done | median; }
per_op() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); awk -v d=$((e - s)) -v n="$N" 'BEGIN{printf "%.3f\n", d/1e6/n}'; }

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
grep ' probe, ' "$work/out"
printf '%-36s median %s ms  (20 processes)\n' "redis-cli -p $redis ping" "$(times 20 redis-cli -p "$redis" ping)"
printf '%-36s median %s ms  (20 processes)\n' "psql -c 'select 1'" \
  "$(times 20 psql -X -q -h 127.0.0.1 -p "$pg" -U postgres -d postgres -c 'select 1')"
printf '%-36s %s ms per PING (one connection, median of 5)\n' "redis-cli -r $N ping" \
  "$(for _ in 1 2 3 4 5; do per_op redis-cli -p "$redis" -r "$N" ping; done | median)"
printf '%-36s %s ms per INFO (one connection, median of 5)\n' "redis-cli -r $N info" \
  "$(for _ in 1 2 3 4 5; do per_op redis-cli -p "$redis" -r "$N" info; done | median)"
echo 'SELECT 1;' >"$work/select1.sql"
pgb() { pgbench -n -h 127.0.0.1 -p "$pg" -U postgres -t "$N" -f "$1" postgres 2>/dev/null | awk '/latency average/{print $4}'; }
printf '%-36s %s ms per transaction (median of 5)\n' "pgbench -t $N: SELECT 1" \
  "$(for _ in 1 2 3 4 5; do pgb "$work/select1.sql"; done | median)"
printf '%-36s %s ms per transaction (median of 5)\n' "pgbench -t $N: probe's 2 queries" \
  "$(for _ in 1 2 3 4 5; do pgb "$sql"; done | median)"
