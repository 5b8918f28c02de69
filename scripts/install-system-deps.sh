#!/bin/sh
# Debian packages the test suite needs: headless Chromium (browser tests and PDF output),
# a PostgreSQL server (storage tests start a throwaway cluster with initdb/pg_ctl) and R with
# the packages whose results are the statistics' reference values (tests/reference/*.R are
# re-run by the test suite and compared with what the tests assert).
# Installs only what is missing; needs root (or sudo) when something is missing.
set -eu
R_PACKAGES="r-cran-pwr r-cran-boot r-cran-coin r-cran-sandwich r-cran-mvtnorm r-cran-lme4 r-cran-nlme r-cran-geepack r-cran-survival r-cran-metafor"
need=""
[ -x /usr/bin/chromium ] || need="$need chromium"
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need="$need postgresql"
fi
command -v Rscript >/dev/null 2>&1 || need="$need r-base-core"
for package in $R_PACKAGES; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || need="$need $package"
done
if [ -n "$need" ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $need
fi
echo "system packages present: chromium $(/usr/bin/chromium --version 2>/dev/null | head -1 || echo '?'); initdb $(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb); $(Rscript --version 2>&1 | head -1)"
