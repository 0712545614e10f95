#!/usr/bin/env bash
# Run every test: unit tests of the support package, the assignments and the built book (tests/),
# the browser tests over _build/html (tests/browser, marker "browser"), and every chapter notebook
# under nbval (outputs of cells tagged nbval-check-output are compared).  Needs the book built first
# (bash scripts/setup.sh).  Runs on both cores, one file per worker.
# It also installs the readers' download into a fresh venv and executes its chapters there
# (tests/test_reader_edition.py, markers "standalone" and "slow": every chapter takes about as long as the book).
#   bash scripts/test.sh [extra pytest arguments, e.g. -m browser, -m "not browser" or -m "not slow"]
set -euo pipefail
cd "$(dirname "$0")/.."

export MPLBACKEND=Agg
.venv/bin/python -m pytest tests chapters --nbval-lax --nbval-current-env -n 2 --dist loadfile "$@"
