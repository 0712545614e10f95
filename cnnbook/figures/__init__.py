"""Figures of the book, drawn by code.  ``python -m cnnbook.figures`` rewrites all of them.

Each chapter that needs a static figure or an animation has a module here
(``ch01.py``, ``ch02.py``, ...) with a function ``make(outdir)`` that writes its files
into ``outdir`` (the top-level ``figures/`` folder) and returns their paths.
"""

import importlib
import pkgutil
from pathlib import Path

from cnnbook.plotting import record_text_size

FIGURES_DIR = Path(__file__).resolve().parent.parent.parent / "figures"


def chapter_modules():
    """The figure modules, in chapter order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("ch"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def make_all(outdir=FIGURES_DIR):
    """Draw every figure of the book into ``outdir``; return the list of written paths."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    # every PNG/GIF records its smallest font size in pixels, for the HTML book's phone layout
    with record_text_size():
        for module in chapter_modules():
            written.extend(module.make(outdir))
    return written
