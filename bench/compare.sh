#!/usr/bin/env bash
# medic beside Monit and blackbox_exporter (issue 7), in one run on this machine: loopback stub
# targets (N HTTP targets, a tenth of them hung: they accept and never answer), the same 5 s
# timeout for every tool, and for N = 100, 1,000 and 10,000: CPU ms per probe, peak RSS and the
# wall time of one round; then the recovery race (kill -9 of a real redis-server, watched by
# medic and by Monit with a 30 s cycle). Prints a table, writes bench/results/compare.csv,
# race.csv and machine.json, and draws docs/benchmarks-compare.png. About 40 minutes.
#
# Usage: bench/compare.sh [--smoke] [more options of dev.medic.bench.Compare, e.g. --sizes 100,1000
#        --rounds 3 --race-kills 10 --no-race --out DIR --plot PNG]
#   --smoke   N = 100, one round per tool, one kill per tool with a 5 s cycle; results under
#             bench/harness/target/smoke (.ci/run runs this so the harness keeps working).
# Needs: monit, prometheus-blackbox-exporter and redis-server (Debian packages), JDK 17, Maven.
# medic runs with MEDIC_JAVA_OPTS if set, else with the flags of the shipped systemd unit.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v monit >/dev/null 2>&1 || missing+=(monit)
command -v prometheus-blackbox-exporter >/dev/null 2>&1 || missing+=(prometheus-blackbox-exporter)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "compare.sh: missing ${missing[*]} (apt-get install -y ${missing[*]})" >&2
  exit 69
fi

[ -f daemon/target/medic.jar ] || mvn -B -q -pl daemon package -DskipTests
mvn -B -q -pl bench/harness package

if [ -z "${MEDIC_JAVA_OPTS+set}" ]; then
  MEDIC_JAVA_OPTS=$(sed -n 's/^Environment="MEDIC_JAVA_OPTS=\(.*\)"$/\1/p' systemd/medic.service)
fi
export MEDIC_JAVA_OPTS

args=()
for a in "$@"; do
  [ "$a" = --smoke ] && args+=(--out bench/harness/target/smoke --plot bench/harness/target/smoke/compare.png)
done
exec java -cp "bench/harness/target/classes:bench/harness/target/lib/*" dev.medic.bench.Compare \
  --jar daemon/target/medic.jar "${args[@]}" "$@"
