#!/usr/bin/env bash
# Checks what ships around the jar: alert rules, dashboard, Kubernetes and compose YAML, the
# systemd unit and install script, polkit/sudoers examples, and the container's jlink runtime
# (built and started here, since there is no Docker engine). Run after `mvn -B verify`: it uses
# daemon/target/medic.jar and the metrics scrape the tests leave in daemon/target/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

jar=daemon/target/medic.jar
[ -r "$jar" ] || { echo "verify-packaging: no $jar; run mvn -B verify first" >&2; exit 1; }
design=${MEDIC_DESIGN:-$repo/../shared/DESIGN.md}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
skipped=0
pass() { passed=$((passed + 1)); echo "ok    $*"; }
fail() { failed=$((failed + 1)); echo "FAIL  $*" >&2; }
skip() { skipped=$((skipped + 1)); echo "skip  $*"; }
medic() { java -jar "$jar" "$@"; }

# ---- Prometheus rules ---------------------------------------------------------------------
if command -v promtool >/dev/null; then
  if (cd docs/prometheus && promtool check rules medic-rules.yml && promtool test rules medic-rules.test.yml); then
    pass "promtool check rules + test rules (docs/prometheus)"
  else
    fail "promtool on docs/prometheus"
  fi
else
  fail "promtool is missing (Debian package prometheus; .ci/run installs it)"
fi

# ---- YAML: Kubernetes manifests, compose demo ---------------------------------------------
yaml_ok=false
py=""
# A pyenv python3 may come first on PATH without PyYAML; Debian's has it from python3-yaml.
for candidate in python3 /usr/bin/python3; do
  if "$candidate" -c 'import yaml' 2>/dev/null; then
    py=$candidate
    yaml_ok=true
    break
  fi
done
$yaml_ok || fail "no python3 can import yaml (Debian package python3-yaml; .ci/run installs it)"
if $yaml_ok; then
  if "$py" - "$work" <<'PY'
import sys, yaml
work = sys.argv[1]
def load(path):
    return [d for d in yaml.safe_load_all(open(path)) if d is not None]
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)

side = {d["kind"]: d for d in load("docker/k8s/sidecar.yaml")}
need(set(side) == {"ServiceAccount", "Role", "RoleBinding", "Secret", "ConfigMap", "Deployment"}, "sidecar kinds: %s" % sorted(side))
rules = side["Role"]["rules"]
need(rules == [
    {"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["app"], "verbs": ["patch"]},
    {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}],
    "the sidecar Role must allow patch of its own deployment and delete of pods, nothing more: %s" % rules)
need(side["RoleBinding"]["roleRef"]["name"] == "medic" and side["RoleBinding"]["subjects"][0]["name"] == "medic", "RoleBinding")
pod = side["Deployment"]["spec"]["template"]["spec"]
need(pod["serviceAccountName"] == "medic", "the pod runs as ServiceAccount medic")
medic = [c for c in pod["containers"] if c["name"] == "medic"][0]
need(medic["livenessProbe"]["httpGet"]["path"] == "/health", "sidecar liveness on /health")
need(medic["readinessProbe"]["httpGet"]["path"] == "/ready", "sidecar readiness on /ready")
env = {e["name"]: e for e in medic["env"]}
need(env["MEDIC_TOKEN"]["valueFrom"]["secretKeyRef"]["name"] == "medic-token", "token from the Secret")
vols = {v["name"]: v for v in pod["volumes"]}
need(vols["medic-config"]["configMap"]["name"] == "medic-config", "config from the ConfigMap")
sc = medic["securityContext"]
need(sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True and sc["runAsUser"] == 10001,
     "sidecar securityContext")
need(side["Secret"]["stringData"]["token"] == "", "the shipped Secret must not carry a usable token")
open(work + "/sidecar.conf", "w").write(side["ConfigMap"]["data"]["medic.conf"])

node = {d["kind"]: d for d in load("docker/k8s/daemonset.yaml")}
need("DaemonSet" in node, "daemonset.yaml has a DaemonSet")
ds = node["DaemonSet"]["spec"]["template"]["spec"]
need(ds.get("automountServiceAccountToken") is False, "the node DaemonSet needs no API token")
c = ds["containers"][0]
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
need(mounts["/host/proc"].get("readOnly") is True and mounts["/host/root"].get("readOnly") is True,
     "host /proc and / mounted read-only")
need(c["livenessProbe"]["httpGet"]["path"] == "/health" and c["readinessProbe"]["httpGet"]["path"] == "/ready", "DaemonSet probes")
open(work + "/node.conf", "w").write(node["ConfigMap"]["data"]["medic.conf"])

compose = load("docker/compose.yaml")[0]
need(set(compose["services"]) == {"app", "db", "cache", "medic"}, "compose services: %s" % sorted(compose["services"]))
need("./compose/medic.conf:/etc/medic/medic.conf:ro" in compose["services"]["medic"]["volumes"], "compose mounts medic.conf")
for f in ("docs/prometheus/medic-rules.yml", "docs/prometheus/medic-rules.test.yml"):
    load(f)
for p in problems:
    print("  " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
  then
    pass "YAML parses; k8s RBAC, probes, Secret, ConfigMap, read-only host mounts; compose services"
  else
    fail "YAML manifests (see above)"
  fi
fi

# ---- configurations that ship: medic check on each --------------------------------------
check_config() {
  local conf=$1 what=$2 out
  if out=$(medic check --config "$conf" 2>&1); then
    pass "medic check: $what"
  elif [ -z "$(printf '%s\n' "$out" | grep -E '^[^ ]+:[0-9]+: ' | grep -vE 'unknown action type|unknown action "')" ] \
      && printf '%s\n' "$out" | grep -q 'unknown action type'; then
    # The action types (kubernetes, systemd, ...) land on their own branches; until this jar has
    # them, only their type is unknown. Anything else is a real problem.
    skip "medic check: $what needs action types this jar lacks: $(printf '%s\n' "$out" | grep -o 'unknown action type "[^"]*"' | sort -u | tr '\n' ' ')"
  else
    printf '%s\n' "$out" >&2
    fail "medic check: $what"
  fi
}
check_config systemd/medic.conf "systemd/medic.conf"
check_config docker/medic.conf "docker/medic.conf (image default)"
check_config docker/compose/medic.conf "docker/compose/medic.conf"
if $yaml_ok; then
  check_config "$work/sidecar.conf" "k8s sidecar ConfigMap"
  check_config "$work/node.conf" "k8s DaemonSet ConfigMap"
fi

# ---- systemd unit and install.sh --------------------------------------------------------
stage="$work/root"
if ./systemd/install.sh --destdir "$stage" >"$work/install1.log" 2>&1 \
    && env1=$(sha256sum "$stage/etc/medic/medic.env") \
    && echo "# edited" >> "$stage/etc/medic/medic.conf" \
    && ./systemd/install.sh --destdir "$stage" >"$work/install2.log" 2>&1 \
    && [ "$env1" = "$(sha256sum "$stage/etc/medic/medic.env")" ] \
    && grep -q '^# edited' "$stage/etc/medic/medic.conf" \
    && grep -q '^MEDIC_TOKEN=.\{20,\}' "$stage/etc/medic/medic.env" \
    && [ "$(stat -c %a "$stage/etc/medic/medic.env")" = 640 ] \
    && [ "$(stat -c %a "$stage/var/lib/medic")" = 750 ] \
    && [ -x "$stage/opt/medic/bin/medic" ] && cmp -s "$jar" "$stage/opt/medic/medic.jar" \
    && ! grep -q MEDIC_TOKEN "$work/install1.log" "$work/install2.log"; then
  pass "install.sh --destdir: layout, modes, token written once and never printed, config kept on re-run"
else
  cat "$work"/install*.log >&2 || true
  fail "install.sh --destdir"
fi
if out=$(MEDIC_JOURNAL_DIR="$work/journal" "$stage/opt/medic/bin/medic" version 2>&1) && [[ $out == medic* ]]; then
  pass "the installed launcher runs medic ($out)"
else
  fail "installed launcher: $out"
fi
# The launcher from a source checkout, as README runs it: no ../medic.jar beside systemd/, so it
# runs daemon/target/medic.jar, from any working directory; with neither jar it says what to build.
want=$(medic version 2>&1)
if out=$(cd "$work" && MEDIC_JOURNAL_DIR="$work/journal" "$repo/systemd/medic" version 2>&1) \
    && [[ $out == "medic "* ]] && [ "$out" = "$want" ]; then
  pass "the launcher in a checkout (systemd/medic) runs daemon/target/medic.jar ($out)"
else
  fail "systemd/medic version from the checkout: $out (expected $want)"
fi
mkdir -p "$work/bare/systemd" && cp systemd/medic "$work/bare/systemd/medic"
rc=0
out=$("$work/bare/systemd/medic" version 2>&1) || rc=$?
if [ "$rc" -eq 1 ] && grep -q 'no medic.jar.*mvn -B package' <<<"$out"; then
  pass "the launcher without a jar exits 1 and says what to build"
else
  fail "launcher without a jar: exit $rc, $out"
fi
if command -v systemd-analyze >/dev/null; then
  # verify wants ExecStart to exist: point it at the staged launcher. It exits 0 on unknown keys
  # and bad values, printing them: any output at all is a failure here.
  mkdir -p "$work/unit"
  sed "s|/opt/medic/bin/medic|$stage/opt/medic/bin/medic|" systemd/medic.service > "$work/unit/medic.service"
  if out=$(systemd-analyze verify "$work/unit/medic.service" 2>&1) && [ -z "$out" ]; then
    pass "systemd-analyze verify systemd/medic.service"
  else
    printf '%s\n' "$out" >&2
    fail "systemd-analyze verify systemd/medic.service"
  fi
else
  skip "systemd-analyze not installed (Debian package systemd)"
fi
for key in "Type=notify" "NotifyAccess=all" "WatchdogSec=" "Restart=on-failure" "RestartPreventExitStatus=78" \
    "ExecReload=/bin/kill -HUP \$MAINPID" "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" \
    "PrivateTmp=yes" "ReadWritePaths=/var/lib/medic" "Environment=MEDIC_JOURNAL_DIR=/var/lib/medic"; do
  awk -v k="$key" 'index($0, k) == 1 { found = 1 } END { exit !found }' systemd/medic.service || lacks="$lacks $key"
done
if [ -z "${lacks:-}" ]; then
  pass "medic.service carries notify, watchdog, restart policy and hardening keys"
else
  fail "medic.service lacks:$lacks"
fi

# ---- polkit rule: only the named units, only restart/reload, only the medic user ----------
if command -v node >/dev/null; then
  if node - systemd/polkit/50-medic.rules <<'JS'
const fs = require('fs');
const src = fs.readFileSync(process.argv[2], 'utf8');
const rules = [];
const polkit = { Result: { YES: 'yes', NO: 'no', NOT_HANDLED: null }, addRule: r => rules.push(r) };
new Function('polkit', src)(polkit);
const ask = (user, id, unit, verb) => rules[0]({ id, lookup: k => ({ unit, verb })[k] }, { user });
const M = 'org.freedesktop.systemd1.manage-units';
const cases = [
  ['medic', M, 'app.service', 'restart', 'yes'], ['medic', M, 'app.service', 'reload', 'yes'],
  ['medic', M, 'redis-server.service', 'try-restart', 'yes'], ['medic', M, 'app.service', 'stop', null],
  ['medic', M, 'app.service', 'start', null], ['medic', M, 'sshd.service', 'restart', null],
  ['www-data', M, 'app.service', 'restart', null], ['medic', 'org.freedesktop.systemd1.manage-unit-files', 'app.service', 'restart', null],
];
let bad = 0;
for (const [u, id, unit, verb, want] of cases) {
  const got = ask(u, id, unit, verb);
  if (got !== want) { bad++; console.error(`polkit: ${u} ${verb} ${unit} (${id}) gave ${got}, expected ${want}`); }
}
if (rules.length !== 1) { bad++; console.error('expected exactly one rule'); }
process.exit(bad ? 1 : 0);
JS
  then
    pass "polkit rule: medic may restart/reload only the listed units"
  else
    fail "polkit rule decisions"
  fi
else
  skip "node not installed: polkit rule not exercised"
fi
if command -v visudo >/dev/null; then
  if visudo -cf systemd/sudoers/medic >/dev/null; then
    pass "visudo -c systemd/sudoers/medic"
  else
    fail "visudo -c systemd/sudoers/medic"
  fi
else
  skip "visudo not installed (Debian package sudo): sudoers example not parsed"
fi
if bash -n systemd/install.sh docker/build-runtime.sh .ci/run && sh -n systemd/medic; then
  pass "shell syntax of install.sh, build-runtime.sh, the launcher"
else
  fail "shell syntax"
fi

# ---- Dockerfile: what it copies exists; the runtime it builds runs medic --------------------
missing=""
while read -r src; do
  [ -e "$src" ] || missing="$missing $src"
done < <(grep -E '^COPY ' docker/Dockerfile | grep -v -- '--from=' | awk '{for (i = 2; i < NF; i++) print $i}')
if [ -z "$missing" ] && grep -q '^HEALTHCHECK' docker/Dockerfile && grep -q '^USER ' docker/Dockerfile \
    && ! grep -qi 'curl' <(grep -E '^(HEALTHCHECK|  CMD)' docker/Dockerfile); then
  pass "Dockerfile: COPY sources exist; non-root USER; HEALTHCHECK without curl"
else
  fail "Dockerfile: missing COPY sources:${missing:- none}"
fi
if ./docker/build-runtime.sh --jar "$jar" --out "$work/runtime" --check --scrape "$work/scrape.txt"; then
  pass "docker/build-runtime.sh: jlink runtime built; medic on it answered /ready 200 and stopped cleanly"
else
  fail "docker/build-runtime.sh --check"
fi

# ---- class-data archive ---------------------------------------------------------------------
# mvn package trains daemon/target/medic.jsa for daemon/target/medic.jar (absolute paths, as the
# archive records them). -Xshare:on makes a JVM that cannot map it fail instead of going on.
shared_top='dev.medic.Main source: shared objects file'
if [ -s daemon/target/medic.jsa ] \
    && out=$(java -XX:SharedArchiveFile="$repo/daemon/target/medic.jsa" -Xshare:on -Xlog:class+load=info \
      -jar "$repo/$jar" version 2>&1) && grep -q "$shared_top (top)" <<<"$out"; then
  pass "daemon/target/medic.jsa (mvn package) maps with -Xshare:on; medic's classes load from it ($(grep -c 'shared objects file (top)' <<<"$out") classes)"
else
  printf '%s\n' "${out:-no daemon/target/medic.jsa}" | grep -Ev '\[class,load\]' | tail -5 >&2
  fail "daemon/target/medic.jsa from mvn package (build it with mvn -B package)"
fi

# The launcher on the jlink runtime, in the image's layout: `medic train` makes the archive and its
# stamp, runs use it, a stale one is remade by `medic run`, and one this JVM rejects is a warning.
if [ -x "$work/runtime/bin/java" ]; then
  img="$work/image/opt/medic"
  install -d "$img/bin"
  install -p -m 0644 "$jar" "$img/medic.jar"
  install -m 0755 systemd/medic "$img/bin/medic"
  cp -a "$work/runtime" "$img/runtime"
  # exec: run in the background, the launcher (and then the JVM) keeps the PID that $! names.
  launch() { exec env -u MEDIC_CDS_DIR -u CACHE_DIRECTORY HOME="$work/home" MEDIC_JOURNAL_DIR="$work/journal" "$img/bin/medic" "$@"; }
  flags="-XX:+UseSerialGC -Xms8m -Xmx256m -Xss512k -XX:TieredStopAtLevel=1"
  if (launch train) >"$work/train.out" 2>&1 && [ -s "$img/medic.jsa" ] && [ -s "$img/medic.jsa.stamp" ] \
      && out=$(MEDIC_JAVA_OPTS="$flags -Xlog:class+load=info" launch version 2>&1) \
      && grep -q "$shared_top (top)" <<<"$out"; then
    pass "launcher: medic train made $(du -h "$img/medic.jsa" | cut -f1) medic.jsa for the jlink runtime; medic's classes load from it"
  else
    cat "$work/train.out" >&2
    fail "launcher: medic train / archive in use"
  fi
  # Stale: a new jar (here: a new mtime). `medic run` remakes the archive before it starts.
  touch "$img/medic.jar"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  printf 'medic { http.port = %d\n journal.dir = "%s"\n checks.root { type = disk, path = "/" } }\n' \
    "$port" "$work/journal" >"$work/cds.conf"
  old_stamp=$(cat "$img/medic.jsa.stamp")
  (launch run --config "$work/cds.conf") >"$work/cds-run.log" 2>&1 &
  cds_pid=$!
  code=000
  for _ in $(seq 1 150); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready" || true)
    [ "$code" = 200 ] && break
    kill -0 "$cds_pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -TERM "$cds_pid" 2>/dev/null || true
  rc=0
  wait "$cds_pid" || rc=$?
  if [ "$code" = 200 ] && [ "$rc" -eq 0 ] && grep -q "making a class-data archive" "$work/cds-run.log" \
      && [ "$(cat "$img/medic.jsa.stamp")" != "$old_stamp" ] \
      && out=$(MEDIC_JAVA_OPTS="$flags -Xlog:class+load=info" launch version 2>&1) \
      && grep -q "$shared_top (top)" <<<"$out"; then
    pass "launcher: a stale archive (new jar) is remade by medic run, which then answers /ready 200 and stops with 0"
  else
    cat "$work/cds-run.log" >&2
    fail "launcher: stale archive on medic run (ready $code, exit $rc)"
  fi
  # An archive the JVM rejects although its stamp matches (here: made by another JVM for another
  # path): -Xshare:auto, so medic runs all the same, from the jar.
  # Replaced, never rewritten in place: a JVM that maps the old file would crash (SIGSEGV).
  cp "daemon/target/medic.jsa" "$img/medic.jsa.new" 2>/dev/null && mv -f "$img/medic.jsa.new" "$img/medic.jsa"
  if out=$(MEDIC_JAVA_OPTS="$flags -Xlog:class+load=info" launch version 2>&1) && grep -q '^medic ' <<<"$out" \
      && grep -q 'dev.medic.Main source: file:' <<<"$out"; then
    pass "launcher: an archive the JVM cannot use is skipped (-Xshare:auto), not a failed start"
  else
    printf '%s\n' "$out" | grep -v 'class,load' >&2
    fail "launcher: unusable archive"
  fi
  # A moved or changed jar without the launcher (its stamp) to notice: the JVM's own warning.
  cp -p "$img/medic.jar" "$work/moved.jar"
  (launch train) >/dev/null 2>&1 || true
  if out=$("$img/runtime/bin/java" -XX:SharedArchiveFile="$img/medic.jsa" -Xshare:auto -jar "$work/moved.jar" version 2>&1) \
      && grep -q '^medic ' <<<"$out" && grep -qi 'unable to use shared archive' <<<"$out"; then
    pass "an archive for another jar path: the JVM warns and medic runs without it"
  else
    printf '%s\n' "$out" >&2
    fail "archive for another jar path"
  fi
else
  fail "launcher archive checks need the jlink runtime from docker/build-runtime.sh"
fi
# JDK 25+ (the Temurin under /usr/lib/jvm here): the launcher makes and uses the AOT cache.
jdk25=$(ls -d /usr/lib/jvm/temurin-2[5-9]* /usr/lib/jvm/*-2[5-9]-* 2>/dev/null | head -1 || true)
if [ -n "$jdk25" ] && [ -x "$jdk25/bin/java" ]; then
  aot="$work/aot/opt/medic"
  install -d "$aot/bin"
  install -p -m 0644 "$jar" "$aot/medic.jar"
  install -m 0755 systemd/medic "$aot/bin/medic"
  if JAVA_HOME="$jdk25" HOME="$work/home" MEDIC_JOURNAL_DIR="$work/journal" "$aot/bin/medic" train >"$work/aot.out" 2>&1 \
      && [ -s "$aot/medic.aot" ] \
      && out=$(JAVA_HOME="$jdk25" MEDIC_JAVA_OPTS="-Xlog:class+load=info" "$aot/bin/medic" version 2>&1) \
      && grep -q "$shared_top" <<<"$out"; then
    pass "launcher on $(basename "$jdk25"): medic train made the AOT cache ($(du -h "$aot/medic.aot" | cut -f1)); medic's classes load from it"
  else
    cat "$work/aot.out" >&2
    fail "launcher: AOT cache on $jdk25"
  fi
else
  skip "no JDK 25+ under /usr/lib/jvm: AOT cache not exercised"
fi

# ---- Grafana dashboard --------------------------------------------------------------------
scrapes=()
[ -s "$work/scrape.txt" ] && scrapes+=("$work/scrape.txt")
[ -s daemon/target/metrics-scrape.txt ] && scrapes+=(daemon/target/metrics-scrape.txt)
if [ ! -r "$design" ]; then
  fail "no DESIGN.md at $design (set MEDIC_DESIGN)"
elif [ ${#scrapes[@]} -lt 2 ]; then
  fail "dashboard check needs both scrapes (runtime and daemon/target/metrics-scrape.txt from mvn verify)"
elif python3 -m json.tool docs/grafana/medic-dashboard.json >/dev/null \
    && python3 .ci/check-dashboard-metrics.py docs/grafana/medic-dashboard.json "$design" "${scrapes[@]}"; then
  pass "docs/grafana/medic-dashboard.json parses; every metric it uses is scraped or in DESIGN §8"
else
  fail "docs/grafana/medic-dashboard.json"
fi

echo "packaging: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
