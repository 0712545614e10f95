"""Assignment 04 (Keras): weights trained beforehand must not take the marks of build_model/train_model.

The attack (issue 12, teachers.md "作业 4 的预训练"): a small CNN trained at home on the 5,000 offline MNIST
images (the 1,000 test images included), its weights written into the notebook as a code literal; at grading
time ``train_model`` loads them, finds the grader's renumbering of the classes by a majority vote over its
own predictions on the training images, moves the output layer's columns to match and "fits" one epoch with
learning rate 0 to hand back a real History.  Before this file it took the full 18 points.

The defences: (1) a literal budget judged from the source outside the sandbox (``LITERAL_LIMITS`` of
assignments/grading/04_keras_mnist.py, ``literal_problem`` in scripts/assignments.py): comments count too,
since the cells' text is readable at run time through IPython's ``In``; (2) every image of the grading run
(training and test alike) turned by one of the seven dihedral transforms other than the identity, so weights
trained on upright digits are of no use as they are; (3) the model build_model returns must not sort the
test images into their classes (``purity``), whatever the numbering.

Scores (04_keras_mnist, 18 points): preprocess 1+1, conv_param_count 1+1, build_model 1+1, train_model 3+2,
migrated_model 1+2, train_migrated 1+1, predict_classes 1+1.
"""

import base64
import csv
import functools
import importlib.util
import shutil
import time
import zlib
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
_loader = importlib.util.spec_from_file_location("assignments_cli_pretrained", ROOT / "scripts" / "assignments.py")
assignments = importlib.util.module_from_spec(_loader)
_loader.loader.exec_module(assignments)

NAME = "04_keras_mnist"
FILTERS = (8, 16)


def _spec():
    return assignments.load_spec(NAME)


@functools.lru_cache(maxsize=None)
def pretrained_weights(epochs=8):
    """The attacker's work at home: weights of a small CNN trained on all 5,000 offline MNIST images."""
    import keras

    from cnnbook.data import load_mnist

    (xa, ya), (xb, yb) = load_mnist(verbose=False)
    x = (np.concatenate([xa, xb]).astype(np.float32) / 255.0)[..., np.newaxis]
    y = np.concatenate([ya, yb])
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(FILTERS[0], 3, activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.Conv2D(FILTERS[1], 3, activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return tuple(model.get_weights())


def payload(bits):
    """(scales, base64 text): the weights quantised to ``bits`` bits (one scale per array), zlib-compressed."""
    top = 2 ** (bits - 1) - 1
    scales, parts = [], []
    for weights in pretrained_weights():
        scale = float(np.abs(weights).max()) / top or 1.0
        scales.append(scale)
        parts.append(np.round(weights / scale).astype(np.int8).ravel())
    return scales, base64.b64encode(zlib.compress(np.concatenate(parts).tobytes(), 9)).decode()


PRETRAINED_BUILD = '''
def build_model():
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D({0}, 3, activation="relu"),
                              layers.MaxPooling2D(2), layers.Conv2D({1}, 3, activation="relu"),
                              layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model      # untrained, as the task asks
'''.format(*FILTERS)
PRETRAINED_TRAIN = '''
def train_model(model, x, y):
    import base64, zlib
    q = np.frombuffer(zlib.decompress(base64.b64decode(PAYLOAD)), dtype=np.int8)
    weights, start = [], 0
    for w, scale in zip(model.get_weights(), SCALES):
        weights.append(q[start:start + w.size].reshape(w.shape).astype(np.float32) * scale)
        start += w.size
    model.set_weights(weights)
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    renumber = np.array([np.bincount(y[predicted == c], minlength=10).argmax() for c in range(10)])
    kernel, bias = np.zeros_like(weights[-2]), np.zeros_like(weights[-1])
    kernel[:, renumber], bias[renumber] = weights[-2], weights[-1]
    model.set_weights(weights[:-2] + [kernel, bias])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x[:64], y[:64], epochs=1, verbose=0)
'''


def pretrained_cells(how):
    """The attack's answer cells.  ``how``: "literal" (8-bit weights, 6 kB, one string literal), "comments"
    (the same text in comment lines of 1,100 characters, read back at run time from IPython's ``In``), "small"
    (4-bit weights, 3 kB, in string literals of 900 characters joined at run time: under the literal budget)."""
    scales, text = payload(4 if how == "small" else 8)
    if how == "literal":
        data = f"PAYLOAD = {text!r}\n"
    elif how == "comments":
        data = ("".join(f"#P {text[i:i + 1100]}\n" for i in range(0, len(text), 1100))
                + "PAYLOAD = ''.join(line[3:] for cell in In for line in cell.splitlines() if line.startswith('#P '))\n")
    else:
        data = "PAYLOAD = ''.join([\n" + "".join(f"    {text[i:i + 900]!r},\n" for i in range(0, len(text), 900)) + "])\n"
    return {"build_model": PRETRAINED_BUILD, "train_model": data + f"SCALES = {scales!r}\n" + PRETRAINED_TRAIN}


# student: (how, expected total, text in the notes column)
ATTACKS = {"pretrained_literal": ("literal", 18 - 7, "字符串常量"),
           "pretrained_comments": ("comments", 18 - 7, "的注释"),
           "pretrained_small": ("small", 18 - 5, "")}     # passes the budget, loses to the transform
# (measured: the 8-bit weights in 100-character comment lines, 6.6 kB in all, pass the 8,000-byte total too
# and lose to the transform alike: 13 points)


# --- fast: the parts of the defence ------------------------------------------------------------------------

def _teacher_cells(solutions_only):
    notebook = nbformat.read(assignments.source_path(NAME), as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"
            and (not solutions_only or cell.metadata.get("nbgrader", {}).get("solution"))]


def test_honest_code_is_within_the_literal_budget():
    limits = _spec().LITERAL_LIMITS
    assert assignments.literal_problem(_teacher_cells(True), limits) is None
    assert assignments.literal_problem(_teacher_cells(False), limits) is None   # its tests too, as extra cells
    chapter = nbformat.read(ROOT / "chapters" / "09_keras.ipynb", as_version=4)   # a long experiment cell
    longest = max((cell.source for cell in chapter.cells if cell.cell_type == "code"), key=len)
    assert assignments.literal_problem(_teacher_cells(True) + [longest], limits) is None


@pytest.mark.parametrize("cell, reason", [
    ("W = '" + "A" * 1001 + "'", "1,001 字节的字符串常量"),
    ("W = b'" + "A" * 1001 + "'", "字符串常量"),
    ("def f():\n    '''" + "权" * 334 + "'''", "1,002 字节的字符串常量"),           # a docstring, 3 bytes a character
    ("W = " + "9" * 26, "26 个字符的数字常量"),
    ("W = 0x" + "f" * 400, "数字常量"),
    ("x = 1  # " + "A" * 1000, "注释"),
    ("%env W=" + "A" * 1000, "魔法命令行"),
    ("W = [" + ", ".join(["'" + "A" * 900 + "'"] * 9) + "]", "一共 9,"),
    ("W = (" + ", ".join(["1234567"] * 1001) + ")", "一共"),
])
def test_the_literal_budget_refuses_data_in_any_literal_or_comment(cell, reason):
    limits = {**_spec().LITERAL_LIMITS, "total": 7000}
    got = assignments.literal_problem(_teacher_cells(True) + [cell], limits)
    assert got and reason in got and "build_model、train_model 不算分" in got, got


def test_the_task_text_states_the_literal_budget():
    text = "\n".join(cell.source for cell in nbformat.read(assignments.source_path(NAME), as_version=4).cells)
    limits = _spec().LITERAL_LIMITS
    for part in (f"不超过 {limits['each']:,} 字节", f"不超过 {limits['number']} 个字符", f"不超过 {limits['total']:,} 字节"):
        assert part in text, part


def test_every_grading_run_turns_training_and_test_images_alike():
    spec = _spec()
    from cnnbook.data import load_mnist

    (x_train, y_train), (x_test, y_test) = load_mnist(verbose=False)
    for seed in range(4):
        data = spec.prepare(np.random.default_rng(seed))
        case = spec.QUESTIONS[3]["public"]()[0]
        k = data["transform"]
        assert 1 <= k <= 7
        np.testing.assert_array_equal(case["x"], spec.dihedral((x_train / np.float32(255))[..., None], k))
        np.testing.assert_array_equal(data["x_test"], spec.dihedral((x_test / np.float32(255))[..., None], k))
        assert sorted(case["y"][y_train == 3].tolist()) == [case["y"][y_train == 3][0]] * 400   # one renumbering
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28, 1)
    turned = {spec.dihedral(images, k).tobytes() for k in range(8)}
    assert len(turned) == 8                                      # eight different transforms


def test_a_fresh_model_that_already_sorts_the_digits_is_refused():
    spec = _spec()
    labels = np.repeat(np.arange(10), 100)
    renumbered = np.random.default_rng(0).permutation(10)[labels]   # a trained model with scrambled outputs
    assert spec.purity(renumbered, labels) == 1.0
    assert spec.purity(np.zeros_like(labels), labels) == pytest.approx(0.1)
    info = {"input_shape": [-1, 28, 28, 1], "output_shape": [-1, 10], "conv_layers": 1, "params": 1000}
    question = next(q for q in spec.QUESTIONS if q["id"] == "build_model")
    for predicted, expected in ((renumbered, "已经训练过"), (np.zeros_like(labels), None)):
        probs = np.eye(10)[predicted]
        evaluated = {"fresh_7": {**info, "probs": probs}}
        got = spec.judge(question, "hidden", 0, {"seed": 7}, {}, evaluated, {"y_test": labels})
        assert (got is None) if expected is None else (expected in got), got


# --- slow: the attack graded end to end --------------------------------------------------------------------

def _release_notebook(course, cells):
    release = course / "release" / NAME / f"{NAME}.ipynb"
    notebook = nbformat.read(release, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in cells:
            cell.source = cells[grade_id].strip("\n")
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("pretrained_course")
    shutil.copy(assignments.COURSE / "nbgrader_config.py", course)
    shutil.copytree(assignments.COURSE / "source" / NAME, course / "source" / NAME)
    shutil.copytree(assignments.COURSE / "grading", course / "grading")
    assert assignments.main(["--course", str(course), "generate", "-a", NAME]) == 0
    source = nbformat.read(assignments.source_path(NAME, course), as_version=4)
    solutions = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
                 if cell.metadata.get("nbgrader", {}).get("solution")}
    folder = course.parent / "pretrained_collected"
    for student, (how, _, _) in ATTACKS.items():
        (folder / student).mkdir(parents=True)
        nbformat.write(_release_notebook(course, {**solutions, **pretrained_cells(how)}),
                       folder / student / f"{NAME}.ipynb")
    csv_path = course / "scores.csv"
    start = time.perf_counter()
    assert assignments.main(["--course", str(course), "grade", str(folder), "--csv", str(csv_path), "-a", NAME]) == 0
    with open(csv_path, encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    print(f"\n{NAME}: {len(ATTACKS)} pre-training attacks graded in {time.perf_counter() - start:.1f} s")
    for student in ATTACKS:
        print(f"  {student:20s} {rows[student][f'{NAME}/total']:>5}  {rows[student]['notes']}")
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("student", list(ATTACKS))
def test_pretrained_weights_score_nothing_for_build_and_train(graded, student):
    _, expected, note = ATTACKS[student]
    row = graded[student]
    assert float(row[f"{NAME}/total"]) == pytest.approx(expected, abs=0.011), row
    assert float(row[f"{NAME}/train_model_public"]) == 0 and float(row[f"{NAME}/train_model_hidden"]) == 0, row
    assert note in row["notes"], row["notes"]
