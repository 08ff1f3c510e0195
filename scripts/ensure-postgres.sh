#!/usr/bin/env bash
# Install Debian's PostgreSQL server binaries for the database tests (tests/pgserver.py starts
# its own throwaway server from them); quiet and idempotent when already present.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

DEBIAN_ROOT=/usr/lib/postgresql
TOOLS=(initdb pg_ctl postgres)

# The same places tests/pgserver.py:find_pg_bin looks: the directory of pg_ctl on PATH
# (symlinks followed), else /usr/lib/postgresql/<version>/bin.
has_tools() {
    local dir=$1 tool
    for tool in "${TOOLS[@]}"; do
        [ -x "$dir/$tool" ] || return 1
    done
}

find_pg_bin() {
    local on_path dir
    if on_path=$(command -v pg_ctl 2>/dev/null); then
        dir=$(dirname "$(readlink -f "$on_path")")
        if has_tools "$dir"; then
            echo "$dir"
            return 0
        fi
    fi
    for dir in "$DEBIAN_ROOT"/*/bin; do
        if has_tools "$dir"; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

if find_pg_bin >/dev/null; then
    exit 0
fi

if ! apt_install ensure-postgres postgresql; then
    echo "ensure-postgres: install PostgreSQL (initdb, pg_ctl, postgres) by hand," \
        "e.g. Debian's 'postgresql' package." >&2
    exit 1
fi

if ! bin_dir=$(find_pg_bin); then
    echo "ensure-postgres: postgresql installed, but initdb, pg_ctl and postgres are still" \
        "not found under $DEBIAN_ROOT/*/bin or on PATH." >&2
    exit 1
fi
echo "ensure-postgres: installed $("$bin_dir/postgres" --version 2>/dev/null || echo postgresql)."
