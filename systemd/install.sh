#!/usr/bin/env bash
# Installs (or upgrades) medic as a systemd service:
#   /opt/medic/medic.jar, /opt/medic/bin/medic      the daemon and its launcher
#   /opt/medic/runtime/                             optional: a jlink'd Java runtime (--runtime)
#   /opt/medic/examples/                            polkit rule and sudoers examples, to adapt
#   /etc/medic/medic.conf, /etc/medic/medic.env     config and token: written once, never overwritten
#   /var/lib/medic/                                 the journal, owned by the medic user
#   /etc/systemd/system/medic.service               the unit
# and a `medic` system user. Running it again upgrades the jar, launcher and unit and keeps the
# operator's config, token and journal.
#
# --destdir DIR (or DESTDIR=DIR) lays all of this out under DIR instead of / and changes nothing
# else: no user, no chown, no systemctl. That is how CI tests it, without root.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: install.sh [--destdir DIR] [--jar FILE] [--runtime DIR] [--cds] [--no-start]
  --destdir DIR  stage the layout under DIR; no user, ownership or systemctl changes
  --jar FILE     the medic jar (default: daemon/target/medic.jar next to this script)
  --runtime DIR  also install this Java runtime (e.g. from docker/build-runtime.sh) as /opt/medic/runtime
  --cds          make the class-data archive (AppCDS; AOT cache on JDK 25+) now rather than on
                 the first start
  --no-start     do not enable or (re)start the service
USAGE
}

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
repo=$(dirname -- "$here")
destdir=${DESTDIR:-}
jar="$repo/daemon/target/medic.jar"
runtime=""
cds=false
start=true
while [ $# -gt 0 ]; do
  case "$1" in
    --destdir) destdir=${2:?--destdir needs a directory}; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --prefix) destdir=${2:?--prefix needs a directory}; shift 2 ;;  # the same, for habit's sake
    --jar) jar=${2:?--jar needs a file}; shift 2 ;;
    --runtime) runtime=${2:?--runtime needs a directory}; shift 2 ;;
    --cds) cds=true; shift ;;
    --no-start) start=false; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; usage >&2; exit 64 ;;
  esac
done

[ -r "$jar" ] || { echo "install.sh: no jar at $jar (build it: mvn -B package -DskipTests)" >&2; exit 66; }
staged=false
if [ -n "$destdir" ]; then
  staged=true
  mkdir -p "$destdir"
  destdir=$(CDPATH= cd -- "$destdir" && pwd)
elif [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root, or stage with --destdir DIR" >&2
  exit 77
fi
root=${destdir:-}

say() { printf 'install.sh: %s\n' "$*"; }

# ---- the user ----------------------------------------------------------------------------
if $staged; then
  say "staged layout in $root: not creating the medic user"
elif getent passwd medic >/dev/null; then
  say "user medic exists"
else
  useradd --system --user-group --home-dir /var/lib/medic --no-create-home \
    --shell /usr/sbin/nologin --comment "medic health daemon" medic
  say "created system user medic"
fi

# ---- directories -------------------------------------------------------------------------
install -d -m 0755 "$root/opt/medic" "$root/opt/medic/bin" "$root/opt/medic/examples" "$root/opt/medic/docs" \
  "$root/etc/systemd/system"
install -d -m 0750 "$root/etc/medic" "$root/var/lib/medic"
if ! $staged; then
  chown root:medic /etc/medic
  chown medic:medic /var/lib/medic
fi

# ---- program files (replaced on upgrade) --------------------------------------------------
old_sum=""
[ -f "$root/opt/medic/medic.jar" ] && old_sum=$(sha256sum "$root/opt/medic/medic.jar" | cut -d' ' -f1)
install -m 0644 "$jar" "$root/opt/medic/medic.jar.new"
mv -f "$root/opt/medic/medic.jar.new" "$root/opt/medic/medic.jar"
new_sum=$(sha256sum "$root/opt/medic/medic.jar" | cut -d' ' -f1)
if [ -n "$old_sum" ] && [ "$old_sum" != "$new_sum" ]; then
  # A class-data archive belongs to one exact jar: the launcher would remake a stale one in
  # /var/cache/medic anyway; leave nothing stale here.
  rm -f "$root/opt/medic/medic.jsa" "$root/opt/medic/medic.jsa".* "$root/opt/medic/medic.aot" "$root/opt/medic/medic.aot".*
  say "upgraded medic.jar"
fi
install -m 0755 "$here/medic" "$root/opt/medic/bin/medic"
install -m 0644 "$here/polkit/50-medic.rules" "$root/opt/medic/examples/50-medic.rules"
install -m 0644 "$here/sudoers/medic" "$root/opt/medic/examples/sudoers-medic"
for doc in operations.md deployment.md status-page.md actions.md; do
  [ -f "$repo/docs/$doc" ] && install -m 0644 "$repo/docs/$doc" "$root/opt/medic/docs/$doc"
done
if [ -n "$runtime" ]; then
  [ -x "$runtime/bin/java" ] || { echo "install.sh: $runtime/bin/java is missing" >&2; exit 66; }
  rm -rf "$root/opt/medic/runtime.new"
  cp -a "$runtime" "$root/opt/medic/runtime.new"
  rm -rf "$root/opt/medic/runtime"
  mv "$root/opt/medic/runtime.new" "$root/opt/medic/runtime"
  say "installed the Java runtime from $runtime"
fi
install -m 0644 "$here/medic.service" "$root/etc/systemd/system/medic.service"

# ---- configuration (written once: the operator's from then on) ----------------------------
if [ -e "$root/etc/medic/medic.conf" ]; then
  say "keeping /etc/medic/medic.conf"
else
  install -m 0640 "$here/medic.conf" "$root/etc/medic/medic.conf"
  say "wrote /etc/medic/medic.conf (edit it, then: medic check --config /etc/medic/medic.conf)"
fi
if [ -e "$root/etc/medic/medic.env" ]; then
  say "keeping /etc/medic/medic.env"
else
  # A fresh random control token; printed nowhere. Read it as root when you need it.
  umask 077
  token=$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-40)
  printf '# Environment of medic.service. MEDIC_TOKEN guards the control API (POST/DELETE).\nMEDIC_TOKEN=%s\n' \
    "$token" > "$root/etc/medic/medic.env"
  chmod 0640 "$root/etc/medic/medic.env"
  unset token
  umask 022
  say "wrote /etc/medic/medic.env with a new control token"
fi
if ! $staged; then
  chown root:medic /etc/medic/medic.conf /etc/medic/medic.env
fi

# ---- class-data archive ------------------------------------------------------------------
# Without --cds the launcher makes one in /var/cache/medic on the first start; with it, now, in
# /opt/medic, by the launcher's own training run (`medic train`: the embedded default on a free
# loopback port, /ready, stop) with the unit's JVM flags.
if $cds && $staged; then
  say "--cds skipped: an archive is tied to the jar's final path, which a staged layout does not have"
elif $cds; then
  say "making the class-data archive (a training run of a few seconds)"
  opts=$(sed -n 's/^Environment="MEDIC_JAVA_OPTS=\(.*\)"$/\1/p' "$here/medic.service")
  if MEDIC_JAVA_OPTS="$opts" MEDIC_CDS_DIR=/opt/medic /opt/medic/bin/medic train; then
    chmod 0644 /opt/medic/medic.jsa /opt/medic/medic.aot 2>/dev/null || true
  else
    say "no archive (see /opt/medic/medic.jsa.log or medic.aot.log); medic will make one on its first start"
  fi
fi

# ---- systemd -----------------------------------------------------------------------------
if $staged; then
  say "staged; to use it for real, run this script as root without --destdir"
  exit 0
fi
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemctl daemon-reload
  if $start; then
    systemctl enable medic.service >/dev/null
    # restart, not start: on an upgrade the new jar must be the one running.
    systemctl restart medic.service
    say "medic.service enabled and (re)started; systemctl status medic / journalctl -u medic"
  else
    say "installed; start it with: systemctl enable --now medic"
  fi
else
  say "systemd is not running here: start medic with /opt/medic/bin/medic run --config /etc/medic/medic.conf"
fi
