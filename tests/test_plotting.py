"""cnnbook.plotting: Chinese glyphs render with the bundled font; digit grids check their input."""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.font_manager import FontProperties, findfont  # noqa: E402

from cnnbook.plotting import CJK_FONT_NAME, cjk_font_file, setup_chinese_fonts, show_digits  # noqa: E402


GLOSSARY = "卷积核、特征图、填充、步幅、池化层"

# Run in a fresh interpreter with an empty matplotlib cache (MPLCONFIGDIR) and HOME, as on a new machine.
# With NO_SYSTEM_FONTS=1 matplotlib is told the system has no fonts at all, so only the bundled font can
# draw Chinese.  Prints the file of the font chosen for the glossary terms.
FRESH_MACHINE = f"""
import os, warnings
import matplotlib
matplotlib.use("Agg")
import matplotlib.font_manager as fm
if os.environ.get("NO_SYSTEM_FONTS") == "1":
    fm.findSystemFonts = lambda *args, **kwargs: []
    fm.fontManager = fm._load_fontmanager(try_read_cache=False)
    fm.findfont, fm.get_font_names = fm.fontManager.findfont, fm.fontManager.get_font_names
    assert not any("CJK" in font.name for font in fm.fontManager.ttflist)
import matplotlib.pyplot as plt
from cnnbook.plotting import setup_chinese_fonts
setup_chinese_fonts()
fig, ax = plt.subplots()
ax.set_title("{GLOSSARY}")
with warnings.catch_warnings():
    warnings.simplefilter("error")
    fig.canvas.draw()
font = fm.findfont(fm.FontProperties(family=matplotlib.rcParams["font.sans-serif"]), fallback_to_default=False)
print(font)
"""


def has_glyphs(font_file, text):
    """True when every character of ``text`` has a glyph in ``font_file``."""
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(str(font_file)).get_charmap()
    return all(ord(char) in charmap for char in text)


@pytest.mark.parametrize("system_fonts", ["present", "none"])
def test_chinese_renders_with_a_cjk_font_on_a_fresh_machine(tmp_path, system_fonts):
    import os
    import subprocess
    import sys

    env = dict(os.environ, HOME=str(tmp_path), MPLCONFIGDIR=str(tmp_path / "mpl"),
               NO_SYSTEM_FONTS="1" if system_fonts == "none" else "0")
    run = subprocess.run([sys.executable, "-c", FRESH_MACHINE], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]  # a missing glyph raised inside the script
    chosen = run.stdout.strip().splitlines()[-1]
    assert has_glyphs(chosen, GLOSSARY), f"{chosen} cannot draw Chinese"
    if system_fonts == "none":
        assert chosen == str(cjk_font_file()), "with no system font, the bundled font must be chosen"


def test_bundled_font_ships_and_is_first_choice():
    setup_chinese_fonts()
    assert cjk_font_file().exists() and has_glyphs(cjk_font_file(), GLOSSARY)
    assert matplotlib.rcParams["font.sans-serif"][0] == CJK_FONT_NAME


def test_glyph_check_can_fail():
    assert not has_glyphs(findfont(FontProperties(family="DejaVu Sans")), GLOSSARY)


def test_chinese_text_draws_without_missing_glyphs():
    setup_chinese_fonts()
    fig, ax = plt.subplots()
    ax.set_title("卷积核、特征图、填充、步幅、池化层 −1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise here
        fig.canvas.draw()
    plt.close(fig)


def test_show_digits_draws_one_axis_per_image():
    fig = show_digits(np.zeros((12, 28, 28)), list(range(12)), ncols=5)
    visible = [ax for ax in fig.axes if ax.images]
    assert len(visible) == 12 and len(fig.axes) == 15
    plt.close(fig)


def test_show_digits_rejects_bad_input():
    with pytest.raises(ValueError, match="形状"):
        show_digits(np.zeros((28, 28)), [0])
    with pytest.raises(ValueError, match="数量必须相同"):
        show_digits(np.zeros((3, 28, 28)), [0, 1])
