#!/usr/bin/env bash
# Draw the figures and build the HTML book with warnings as errors.
#   bash scripts/build.sh            (needs .venv from scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

.venv/bin/python -m cnnbook.figures
start=$(date +%s)
.venv/bin/jupyter-book build . -W -n --keep-going
echo "book built in $(( $(date +%s) - start )) s: $(pwd)/_build/html/index.html"
# The whole book as one PDF (XeLaTeX + ctex, notebooks not executed again): _build/html/cnnbook.pdf
bash scripts/build_pdf.sh
# Readers' download: the reader's edition of the chapters (plain Jupyter Markdown) in _build/notebooks,
# zipped with the cnnbook wheel and a requirements file into _build/html/cnnbook-notebooks.zip; the pages'
# download buttons get the reader's edition too.
.venv/bin/python scripts/package_download.py --html _build/html
