#!/usr/bin/env bash
# Install Debian's PostgreSQL server binaries for the database tests (tests/pgserver.py starts
# its own throwaway server from them); quiet and idempotent when already present.
set -euo pipefail

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

if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "ensure-postgres: PostgreSQL server binaries (${TOOLS[*]}) are missing and we are" \
            "not root (no sudo either)." >&2
        echo "ensure-postgres: install Debian's 'postgresql' package by hand." >&2
        exit 1
    fi
    SUDO=sudo
else
    SUDO=
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgres: PostgreSQL server binaries are missing and apt-get is not" \
        "available; install PostgreSQL (initdb, pg_ctl, postgres) by hand." >&2
    exit 1
fi

echo "ensure-postgres: installing Debian's postgresql package ..."
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
    echo "ensure-postgres: 'apt-get update' failed; cannot install postgresql." >&2
    exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null; then
    echo "ensure-postgres: 'apt-get install postgresql' failed." >&2
    exit 1
fi

if ! bin_dir=$(find_pg_bin); then
    echo "ensure-postgres: postgresql installed, but initdb, pg_ctl and postgres are still" \
        "not found under $DEBIAN_ROOT/*/bin or on PATH." >&2
    exit 1
fi
echo "ensure-postgres: installed $("$bin_dir/postgres" --version 2>/dev/null || echo postgresql)."
