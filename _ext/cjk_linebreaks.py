"""Sphinx extension: drop the soft line break between two Chinese characters.

A line break inside a Markdown paragraph is rendered as a space, which is right between English words
and wrong between Chinese characters ("池化层的全部输出 变成").  This removes such breaks when the
characters on both sides are Chinese (ideographs or full-width punctuation); other breaks stay spaces.

The characters on the two sides are the ones the reader sees, wherever they live: in the same text node,
or in the neighbouring inline markup (**bold**, *emphasis*, `code`, a link, a role such as {ref} or
{glue:text}), possibly with empty text nodes in between, which MyST leaves before inline markup.
Chinese quotation marks and dashes count as Chinese when the character on the other side is Chinese:
“ may follow a Chinese character, ” may precede one, and —— or …… may do either.

The join runs twice: as a transform when a page is read, and again as a post-transform when it is
written, after cross-references ({ref}, {numref}, {doc}) and glue have been replaced by their text.
"""

import re

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

CJK_RANGES = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK = re.compile(f"[{CJK_RANGES}]")
OPENING = "\u201c\u2018"  # “ ‘
CLOSING = "\u201d\u2019"  # ” ’
EITHER = "\u2014\u2026"  # — …
SKIP = (nodes.literal_block, nodes.literal, nodes.math, nodes.math_block, nodes.raw, nodes.comment)


def _is_cjk(char):
    return bool(char) and bool(CJK.match(char))


def joins(before, after):
    """True when a soft line break between these two visible characters should disappear."""
    if not before or not after:
        return False
    if _is_cjk(before) and (_is_cjk(after) or after in OPENING + EITHER):
        return True
    return _is_cjk(after) and before in CLOSING + EITHER


def _position(parent, child):
    # Text nodes are strings: list.index would find the first *equal* one, so compare identities.
    return next(i for i, sibling in enumerate(parent.children) if sibling is child)


def _neighbour_char(node, forward):
    """The first visible character after `node` (forward) or the last one before it, in its paragraph.

    Empty siblings are skipped; at the edge of inline markup (inside **bold**, say) the search goes on
    outside it.  It stops at the edge of a block (paragraph, list item, table cell ...).
    """
    current = node
    while True:
        parent = current.parent
        if parent is None:
            return ""
        index = _position(parent, current)
        siblings = parent.children[index + 1:] if forward else reversed(parent.children[:index])
        for sibling in siblings:
            text = sibling.astext()
            if text:
                return text[0] if forward else text[-1]
        if not isinstance(parent, nodes.Inline):
            return ""
        current = parent


def _join_text(text, before, after):
    """Remove the newlines of `text` that sit between Chinese characters; before/after: outside chars."""
    pieces = text.split("\n")
    out = pieces[0]
    for piece in pieces[1:]:
        left = out[-1:] or before
        right = piece[:1] or after
        out += piece if joins(left, right) else "\n" + piece
    return out


def join_element(element):
    """Drop the soft breaks between Chinese characters among the direct text children of `element`."""
    if isinstance(element, SKIP) or any(isinstance(a, SKIP) for a in _ancestors(element)):
        return
    for index in reversed(range(len(element.children))):
        child = element.children[index]
        if not isinstance(child, nodes.Text) or "\n" not in child:
            continue
        before = _neighbour_char(child, forward=False)
        after = _neighbour_char(child, forward=True)
        new = _join_text(str(child), before, after)
        if new == str(child):
            continue
        if new:
            element[index] = nodes.Text(new)
        else:
            del element[index]


def _ancestors(node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def join_chinese_lines(document):
    for element in list(document.findall(nodes.Element)):
        join_element(element)


class JoinChineseLines(SphinxTransform):
    default_priority = 400

    def apply(self, **kwargs):
        join_chinese_lines(self.document)


class JoinChineseLinesAfterReferences(SphinxPostTransform):
    # after ReferencesResolver (10), glue (5) and myst-nb's HideInputCells (199)
    default_priority = 900

    def run(self, **kwargs):
        join_chinese_lines(self.document)


def setup(app):
    app.add_transform(JoinChineseLines)
    app.add_post_transform(JoinChineseLinesAfterReferences)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
