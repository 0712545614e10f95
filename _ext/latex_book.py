"""Sphinx extension: the LaTeX side of the whole-book PDF (XeLaTeX + ctex), built by scripts/build_pdf.sh.

Only the LaTeX builder is affected; the HTML book does not change.

- LaTeX settings (``latex_elements``, ``latex_additional_files``, no xindy) come from the files in ``_latex/``:
  ``preamble.tex`` (fonts: Noto Serif/Sans CJK SC through ctex, DejaVu Sans Mono for code and Keras'
  box-drawing tables; chapter headings 第 N 章; wrapped code lines marked with ↪) and ``bbm.sty``.
- sphinx-jupyterbook-latex (Jupyter Book's LaTeX helper, switched on by ``latex: use_jupyterbook_latex``)
  loads ``ucharclasses``, which breaks xeCJK's own character classes; the preamble marks it as loaded.
- A GIF animation cannot go into a PDF.  A figure ``figures/NAME.gif`` is replaced by ``figures/NAME_still.png``
  when the figure code draws one, else by the animation's last frame (written next to the .tex file), and
  its caption says that the PDF shows one frame of an animation.
- The preface (the root document) gets its heading back (sphinx-jupyterbook-latex drops it), unnumbered.
- Exercises are numbered per chapter as on the web pages (练习 2.1; sphinx-jupyterbook-latex would count per
  section), and a solution is titled 解答：练习 2.1 (xeCJK drops the space of “解答 练习 2.1”).
- The parts without chapter numbers in ``_toc.yml`` (教师, 附录) become LaTeX appendices (附录 A, B, ...),
  so that the chapter numbers in the PDF are the book's.
"""

from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

LATEX_DIR = "_latex"
STILL_NOTE = "（PDF 中是动画的最后一帧，网页版是动画。）"
STILL_NOTE_DRAWN = "（PDF 中是动画的一帧，网页版是动画。）"


def set_latex_config(app, config):
    """Fill the LaTeX settings from _latex/ (before sphinx-jupyterbook-latex appends its preamble)."""
    latex_dir = Path(app.srcdir) / LATEX_DIR
    preamble = (latex_dir / "preamble.tex").read_text(encoding="utf-8")
    fontenc, _, rest = preamble.partition("%% ---- end of fontenc ----\n")
    elements = dict(config.latex_elements or {})
    elements.update({
        "papersize": "a4paper",
        "pointsize": "10pt",
        "extraclassoptions": "openany,oneside",
        "babel": "",
        "polyglossia": "",
        "fontenc": fontenc,
        "fontpkg": "",
        "fncychap": "",
        "fvset": r"\fvset{fontsize=\small,formatcom=\xeCJKVerbAddon,baselinestretch=1}",
        "sphinxsetup": ("hmargin={2.2cm,2.2cm}, vmargin={2.5cm,2.5cm}, verbatimforcewraps=true, "
                        "verbatimmaxoverfull=1, verbatimmaxunderfull=1"),
        "preamble": rest,
        "printindex": "",
        "releasename": "",
    })
    config.latex_elements = elements
    config.latex_use_xindy = False
    extra = [str(Path(LATEX_DIR) / "bbm.sty")]
    config.latex_additional_files = list(config.latex_additional_files or []) + extra


class GifStills(SphinxPostTransform):
    """Replace GIF animations by a PNG still (see the module docstring)."""

    default_priority = 50  # before Sphinx's image converters (100-200)
    builders = ("latex",)

    def run(self, **kwargs):
        for node in list(self.document.findall(nodes.image)):
            uri = node["uri"]
            if not uri.lower().endswith(".gif"):
                continue
            gif = Path(self.app.srcdir) / uri
            drawn = gif.with_name(gif.stem + "_still.png")
            if drawn.exists():
                still_uri = str(drawn.relative_to(self.app.srcdir))
                self.env.images.add_file(self.env.docname, still_uri)
                note = STILL_NOTE_DRAWN
            else:
                still_uri = last_frame(gif, Path(self.app.outdir))
                note = STILL_NOTE
            node["uri"] = still_uri
            node["candidates"] = {"*": still_uri}
            figure = node.parent
            if isinstance(figure, nodes.figure):
                for caption in figure.findall(nodes.caption):
                    caption += nodes.Text(note)
                    break


def last_frame(gif, outdir):
    """Write the last frame of ``gif`` as a PNG into ``outdir``; return its file name."""
    from PIL import Image

    target = outdir / (gif.stem + "_last_frame.png")
    with Image.open(gif) as image:
        image.seek(image.n_frames - 1)
        image.convert("RGB").save(target)
    return target.name


def unnumbered_captions(app):
    """Captions of the _toc.yml parts that are not numbered (they become appendices)."""
    sitemap = getattr(app.config, "external_site_map", None)
    if sitemap is None:
        return []
    return [tree.caption for tree in sitemap.root.subtrees if tree.caption and not tree.numbered]


class PrefaceHeading(SphinxPostTransform):
    """An unnumbered chapter heading (in the table of contents and the page header) for the root document."""

    default_priority = 810
    builders = ("latex",)

    def run(self, **kwargs):
        root = self.app.config.root_doc
        if self.env.docname != root:
            return
        title = self.env.titles[root].astext()
        for section in self.document.findall(nodes.section):
            if section.get("docname") == root:
                heading = (f"\\chapter*{{{title}}}\\addcontentsline{{toc}}{{chapter}}{{{title}}}"
                           f"\\markboth{{{title}}}{{{title}}}\n")
                section.insert(0, nodes.raw("", heading, format="latex"))
                return


class SolutionTitles(SphinxPostTransform):
    """解答 练习 2.1 -> 解答：练习 2.1 (see the module docstring)."""

    default_priority = 820
    builders = ("latex",)

    def run(self, **kwargs):
        try:
            from sphinx_exercise.nodes import solution_node
        except ImportError:
            return
        for solution in self.document.findall(solution_node):
            for title in solution.findall(nodes.title):
                first = title.children[0] if title.children else None
                if isinstance(first, nodes.Text) and first.astext().strip() == "解答":
                    title.replace(first, nodes.Text("解答："))
                break


def number_exercises_per_chapter(app):
    """sphinx-jupyterbook-latex sets numfig_secnum_depth = 2 for books with parts; the web pages use 1."""
    from sphinx.builders.latex import LaTeXBuilder

    if isinstance(app.builder, LaTeXBuilder):
        app.config["numfig_secnum_depth"] = 1


class Appendices(SphinxPostTransform):
    """Put ``\\appendix`` before the first unnumbered part, so 教师指南 and 术语表 are 附录 A, B."""

    default_priority = 800  # after sphinx-jupyterbook-latex turned the parts into sections (700)
    builders = ("latex",)

    def run(self, **kwargs):
        captions = unnumbered_captions(self.app)
        if not captions:
            return
        for section in self.document.findall(nodes.section):
            if section.get("docname") in captions:
                wrapper = section.parent.parent  # compound > start_of_file > section
                index = wrapper.parent.index(wrapper)
                wrapper.parent.insert(index, nodes.raw("", "\\appendix\n", format="latex"))
                return


def setup(app):
    app.connect("config-inited", set_latex_config, priority=400)
    app.connect("builder-inited", number_exercises_per_chapter, priority=900)
    app.add_post_transform(PrefaceHeading)
    app.add_post_transform(SolutionTitles)
    app.add_post_transform(GifStills)
    app.add_post_transform(Appendices)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
