#!/usr/bin/env bash
# System packages the browser tests (tests/browser), the assignment grader and the whole-book PDF need,
# from Debian/Ubuntu's apt:
#   chromium        the browser Playwright drives (browsers that `playwright install` downloads are not used)
#   fonts-noto-cjk  Chinese glyphs in the browser and in the PDF (without a CJK font, pages show boxes)
#   poppler-utils   pdftoppm / pdfinfo / pdfimages / pdffonts / pdftotext, to look at printed pages and the PDF
#   bubblewrap      bwrap, the sandbox scripts/assignments.py grade runs every submission in
#   texlive-xetex, texlive-lang-chinese (ctex, xeCJK), texlive-latex-extra, texlive-fonts-recommended,
#   latexmk, fonts-dejavu-core (code font)
#                   XeLaTeX for the whole-book PDF (scripts/build_pdf.sh); about 510 MB installed, 141 MB
#                   downloaded (measured on Debian 12 with --no-install-recommends)
#
#   sudo bash scripts/install_system_packages.sh
#
# Run as root it installs whatever is missing; otherwise it only says what is missing and how to install it.
set -euo pipefail

packages=(chromium fonts-noto-cjk poppler-utils bubblewrap
          texlive-xetex texlive-lang-chinese texlive-latex-extra texlive-fonts-recommended latexmk fonts-dejavu-core)
commands=(chromium fc-list pdftoppm pdftotext pdffonts bwrap xelatex latexmk)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages for the browser tests, the grader and the PDF: all present (${packages[*]})"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Not a Debian/Ubuntu system (no apt-get). Install these yourself for the browser tests, the grader and the PDF:" >&2
  echo "  ${missing[*]}  (a Chromium browser, Noto CJK fonts, poppler's pdftoppm, bubblewrap's bwrap, XeLaTeX with ctex)" >&2
  echo "and point CNNBOOK_CHROMIUM at the chromium binary if it is not on PATH as 'chromium'." >&2
  exit 1
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages for the browser tests, the grader and the PDF: ${missing[*]}" >&2
  echo "Install them with:" >&2
  echo "  sudo bash scripts/install_system_packages.sh" >&2
  echo "(or: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]})" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"

for cmd in "${commands[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "installed, but '$cmd' is still not on PATH" >&2; exit 1; }
done
fc-list :lang=zh family | grep -qi "CJK" || { echo "fonts-noto-cjk installed, but fontconfig finds no CJK font" >&2; exit 1; }
echo "system packages for the browser tests, the grader and the PDF installed: ${missing[*]}"
