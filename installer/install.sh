#!/usr/bin/env bash
# Installs (or upgrades) Hearth as a systemd service on Debian/Raspberry Pi OS.
#
#   sudo installer/install.sh [--no-start]
#
# Run it from a checkout or an unpacked release. The app goes into /opt/hearth/releases/<version>
# with /opt/hearth/current a link to it (the layout `hearth update` uses; later updates:
# `sudo hearth update FILE --sha256 HASH`, which rolls back by itself). Safe to run again: it
# keeps /etc/hearth/hearth.yaml and /var/lib/hearth, the release before, and restarts the
# service (the hub backs the database up before it migrates). Needs Node.js >= 20.19 and npm.
set -euo pipefail

APP_DIR=/opt/hearth
CONF_DIR=/etc/hearth
DATA_DIR=/var/lib/hearth
UNIT=/etc/systemd/system/hearth.service
SERVICE_USER=hearth
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
START=1

for arg in "$@"; do
  case "$arg" in
    --no-start) START=0 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg" >&2; exit 64 ;;
  esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo $0)"
command -v node >/dev/null || die "Node.js is not installed (need >= 20.19)"
command -v npm >/dev/null || die "npm is not installed"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $(node --version) is too old; Hearth needs >= 20.19"
[ "$(command -v node)" = /usr/bin/node ] || say "note: the unit runs /usr/bin/node; node here is $(command -v node)"
if [ ! -f "$SRC/package.json" ] || [ ! -f "$SRC/systemd/hearth.service" ]; then
  die "run this from a Hearth checkout ($SRC has no package.json)"
fi

# 1. The service user and directories. The data directory is the hub's alone (0700);
#    the config directory is readable by the hub, writable by root only.
if ! getent passwd "$SERVICE_USER" >/dev/null; then
  say "creating system user $SERVICE_USER"
  useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
fi
install -d -m 0755 "$APP_DIR"
install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0700 "$DATA_DIR"
install -d -o root -g "$SERVICE_USER" -m 0750 "$CONF_DIR"

# 2. Build in a staging directory (the checkout is left as it was): full install, compile,
#    then production dependencies only, built for this machine's Node and CPU.
STAGE="$(mktemp -d /tmp/hearth-install.XXXXXX)"
trap 'rm -rf "$STAGE"' EXIT
say "building in $STAGE"
tar -C "$SRC" --exclude=./node_modules --exclude=./data --exclude=./.git --exclude=./test-results \
  --exclude=./bench/results --exclude=./coverage -cf - . | tar -C "$STAGE" -xf -
(
  cd "$STAGE"
  if [ ! -f dist/bundle/hearth.mjs ]; then
    npm ci --no-audit --no-fund --loglevel=error
    npm run build --silent
    rm -rf node_modules
  fi
  npm ci --omit=dev --no-audit --no-fund --loglevel=error
)
VERSION="$(node -p "require('$STAGE/package.json').version")"
RELEASES="$APP_DIR/releases"
NEW="$RELEASES/.new-$VERSION"
install -d -m 0755 "$RELEASES"
rm -rf "$NEW"
install -d -m 0755 "$NEW"
for part in bin dist node_modules config systemd installer docs package.json package-lock.json README.md; do
  if [ -e "$STAGE/$part" ]; then cp -a "$STAGE/$part" "$NEW/"; fi
done
if [ -d "$STAGE/ui/dist" ]; then
  install -d -m 0755 "$NEW/ui"
  cp -a "$STAGE/ui/dist" "$NEW/ui/"
fi
chown -R root:root "$NEW"
chmod -R go-w "$NEW"

# 3. Swap the app in. An install from before releases/ (the app directly in $APP_DIR) becomes
#    the previous release, so it stays the way back. Then current is switched with a rename:
#    a running hub never sees a half-copied tree, and current is never missing.
if [ -d "$APP_DIR/dist" ] && [ ! -L "$APP_DIR/current" ]; then
  OLD_VERSION="$(node -p "require('$APP_DIR/package.json').version" 2>/dev/null || echo old)"
  [ "$OLD_VERSION" != "$VERSION" ] || OLD_VERSION="$OLD_VERSION-before"
  install -d -m 0755 "$RELEASES/$OLD_VERSION"
  for part in bin dist node_modules config systemd docs ui package.json package-lock.json README.md; do
    if [ -e "$APP_DIR/$part" ]; then mv "$APP_DIR/$part" "$RELEASES/$OLD_VERSION/"; fi
  done
  ln -sfn "releases/$OLD_VERSION" "$APP_DIR/current"
fi
PREVIOUS="$(basename "$(readlink "$APP_DIR/current" 2>/dev/null || echo none)")"
if [ -d "$RELEASES/$VERSION" ]; then rm -rf "$RELEASES/.old-$VERSION"; mv "$RELEASES/$VERSION" "$RELEASES/.old-$VERSION"; fi
mv "$NEW" "$RELEASES/$VERSION"
ln -sfn "releases/$VERSION" "$APP_DIR/.current-new"
mv -T "$APP_DIR/.current-new" "$APP_DIR/current"
rm -rf "$RELEASES/.old-$VERSION"
# Keep two releases: this one and the one before.
for dir in "$RELEASES"/*; do
  name="$(basename "$dir")"
  if [ "$name" != "$VERSION" ] && [ "$name" != "$PREVIOUS" ]; then rm -rf "$dir"; fi
done
ln -sf "$APP_DIR/current/bin/hearth.js" /usr/local/bin/hearth
say "installed $VERSION in $RELEASES/$VERSION ($APP_DIR/current)"

# 4. Settings: written once from the commented example, never overwritten.
if [ ! -f "$CONF_DIR/hearth.yaml" ]; then
  install -o root -g "$SERVICE_USER" -m 0640 "$APP_DIR/current/config/hearth.example.yaml" "$CONF_DIR/hearth.yaml"
  say "wrote $CONF_DIR/hearth.yaml from the example; edit it, then: systemctl restart hearth"
else
  say "kept $CONF_DIR/hearth.yaml"
fi

# 5. The unit.
install -o root -g root -m 0644 "$APP_DIR/current/systemd/hearth.service" "$UNIT"
if [ ! -d /run/systemd/system ]; then
  say "systemd is not running here: the unit is installed at $UNIT; start the hub by hand with"
  say "  sudo -u $SERVICE_USER HEARTH_DATA_DIR=$DATA_DIR HEARTH_CONFIG=$CONF_DIR/hearth.yaml node $APP_DIR/current/bin/hearth.js start"
  exit 0
fi
systemctl daemon-reload
systemctl enable hearth.service >/dev/null
[ "$START" -eq 1 ] || { say "not started (--no-start): systemctl start hearth"; exit 0; }
say "starting hearth"
systemctl restart hearth.service

# 6. Wait for READY (Type=notify: restart returns once the hub is ready, or failed).
for _ in $(seq 1 60); do
  systemctl is-active --quiet hearth.service && break
  if systemctl is-failed --quiet hearth.service; then
    journalctl -u hearth.service -n 20 --no-pager >&2 || true
    die "hearth failed to start; see: journalctl -u hearth, and: sudo -u $SERVICE_USER hearth doctor"
  fi
  sleep 1
done
systemctl is-active --quiet hearth.service || die "hearth did not become ready within 60 s; see: journalctl -u hearth"

if [ -f "$DATA_DIR/setup-code" ]; then
  say "Hearth is running. Open http://$(hostname -f 2>/dev/null || hostname):8080 and create the owner with the setup code:"
  printf '\n    %s\n\n' "$(cat "$DATA_DIR/setup-code")"
else
  say "Hearth is running and already set up."
fi
