#!/usr/bin/env bash
# Create .venv and install the project into it; a no-op when pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=${SOCIALCARE_VENV:-.venv}
stamp="$VENV/.installed-$(cat pyproject.toml devtools/pyproject.toml | sha256sum | cut -c1-16)"

if [ ! -f "$stamp" ]; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "Python 3.11 is required (found $("$PYTHON" --version)); set PYTHON=" >&2
    exit 1
  fi
  echo "[bootstrap] creating $VENV and installing the project (first run takes a few minutes)" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  # The product and the development tools (devtools/), both editable. setuptools'
  # warning that a folder named like the package takes precedence is about this layout.
  PYTHONWARNINGS=ignore "$VENV/bin/pip" install --quiet --progress-bar off -e '.[dev]' -e ./devtools
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi
