#!/usr/bin/env bash
# JMH micro-benchmarks at 10,000 checks (module bench/jmh): evaluation (Evaluator.apply), the
# /status document (StatusJson, built and encoded) and the /metrics text (MedicMetrics' registry
# scraped), plus recording one finished probe in the metrics.
# Usage: bench/jmh.sh [JMH arguments...]
#   bench/jmh.sh                     all of them, short settings (about 3 minutes)
#   bench/jmh.sh Status -i 10        one class, more iterations (any org.openjdk.jmh.Main option)
# Short settings by default: 1 fork, 3 warm-up and 5 measured iterations of 2 s each. On a shared
# 2-core machine the error bars are wide; compare runs made side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl bench/jmh -am package -DskipTests -Dmedic.cds.skip=true
cp="bench/jmh/target/classes:$(cat bench/jmh/target/jmh.classpath)"
defaults=(-f 1 -wi 3 -w 2s -i 5 -r 2s -foe true)
# The forked JVM runs as medic does (serial GC, C1 only), with a heap for 10,000 checks of fixtures.
exec java -cp "$cp" org.openjdk.jmh.Main "${defaults[@]}" -jvmArgsAppend "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx512m" "$@"
