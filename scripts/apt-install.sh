# Sourced by the ensure-*.sh scripts (Chromium, fonts, PostgreSQL): installing Debian packages the same way for each.

# apt_install NAME PACKAGE...: install the packages with apt-get, through sudo when not root.
# Returns 1, having said why (each line prefixed "NAME:"), when they could not be installed.
apt_install() {
    local name=$1 sudo=
    shift
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "$name: need root (or sudo) to install: $*" >&2
            return 1
        fi
        sudo=sudo
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$name: apt-get not available; cannot install: $*" >&2
        return 1
    fi
    echo "$name: installing $* ..."
    export DEBIAN_FRONTEND=noninteractive
    if ! $sudo apt-get update -qq; then
        echo "$name: 'apt-get update' failed." >&2
        return 1
    fi
    if ! $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
        echo "$name: 'apt-get install $*' failed." >&2
        return 1
    fi
}

# not_installed PACKAGE...: print each package dpkg does not know as installed, one a line.
not_installed() {
    local package
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || echo "$package"
    done
}
