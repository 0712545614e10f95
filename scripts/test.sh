#!/usr/bin/env bash
# Run every test: unit tests of the support package, the assignments and the built book (tests/),
# the browser tests over _build/html (tests/browser, marker "browser"), and every chapter notebook
# under nbval (outputs of cells tagged nbval-check-output are compared).  Needs the book built first
# (bash scripts/setup.sh).  Runs on both cores, one file per worker.
# Tests marked "slow" are left out unless the first argument is --slow (.ci/run passes it): the Keras
# assignment graded end to end, and the readers' download installed into a fresh venv with every chapter
# executed there (tests/test_reader_edition.py).
#   bash scripts/test.sh [--slow] [extra pytest arguments, e.g. -m browser or -m "not browser"]
set -euo pipefail
cd "$(dirname "$0")/.."

select=(-m "not slow")
if [[ "${1:-}" == "--slow" ]]; then
    select=()
    shift
fi
export MPLBACKEND=Agg
.venv/bin/python -m pytest tests chapters --nbval-lax --nbval-current-env -n 2 --dist loadfile "${select[@]}" "$@"
