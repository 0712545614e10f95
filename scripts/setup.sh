#!/usr/bin/env bash
# Set everything up on a fresh machine and build the HTML book.
#   bash scripts/setup.sh
# Creates .venv with the pinned requirements, draws the figures, and builds the
# book into _build/html (executing every notebook; warnings are errors).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# The pinned requirements install on Python 3.11, 3.12 and 3.13 (numpy 2.4 and others need >= 3.11;
# TensorFlow 2.21 has no wheels for 3.14).
if ! "$PYTHON" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'; then
  echo "这本书需要 Python 3.11、3.12 或 3.13；$PYTHON 是 $("$PYTHON" --version 2>&1)。" >&2
  echo "Set PYTHON to a supported interpreter, e.g.  PYTHON=python3.12 bash scripts/setup.sh" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
.venv/bin/python -m pip install --quiet --no-deps -r requirements-nodeps.txt   # tf-keras: see the file
bash scripts/install_system_packages.sh || echo "(the browser tests, the grader and the whole-book PDF in scripts/build.sh need these system packages)"
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cnnbook)" >/dev/null

bash scripts/build.sh
