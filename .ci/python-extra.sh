#!/usr/bin/env bash
# CI: the suite on the newest Python 3.13 or 3.12 this machine can have without a
# download outside the package registries, in a fresh venv with '.[test]'.
#
# Where the interpreter comes from, in order:
#   1. one already installed: pyenv's versions (the machine's image ships them) or PATH;
#   2. Debian's packages (apt-get install python3.13 / python3.12 and -venv), when the
#      release has them (Debian 13 has 3.13; Debian 12 has neither).
# pyenv's own `install` downloads source from python.org, and PyPI has no CPython
# distribution that pip installs as an interpreter, so neither is used.
# Exits non-zero when no 3.12/3.13 can be had: a skipped run would hide a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
    local minor candidate
    for minor in 3.13 3.12; do
        for candidate in $(ls -d "${PYENV_ROOT:-/root/.pyenv}"/versions/"$minor".*/bin/python 2>/dev/null | sort -V -r) \
            "$(command -v "python$minor" 2>/dev/null || true)" "/usr/bin/python$minor"; do
            if [ -n "$candidate" ] && [ -x "$candidate" ] \
                && "$candidate" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$minor'.split('.'))))" 2>/dev/null; then
                echo "$candidate"
                return 0
            fi
        done
    done
    return 1
}

PYTHON=$(find_python || true)
if [ -z "$PYTHON" ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null
    for minor in 3.13 3.12; do
        if apt-cache show "python$minor-venv" >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$minor" "python$minor-venv" >/dev/null
            break
        fi
    done
    PYTHON=$(find_python || true)
fi
if [ -z "$PYTHON" ]; then
    echo "python-extra: no Python 3.13 or 3.12 installed nor in Debian's packages here" >&2
    exit 1
fi

VENV="${TMPDIR:-/tmp}/seatalloc-ci-$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
echo "python-extra: $("$PYTHON" --version) from $PYTHON, venv $VENV"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet '.[test]'
# Installed (not editable) from this tree: the suite imports the built package.
"$VENV/bin/python" -m pytest -n 2 -p no:cacheprovider
