#!/usr/bin/env bash
# Build the whole book as one PDF (XeLaTeX + ctex) into _build/latex/cnnbook.pdf and copy it to
# _build/html/cnnbook.pdf, where the web pages link to it.
#   bash scripts/build_pdf.sh        (run by scripts/build.sh after the HTML book)
# The notebooks are not executed again: Jupyter Book takes their outputs from the cache that the HTML
# build filled (_build/.jupyter_cache).  The LaTeX settings are in _ext/latex_book.py and _latex/.
# Needs texlive-xetex, texlive-lang-chinese, texlive-latex-extra, latexmk and fonts-noto-cjk
# (scripts/install_system_packages.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

for cmd in xelatex latexmk kpsewhich; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "整本书的 PDF 需要 XeLaTeX（缺少 $cmd）。请先运行: sudo bash scripts/install_system_packages.sh" >&2
    exit 1
  fi
done
for sty in ctex.sty xeCJK.sty fncychap.sty tabulary.sty newunicodechar.sty; do
  if [ -z "$(kpsewhich "$sty")" ]; then
    echo "整本书的 PDF 需要 LaTeX 宏包 $sty。请先运行: sudo bash scripts/install_system_packages.sh" >&2
    exit 1
  fi
done

start=$(date +%s)
.venv/bin/jupyter-book build . --builder latex -W -n --keep-going
sphinx_done=$(date +%s)

cd _build/latex
log=cnnbook.log
# -g: always run (the .tex file may be unchanged while an image changed); latexmk reruns XeLaTeX until the
# cross-references and the table of contents settle.
if ! latexmk -g -xelatex -interaction=nonstopmode -halt-on-error cnnbook.tex >latexmk.out 2>&1; then
  grep -n -A8 '^!' "$log" | head -40 >&2 || tail -40 latexmk.out >&2
  echo "XeLaTeX failed; the full log is $(pwd)/$log" >&2
  exit 1
fi
# A glyph that no font has is silently left out by XeLaTeX; treat it as an error.
if grep -q "Missing character" "$log"; then
  grep "Missing character" "$log" | sort | uniq -c >&2
  echo "XeLaTeX had no glyph for the characters above (add a font or a \\newunicodechar in _latex/preamble.tex)" >&2
  exit 1
fi
cd ../..
mkdir -p _build/html
cp _build/latex/cnnbook.pdf _build/html/cnnbook.pdf
end=$(date +%s)
pages=$(pdfinfo _build/latex/cnnbook.pdf 2>/dev/null | awk '/^Pages:/ {print $2}')
size=$(du -k _build/latex/cnnbook.pdf | cut -f1)
echo "PDF built in $(( end - start )) s (Sphinx $(( sphinx_done - start )) s, XeLaTeX $(( end - sphinx_done )) s):" \
     "${pages:-?} pages, ${size} KB: $(pwd)/_build/html/cnnbook.pdf"
