"""Chapter 7 figures: computation graphs drawn as boxes and arrows.

``draw_dag`` draws any small directed acyclic graph (nodes in layers, left to right).
``graph_dag`` reads the nodes and edges of a ``tf.Graph`` -- one node per operation, or one
node per top-level name scope -- so that the chapter can draw the graphs TensorFlow really built.
``make(outdir)`` draws the static picture of "build a graph, then run it in a session".
TensorFlow is never imported here: ``graph_dag`` only calls methods of the graph it is given.
"""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from cnnbook.plotting import setup_chinese_fonts

NODE_WIDTH = 1.5
NODE_HEIGHT = 0.62
LAYER_GAP = 2.3
ROW_GAP = 1.05

_COLORS = {
    "input": "#a8dadc",
    "const": "#e9ecef",
    "var": "#f4a261",
    "op": "#ffffff",
}


def layers_of(nodes, edges):
    """Longest-path layering: a node's layer is 1 + the largest layer of its inputs.

    A node without inputs is then moved to just before the first node that uses it.

    ``nodes`` is a list of names, ``edges`` a list of (source, target) pairs.
    Returns a dict name -> layer (0 for nodes without inputs).  Raises ValueError on a cycle.
    """
    layer = {}
    remaining = list(nodes)
    inputs = {n: [s for s, t in edges if t == n] for n in nodes}
    while remaining:
        ready = [n for n in remaining if all(s in layer for s in inputs[n])]
        if not ready:
            raise ValueError(f"图里有环，无法分层：{remaining}")
        for n in ready:
            layer[n] = 1 + max((layer[s] for s in inputs[n]), default=-1)
            remaining.remove(n)
    # Pull sources (constants, variables) right, next to the first node that uses them.
    for n in nodes:
        targets = [layer[t] for s, t in edges if s == n]
        if not inputs[n] and targets:
            layer[n] = min(targets) - 1
    return layer


def positions_of(nodes, edges):
    """(x, y) centre of every node: layers left to right, each layer centred vertically.

    Inside a layer, nodes are sorted by the mean height of their inputs, which keeps arrows short.
    """
    layer = layers_of(nodes, edges)
    pos = {}
    for k in range(max(layer.values()) + 1):
        members = [n for n in nodes if layer[n] == k]

        def parent_height(n):
            ys = [pos[s][1] for s, t in edges if t == n and s in pos]
            return -sum(ys) / len(ys) if ys else 0.0

        members.sort(key=parent_height)
        top = (len(members) - 1) * ROW_GAP / 2
        for i, n in enumerate(members):
            pos[n] = (k * LAYER_GAP, top - i * ROW_GAP)
    return pos


def _boundary(centre, towards):
    """The point where the segment from a box's centre towards another point leaves the box."""
    (x, y), (tx, ty) = centre, towards
    dx, dy = tx - x, ty - y
    scale = min(NODE_WIDTH / 2 / abs(dx) if dx else float("inf"),
                NODE_HEIGHT / 2 / abs(dy) if dy else float("inf"))
    return x + scale * dx, y + scale * dy


def draw_dag(ax, nodes, edges, labels=None, kinds=None, positions=None, fontsize=9):
    """Draw a DAG on ``ax``: rounded boxes for ``nodes``, arrows for ``edges``.

    ``labels`` maps a node to its text (default: the name), ``kinds`` to one of
    "input", "const", "var", "op" (box colour).  ``positions`` maps nodes to (x, y) centres
    (default: ``positions_of``; one layer per ``LAYER_GAP``).  An edge between two nodes at the
    same height that skips over other nodes is drawn as an arc above them.
    Returns the dict of node positions.
    """
    labels = labels or {}
    kinds = kinds or {}
    pos = positions or positions_of(nodes, edges)
    for n, (x, y) in pos.items():
        box = FancyBboxPatch(
            (x - NODE_WIDTH / 2, y - NODE_HEIGHT / 2), NODE_WIDTH, NODE_HEIGHT,
            boxstyle="round,pad=0.04,rounding_size=0.12",
            facecolor=_COLORS[kinds.get(n, "op")], edgecolor="#1d3557", lw=1.0, zorder=2,
        )
        ax.add_patch(box)
        ax.text(x, y, labels.get(n, n), ha="center", va="center", fontsize=fontsize, zorder=3)
    top = max(y for _, y in pos.values()) + NODE_HEIGHT / 2
    for s, t in edges:
        (x0, y0), (x1, y1) = pos[s], pos[t]
        distance = abs(x1 - x0)
        if y0 == y1 and distance > 1.5 * LAYER_GAP:  # leave from the top, arc over the boxes in between
            height = 0.3 + 0.12 * distance  # longer arcs fly higher, so that they do not overlap
            start, end, bend = (x0, y0 + NODE_HEIGHT / 2), (x1, y1 + NODE_HEIGHT / 2), -2 * height / distance
            top = max(top, y0 + NODE_HEIGHT / 2 + height)
        else:
            start, end, bend = _boundary((x0, y0), (x1, y1)), _boundary((x1, y1), (x0, y0)), 0.0
        arrow = FancyArrowPatch(
            start, end, arrowstyle="-|>", mutation_scale=12, color="#457b9d", lw=1.1,
            connectionstyle=f"arc3,rad={bend}", zorder=1,
        )
        ax.add_patch(arrow)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - NODE_WIDTH, max(xs) + NODE_WIDTH)
    ax.set_ylim(min(ys) - NODE_HEIGHT, top + 0.25)
    ax.set_aspect("equal")
    ax.axis("off")
    return pos


def _scope(name):
    return name.split("/")[0]


def graph_dag(graph, by_scope=False, skip=()):
    """Nodes, edges, labels and kinds of a ``tf.Graph``, ready for ``draw_dag``.

    One node per operation (label: name and type), or with ``by_scope=True`` one node per
    top-level name scope (label: scope and number of operations in it).  Operations whose
    top-level scope is in ``skip`` are left out.
    """
    ops = [op for op in graph.get_operations() if _scope(op.name) not in skip]
    key = (lambda op: _scope(op.name)) if by_scope else (lambda op: op.name)
    nodes, counts, kinds, edges = [], {}, {}, []
    for op in ops:
        k = key(op)
        if k not in counts:
            nodes.append(k)
            counts[k] = 0
        counts[k] += 1
        if op.type in ("Placeholder", "PlaceholderWithDefault"):
            kinds[k] = "input"
        elif op.type == "Const" and not by_scope:
            kinds[k] = "const"
        elif op.type in ("VarHandleOp", "VariableV2") and not by_scope:
            kinds[k] = "var"
        for tensor in op.inputs:
            if _scope(tensor.op.name) in skip:
                continue
            edge = (key(tensor.op), k)
            if edge[0] != edge[1] and edge not in edges:
                edges.append(edge)
    if by_scope:
        labels = {n: f"{n}\n{counts[n]} 个运算" for n in nodes}
    else:
        labels = {op.name: f"{op.name}\n({op.type})" for op in ops}
    return nodes, edges, labels, kinds


def make(outdir):
    """Draw ch07_session.png: the graph of z = (x + y) * 2 in a session, fed and fetched."""
    setup_chinese_fonts()
    nodes = ["x", "y", "add", "two", "mul"]
    edges = [("x", "add"), ("y", "add"), ("add", "mul"), ("two", "mul")]
    labels = {"x": "x：占位符", "y": "y：占位符", "add": "加法 add", "two": "常量 2",
              "mul": "乘法 mul"}
    kinds = {"x": "input", "y": "input", "two": "const"}
    fig, ax = plt.subplots(figsize=(7.5, 2.9))
    pos = draw_dag(ax, nodes, edges, labels, kinds, fontsize=12)
    x_min = min(p[0] for p in pos.values()) - NODE_WIDTH / 2
    x_max = max(p[0] for p in pos.values()) + NODE_WIDTH / 2
    session = FancyBboxPatch((x_min - 0.25, -1.05), x_max - x_min + 0.5, 2.6,
                             boxstyle="round,pad=0.05,rounding_size=0.2", facecolor="none",
                             edgecolor="#6c757d", lw=1.2, ls="--", zorder=0)
    ax.add_patch(session)
    ax.text(x_min - 0.1, 1.22, "会话（Session）中运行的计算图", fontsize=12, color="#495057",
            va="center")
    feed_at = (x_min - 1.55, (pos["x"][1] + pos["y"][1]) / 2)
    ax.text(*feed_at, "feed_dict\nx = 1.0\ny = 2.0", ha="center", va="center", fontsize=12)
    for name in ("x", "y"):
        ax.annotate("", xy=(pos[name][0] - NODE_WIDTH / 2, pos[name][1]),
                    xytext=(feed_at[0] + 0.9, feed_at[1]),
                    arrowprops=dict(arrowstyle="-|>", color="#e76f51", lw=1.4))
    fetch_at = (x_max + 1.55, pos["mul"][1])
    ax.annotate("", xy=(fetch_at[0] - 0.85, fetch_at[1]),
                xytext=(pos["mul"][0] + NODE_WIDTH / 2, pos["mul"][1]),
                arrowprops=dict(arrowstyle="-|>", color="#e76f51", lw=1.4))
    ax.text(*fetch_at, "sess.run(z)\n返回 6.0", ha="center", va="center", fontsize=12)
    ax.set_xlim(x_min - 2.4, x_max + 2.4)
    ax.set_ylim(-1.25, 1.7)
    path = outdir / "ch07_session.png"
    fig.savefig(path, dpi=150, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    return [path]
