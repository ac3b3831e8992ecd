#!/usr/bin/env bash
# Removes the Hearth service and app.
#
#   sudo installer/uninstall.sh            keeps /var/lib/hearth (data) and /etc/hearth (settings)
#   sudo installer/uninstall.sh --purge    removes them too, and the hearth user
set -euo pipefail

APP_DIR=/opt/hearth
CONF_DIR=/etc/hearth
DATA_DIR=/var/lib/hearth
UNIT=/etc/systemd/system/hearth.service
SERVICE_USER=hearth
PURGE=0

for arg in "$@"; do
  case "$arg" in
    --purge) PURGE=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $arg" >&2; exit 64 ;;
  esac
done

say() { printf '==> %s\n' "$*"; }
[ "$(id -u)" -eq 0 ] || { echo "uninstall.sh: run as root" >&2; exit 1; }

if [ -d /run/systemd/system ]; then
  systemctl disable --now hearth.service >/dev/null 2>&1 || true
fi
rm -f "$UNIT"
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
case "$(readlink /usr/local/bin/hearth 2>/dev/null || true)" in "$APP_DIR/bin/hearth.js"|"$APP_DIR/current/bin/hearth.js") rm -f /usr/local/bin/hearth ;; esac
rm -rf "$APP_DIR" "$APP_DIR.new" "$APP_DIR.old"
say "removed the service and $APP_DIR"

if [ "$PURGE" -eq 1 ]; then
  rm -rf "$DATA_DIR" "$CONF_DIR"
  if getent passwd "$SERVICE_USER" >/dev/null; then userdel "$SERVICE_USER" || true; fi
  say "purged $DATA_DIR, $CONF_DIR and the $SERVICE_USER user"
else
  say "kept $DATA_DIR (database, backups) and $CONF_DIR (settings); --purge removes them"
fi
