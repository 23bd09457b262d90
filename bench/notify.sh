#!/usr/bin/env bash
# Notification delivery time (issue: alerting): one medic with a webhook, a Slack-shaped webhook,
# email and Alertmanager channel, all to receivers on 127.0.0.1; a TCP check flipped RUNS times
# between refused and accepting; for each channel, the time from the state change (its journal
# record) to the "notification delivered" log line. group-wait is 0s here to measure the pipeline
# itself; the default group-wait (5s) adds its own wait by design.
# Usage: bench/notify.sh [RUNS=6]
# Needs daemon/target/medic.jar, python3 (3.11: smtpd) and /usr/bin/prometheus-alertmanager.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-6}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hook=$(free); smtp=$(free); am=$(free); amc=$(free); app=$(free); api=$(free)

# Receivers: an HTTP sink for webhook and slack, a debugging SMTP server, a real Alertmanager.
python3 - "$hook" >"$work/hook.log" 2>&1 <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get('content-length', 0))); self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids+=($!)
python3 -W ignore -m smtpd -n -c DebuggingServer "127.0.0.1:$smtp" >"$work/smtp.log" 2>&1 &
pids+=($!)
cat >"$work/am.yml" <<YML
route: { receiver: none }
receivers: [ { name: none } ]
YML
/usr/bin/prometheus-alertmanager --config.file="$work/am.yml" --storage.path="$work/am" \
  --web.listen-address="127.0.0.1:$am" --cluster.listen-address= >"$work/am.log" 2>&1 &
pids+=($!)

cat >"$work/medic.conf" <<CONF
medic {
  http.port = $api
  journal.dir = "$work/journal"
  # flap.changes: the flips below are seconds apart; by default medic would call that flapping
  # and (rightly) go quiet after announcing it once.
  checks.app { type = tcp, host = "127.0.0.1", port = $app, interval = 1s, timeout = 500ms, fall = 1, rise = 1, flap.changes = 1000 }
  notify {
    webhook { type = webhook, url = "http://127.0.0.1:$hook/hook", group-wait = 0s }
    slack   { type = slack, url = "http://127.0.0.1:$hook/slack", group-wait = 0s }
    email   { type = email, smtp { host = "127.0.0.1", port = $smtp, starttls = disabled }, from = "medic@localhost", to = ["ops@localhost"], group-wait = 0s }
    am      { type = alertmanager, url = "http://127.0.0.1:$am", group-wait = 0s }
  }
}
CONF
sleep 2
java -jar daemon/target/medic.jar run --config "$work/medic.conf" >"$work/medic.log" 2>&1 &
medic=$!; pids+=($medic)
until curl -sf -o /dev/null "127.0.0.1:$api/ready"; do sleep 0.1; done
sleep 3 # past the first (critical) round and its notifications
# Flip the app RUNS times: up (resolution), down (critical).
for i in $(seq 1 "$RUNS"); do
  python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1',$app)); s.listen(); time.sleep(3)" &
  wait $!
  sleep 3
done
sleep 2
kill "$medic"; wait "$medic" 2>/dev/null || true
# Pair each delivery with the latest state change before it.
python3 - "$work" <<'PY'
import json, re, sys, datetime, statistics
work = sys.argv[1]
def ts(s): return datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))
changes = [ts(json.loads(l)['ts']) for l in open(work + '/journal/journal.jsonl') if '"kind":"state"' in l]
by = {}
for line in open(work + '/medic.log'):
    if 'notification delivered' not in line: continue
    t = ts(line.split()[0]); ch = re.search(r'channel=(\S+)', line).group(1)
    before = [c for c in changes if c <= t]
    if before: by.setdefault(ch, []).append((t - before[-1]).total_seconds() * 1000)
print("state change -> delivered, group-wait 0s, median (min..max) over n deliveries:")
for ch, v in sorted(by.items()):
    print(f"  {ch:8s} {statistics.median(v):7.1f} ms  ({min(v):.1f}..{max(v):.1f}, n={len(v)})")
PY
