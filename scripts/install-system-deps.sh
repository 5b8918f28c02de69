#!/bin/sh
# Debian packages the test suite needs: headless Chromium (browser tests and PDF output)
# and a PostgreSQL server (storage tests start a throwaway cluster with initdb/pg_ctl).
# Installs only what is missing; needs root (or sudo) when something is missing.
set -eu
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need="$need postgresql"
fi
if [ -n "$need" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $need
fi
echo "system packages present: chromium $(/usr/bin/chromium --version 2>/dev/null | head -1 || echo '?'); initdb $(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb)"
