"""Tests of cnnbook.figures.ch07: graph layering, reading a tf.Graph, and the chapter figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from cnnbook.figures import ch07  # noqa: E402


def test_layers_follow_the_longest_path_and_pull_sources_right():
    nodes = ["x", "y", "add", "two", "mul"]
    edges = [("x", "add"), ("y", "add"), ("add", "mul"), ("two", "mul")]
    layers = ch07.layers_of(nodes, edges)
    # the constant "two" only feeds "mul" (layer 2), so it sits in layer 1, not 0
    assert layers == {"x": 0, "y": 0, "add": 1, "two": 1, "mul": 2}


def test_a_cycle_is_refused():
    with pytest.raises(ValueError):
        ch07.layers_of(["a", "b"], [("a", "b"), ("b", "a")])


def test_positions_put_layers_left_to_right_and_nodes_apart():
    nodes = ["x", "y", "add"]
    edges = [("x", "add"), ("y", "add")]
    pos = ch07.positions_of(nodes, edges)
    assert pos["x"][0] == pos["y"][0] < pos["add"][0]
    assert pos["x"][1] != pos["y"][1]


def test_graph_dag_reads_a_tensorflow_graph():
    tf = pytest.importorskip("tensorflow")
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        with tf.name_scope("double"):
            z = tf.multiply(x, 2.0, name="z")
        tf.identity(z, name="out")
    nodes, edges, labels, kinds = ch07.graph_dag(graph)
    assert nodes == ["x", "double/z/y", "double/z", "out"]
    assert ("x", "double/z") in edges and ("double/z", "out") in edges
    assert kinds["x"] == "input" and kinds["double/z/y"] == "const"
    assert labels["x"] == "x\n(Placeholder)"

    scopes, scope_edges, scope_labels, _ = ch07.graph_dag(graph, by_scope=True)
    assert scopes == ["x", "double", "out"]
    assert scope_edges == [("x", "double"), ("double", "out")]
    assert scope_labels["double"].startswith("double\n2 ")

    kept, _, _, _ = ch07.graph_dag(graph, by_scope=True, skip=("out",))
    assert kept == ["x", "double"]


def test_draw_dag_returns_positions_inside_the_axes():
    fig, ax = plt.subplots()
    pos = ch07.draw_dag(ax, ["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("a", "d"), ("c", "d")])
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for x, y in pos.values():
        assert x0 < x < x1 and y0 < y < y1
    plt.close(fig)


def test_make_writes_the_chapter_figure(tmp_path):
    paths = ch07.make(tmp_path)
    assert [p.name for p in paths] == ["ch07_session.png"]
    assert paths[0].stat().st_size > 10_000
