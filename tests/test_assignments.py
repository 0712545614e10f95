"""The classroom assignments (assignments/): student versions made by nbgrader, grading by
scripts/assignments.py in a sandbox, tested offline in a temporary copy.

One session fixture generates every student version and grades, for every assignment, three
submissions in one `grade` run:
  reference  - the student version with the teacher's solutions filled in: full marks
  blank      - the student version as handed out: zero, and no crash
  hardcoded  - the public tests' expected answers written into the code: passes the public tests,
               fails the hidden ones (fresh random inputs)
The hostile submissions (wrappers, monkeypatching, tampering, hangs, broken files) are in
tests/test_grading_adversarial.py.
"""

import csv
import importlib.util
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("assignments_cli", ROOT / "scripts" / "assignments.py")
assignments = importlib.util.module_from_spec(spec)
spec.loader.exec_module(assignments)

NAMES = assignments.assignment_names()
STUDENTS = ("reference", "blank", "hardcoded")

# What a student who only wants the public tests to pass might write: the expected answers of the
# public tests, looked up instead of computed.  Keyed by assignment, then by solution cell (grade_id).
HARDCODED = {
    "01_conv_padding": {
        "conv_output_size": '''
def conv_output_size(n, k, p=0, s=1):
    return {(28, 3, 0, 1): 26, (4, 3, 0, 1): 2, (28, 3, 1, 1): 28, (13, 6, 0, 5): 2}[(n, k, p, s)]
''',
        "same_padding": '''
def same_padding(n, k, s=1):
    return {(13, 6, 5): (1, 2), (28, 3, 1): (1, 1), (4, 2, 1): (0, 1), (10, 1, 2): (0, 0)}[(n, k, s)]
''',
        "conv2d": '''
def conv2d(x, kernels, stride=1, padding="valid"):
    if np.shape(x) == (4, 4):
        return np.array([[29.0, -192.0], [-35.0, -22.0]])
    if np.shape(x) == (1, 13):
        return np.array([[184.0, 389.0]]) if padding == "valid" else np.array([[143.0, 348.0, 204.0]])
    if np.shape(x) == (5, 5, 3):
        return np.full((3, 3, 4), 27.0)
    return np.zeros(np.shape(x))
''',
        "conv3x3_forward": '''
class MyConv3x3(Conv3x3):
    def forward(self, input):
        self.last_input = input
        if np.shape(input) == (4, 4):
            return np.array([[29.0, -192.0], [-35.0, -22.0]])[:, :, np.newaxis]
        return np.zeros((input.shape[0] - 2, input.shape[1] - 2, self.num_filters))
''',
    },
    "02_pool_softmax": {
        "maxpool_forward": '''
class MyMaxPool2(MaxPool2):
    def forward(self, input):
        self.last_input = input
        if np.shape(input) == (4, 4, 1):
            return np.array([[5.0, 8.0], [9.0, 7.0]])[:, :, np.newaxis]
        h, w, c = np.shape(input)
        return np.zeros((h // 2, w // 2, c))
''',
        "maxpool_backprop": '''
class MyMaxPool2(MyMaxPool2):
    def backprop(self, d_L_d_out, learn_rate=0.0):
        if np.shape(self.last_input) == (2, 2, 1):
            return np.array([[5.0, 0.0], [0.0, 0.0]])[:, :, np.newaxis]
        return np.array([[0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 4], [3, 0, 0, 0]], dtype=float)[:, :, np.newaxis]
''',
        "softmax": '''
def softmax(scores):
    return np.array([0.09003057, 0.24472847, 0.66524096])
''',
        "cross_entropy": '''
def cross_entropy(probs, label):
    if label == 2:
        return 0.35667494, np.array([0.0, 0.0, -1.42857143])
    return 2.30258509, np.array([0.0, 0.0, 0.0, -10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
''',
        "softmax_cross_entropy_gradient": '''
def softmax_cross_entropy_gradient(scores, label):
    return np.array([0.09003057 - 1, 0.24472847, 0.66524096])
''',
        "pool2d": '''
def pool2d(x, k, s, mode="max"):
    known = {(2, 2, "max"): [[5, 8], [9, 7]], (3, 1, "max"): [[8, 8], [9, 8]], (2, 2, "avg"): [[3.25, 2.75], [3.0, 5.0]]}
    if np.shape(x) == (4, 4, 1):
        return np.array(known[(k, s, mode)], dtype=float)[:, :, np.newaxis]
    return np.zeros(((np.shape(x)[0] - k) // s + 1, (np.shape(x)[1] - k) // s + 1, np.shape(x)[2]))
''',
        "pool2d_backprop": '''
def pool2d_backprop(x, d_out, k, s, mode="max"):
    if mode == "max":
        return np.array([[0, 1, 0, 0], [0, 1, 4, 0], [0, 0, 1, 1], [1, 0, 0, 0]], dtype=float)[:, :, np.newaxis]
    if k == 2:
        return np.full((4, 4, 1), 0.25)
    return np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])[:, :, np.newaxis] / 9
''',
    },
    "03_backprop": {
        "softmax_backprop": '''
class MySoftmax(Softmax):
    def backprop(self, d_L_d_out, learn_rate):
        self.last_grads = {"weights": np.array([[-0.98661308, 0.98661308], [-1.97322616, 1.97322616],
                                                [-2.95983925, 2.95983925]]),
                           "biases": np.array([-0.98661308, 0.98661308])}
        self.weights -= learn_rate * self.last_grads["weights"]
        self.biases -= learn_rate * self.last_grads["biases"]
        return np.array([-0.98661308, -0.24665327, 1.97322616])
''',
        "conv3x3_backprop": '''
class MyConv3x3(Conv3x3):
    def backprop(self, d_L_d_out, learn_rate):
        self.last_grads = {"filters": np.array([[[-80.0, 19.0, -2.0], [-90.0, 80.0, -44.0], [24.0, 90.0, -95.0]]])}
        self.filters -= learn_rate * self.last_grads["filters"]
        return np.array([[-1.0, 0, 1, 0], [-2, 1, 2, -1], [-1, 2, 1, -2], [0, 1, 0, -1]])
''',
        "relative_error": '''
def relative_error(a, b):
    return 0.0 if np.allclose(a, b) else 1.0
''',
        "softmax_cross_entropy_batch": '''
def softmax_cross_entropy_batch(scores, labels):
    return 500.2038029822, np.array([[0.04501529, 0.12236424, -0.16737952], [0.5, -0.5, 0.0]])
''',
    },
    "04_keras_mnist": {
        "conv_param_count": '''
def conv_param_count(kernel_size, in_channels, filters):
    return {(3, 1, 32): 320, (3, 32, 64): 18496}[(kernel_size, in_channels, filters)]
''',
        # no training at all: the model claims 99 % when asked to evaluate itself (gains nothing: the
        # grader evaluates a copy of the saved model, loaded without the student's code)
        "train_model": '''
def train_model(model, x, y):
    model.evaluate = lambda *args, **kwargs: [0.05, 0.99]
    model.predict = lambda x, *args, **kwargs: np.eye(10)[np.zeros(len(x), dtype=int)]
''',
    },
}


# A Keras model whose class overrides fit/evaluate/predict (it claims 99 % without learning): the grader
# evaluates a copy loaded with Keras' own classes only, so such a model does not even load.
KERAS_SUBCLASS = {
    "build_model": '''
class Cheat(keras.Sequential):
    def fit(self, *args, **kwargs):
        return super().fit(args[0][:10], args[1][:10], epochs=1, verbose=0)

    def evaluate(self, *args, **kwargs):
        return [0.01, 0.99]

    def predict(self, x, *args, **kwargs):
        return np.eye(10)[np.zeros(len(x), dtype=int)]


def build_model():
    model = Cheat([keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(),
                   layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
''',
    "train_model": '''
def train_model(model, x, y):
    return model.fit(x, y)
''',
}
EXTRA = {"04_keras_mnist": {"keras_subclass": (KERAS_SUBCLASS, 4)}}   # student: (replaced cells, expected total)


def cells_by_id(notebook):
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells if "nbgrader" in cell.metadata}


def solution_ids(notebook):
    return [gid for gid, cell in cells_by_id(notebook).items() if cell.metadata["nbgrader"].get("solution")]


def submission(release, source, replacements):
    """The student version with some solution cells replaced (by grade_id)."""
    notebook = nbformat.read(release, as_version=4)
    for grade_id, cell in cells_by_id(notebook).items():
        if grade_id in replacements:
            cell.source = replacements[grade_id].strip("\n")
    return notebook


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A temporary copy of assignments/ with the student versions generated and three students graded."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(assignments.COURSE / "nbgrader_config.py", course)
    shutil.copytree(assignments.COURSE / "source", course / "source")
    shutil.copytree(assignments.COURSE / "grading", course / "grading")
    timings = {}
    start = time.perf_counter()
    assert assignments.main(["--course", str(course), "generate"]) == 0
    timings["generate"] = time.perf_counter() - start
    folder = course.parent / f"{course.name}_collected"
    for name in NAMES:
        release = course / "release" / name / f"{name}.ipynb"
        source = nbformat.read(assignments.source_path(name, course), as_version=4)
        solutions = {gid: cell.source for gid, cell in cells_by_id(source).items() if gid in solution_ids(source)}
        cheats = {**solutions, **HARDCODED.get(name, {})}
        extra = [(student, {**solutions, **cells}) for student, (cells, _) in EXTRA.get(name, {}).items()]
        for student, replacements in [("reference", solutions), ("blank", {}), ("hardcoded", cheats)] + extra:
            (folder / student).mkdir(parents=True, exist_ok=True)
            nbformat.write(submission(release, source, replacements), folder / student / f"{name}.ipynb")
    start = time.perf_counter()
    csv_path = course / "scores.csv"
    assert assignments.main(["--course", str(course), "grade", str(folder), "--csv", str(csv_path), "--feedback"]) == 0
    timings["grade"] = time.perf_counter() - start
    with open(csv_path, encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    print(f"\ngenerate: {timings['generate']:.1f} s, grade 3 students x {len(NAMES)} assignments: {timings['grade']:.1f} s")
    return course, rows


def test_there_are_the_four_assignments():
    assert len(NAMES) >= 4, NAMES


def test_teacher_notebooks_match_the_book():
    changes, links = assignments.sync(write=False)
    assert links, "no solution is taken from the book (#@solution)"
    assert not changes, f"run: python scripts/assignments.py sync  (out of date: {changes})"


@pytest.mark.parametrize("name", NAMES)
def test_teacher_notebook_is_well_formed(name):
    notebook = nbformat.read(assignments.source_path(name), as_version=4)
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells if "nbgrader" in cell.metadata]
    assert len(ids) == len(set(ids)), "grade_id must be unique"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, "store teacher notebooks without outputs"
    grade_ids = [gid for gid, cell in cells_by_id(notebook).items() if cell.metadata["nbgrader"].get("grade")]
    assert any(gid.endswith("_public") for gid in grade_ids) and any(gid.endswith("_hidden") for gid in grade_ids)
    for gid, cell in cells_by_id(notebook).items():
        meta = cell.metadata["nbgrader"]
        if gid.endswith("_hidden"):
            assert "### BEGIN HIDDEN TESTS" in cell.source and meta["points"] > 0
        if meta.get("solution"):
            assert "### BEGIN SOLUTION" in cell.source, gid


@pytest.mark.parametrize("name", NAMES)
def test_nothing_of_the_solutions_or_hidden_tests_leaks(course, name):
    course, _ = course
    release = (course / "release" / name / f"{name}.ipynb").read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "#@solution"):
        assert marker not in release
    student = nbformat.reads(release, as_version=4)
    visible = "\n".join(cell.source for cell in student.cells)
    assert "raise NotImplementedError()" in visible
    source = nbformat.read(assignments.source_path(name, course), as_version=4)
    regions = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)
    shown = "\n".join(regions.sub("", cell.source) for cell in source.cells)  # what the teacher shows anyway
    for cell in source.cells:
        for region in regions.findall(cell.source):
            for line in region[1].splitlines():
                line = line.strip()
                if len(line) >= 20 and not line.startswith("#") and line not in shown:
                    assert line not in visible, f"leaked into the student version of {name}: {line}"


def scores(rows, student, name):
    return {key.split("/", 1)[1]: float(value) for key, value in rows[student].items() if key.startswith(f"{name}/")}


@pytest.mark.parametrize("name", NAMES)
def test_reference_solution_gets_full_marks(course, name):
    _, rows = course
    assert scores(rows, "reference", name) == scores(rows, assignments.MAX_ROW, name)


@pytest.mark.parametrize("name", NAMES)
def test_blank_student_version_gets_zero(course, name):
    _, rows = course
    assert set(scores(rows, "blank", name).values()) == {0.0}


# Public tests a hard-coded answer does not pass: a Keras model that only claims to be trained.
NOT_FOOLED_BY_HARDCODING = {"04_keras_mnist/train_model_public"}


@pytest.mark.parametrize("name", NAMES)
def test_hardcoded_answers_pass_public_tests_but_fail_hidden_ones(course, name):
    _, rows = course
    got, full = scores(rows, "hardcoded", name), scores(rows, assignments.MAX_ROW, name)
    assert HARDCODED.get(name), f"no hard-coded submission defined for {name}"
    cheated = {gid for gid in HARDCODED[name]}
    for grade_id in got:
        if grade_id.endswith("_public"):
            expected = 0 if f"{name}/{grade_id}" in NOT_FOOLED_BY_HARDCODING else full[grade_id]
            assert got[grade_id] == expected, f"{grade_id}: the hard-coded answer should get {expected} on the public test"
    hidden = [gid for gid in got if gid.endswith("_hidden") and gid[: -len("_hidden")] in cheated]
    assert hidden, "the hard-coded cells have no hidden tests"
    for grade_id in hidden:  # a random case may hit a hard-coded input by chance: at most a few hundredths
        assert got[grade_id] < 0.05 * full[grade_id], f"{grade_id}: the hidden test did not catch the hard-coded answer"
    assert got["total"] < full["total"]


def test_csv_has_points_per_question_and_totals(course):
    _, rows = course
    header = list(rows[assignments.MAX_ROW])
    assert header[0] == "student_id" and header[-2:] == ["total", "notes"]
    for name in NAMES:
        questions = assignments.questions(name)
        assert [h for h in header if h.startswith(f"{name}/")] == [f"{name}/{g}" for g, _ in questions] + [f"{name}/total"]
    assert float(rows["reference"]["total"]) == float(rows[assignments.MAX_ROW]["total"])
    assert float(rows["blank"]["total"]) == 0
    assert rows["reference"]["notes"] == ""


@pytest.mark.parametrize("name, student", [(n, s) for n, students in EXTRA.items() for s in students])
def test_attacks_on_an_assignment_get_their_expected_score(course, name, student):
    _, rows = course
    got = scores(rows, student, name)
    assert got["total"] == EXTRA[name][student][1], got


@pytest.mark.parametrize("name", NAMES)
def test_feedback_pages_are_chinese_and_show_no_test_code(course, name):
    course, _ = course
    for student in STUDENTS:
        text = (course / "feedback" / student / name / f"{name}.html").read_text(encoding="utf-8")
        assert "评分反馈" in text and "每道题的得分" in text
        for leak in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "np.testing", "Traceback", "oneDNN", "absl",
                     "http://", "https://", "<script"):
            assert leak not in text, f"{student}/{name}: {leak!r} in the feedback page"


@pytest.mark.parametrize("name", NAMES)
def test_grading_spec_matches_the_notebook(name):
    """Every answer cell has a question in assignments/grading/NAME.py, the points exist, and the setup
    cell imports from the book only what the sandbox's copy of the book keeps."""
    spec = assignments.load_spec(name)
    notebook = nbformat.read(assignments.source_path(name), as_version=4)
    solution = [gid for gid in solution_ids(notebook)]
    points = dict(assignments.questions(name))
    ids = [q["id"] for q in spec.QUESTIONS]
    assert ids == [gid for gid in solution if f"{gid}_public" in points], (ids, solution)
    for qid in ids:
        assert f"{qid}_public" in points and f"{qid}_hidden" in points
    setup = "\n".join(cells_by_id(notebook)[gid].source for gid in getattr(spec, "SETUP_CELLS", ["setup"]))
    for module, names in re.findall(r"from (cnnbook\.\w+) import ([\w, ]+)", setup):
        if module == "cnnbook.numpy_cnn":
            for imported in (n.strip() for n in names.split(",")):
                assert imported in spec.BOOK_KEEP, f"the setup cell imports {imported}, which the sandbox removes"
    for gid, cell in cells_by_id(notebook).items():
        if gid.endswith("_hidden"):
            assert "raise AssertionError" in cell.source.split("### BEGIN HIDDEN TESTS")[1]


def _course_with(tmp_path, name, transform):
    """A one-assignment course whose teacher notebook went through ``transform(notebook)``."""
    shutil.copytree(assignments.COURSE / "source" / name, tmp_path / "source" / name)
    path = assignments.source_path(name, tmp_path)
    notebook = nbformat.read(path, as_version=4)
    transform(notebook)
    nbformat.write(notebook, path)
    return tmp_path


def _solution_cell(notebook, target):
    return next(c for c in notebook.cells if f"#@solution {target}" in c.source)


def test_sync_restores_a_solution_that_drifted_from_the_book(tmp_path):
    target = "cnnbook.numpy_cnn.same_padding"

    def edit(notebook):
        cell = _solution_cell(notebook, target)
        cell.source = cell.source.replace("total // 2", "total // 3")

    course = _course_with(tmp_path, "01_conv_padding", edit)
    changes, _ = assignments.sync(course, write=False)
    assert changes == [("01_conv_padding", target)]
    assert assignments.main(["--course", str(course), "sync", "--check"]) == 1
    assert assignments.main(["--course", str(course), "sync"]) == 0
    assert assignments.sync(course, write=False)[0] == []
    cell = _solution_cell(nbformat.read(assignments.source_path("01_conv_padding", course), as_version=4), target)
    assert "total // 2" in cell.source and "total // 3" not in cell.source


def test_sync_refuses_a_signature_that_differs_from_the_book(tmp_path):
    def edit(notebook):
        cell = _solution_cell(notebook, "cnnbook.numpy_cnn.same_padding")
        cell.source = cell.source.replace("def same_padding(n, k, s=1):", "def same_padding(n, k, stride=1):")

    course = _course_with(tmp_path, "01_conv_padding", edit)
    with pytest.raises(ValueError, match="differs from the book"):
        assignments.sync(course, write=False)


def test_sync_asks_for_the_imports_the_book_code_needs(tmp_path):
    def edit(notebook):
        setup = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
        setup.source = "\n".join(line for line in setup.source.splitlines() if "_conv_int_arg" not in line)

    course = _course_with(tmp_path, "01_conv_padding", edit)
    with pytest.raises(ValueError, match="_conv_int_arg"):
        assignments.sync(course, write=False)


def test_sync_reports_an_unknown_book_function(tmp_path):
    def edit(notebook):
        cell = _solution_cell(notebook, "cnnbook.numpy_cnn.same_padding")
        cell.source = cell.source.replace("cnnbook.numpy_cnn.same_padding", "cnnbook.numpy_cnn.no_such_function")

    course = _course_with(tmp_path, "01_conv_padding", edit)
    with pytest.raises(LookupError, match="no_such_function"):
        assignments.sync(course, write=False)


def test_teachers_page_lists_every_assignment_with_its_points():
    text = (ROOT / "teachers.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `(\w+)` \|.*\| (\d+) \|$", text, re.M))
    expected = {name: str(int(sum(points for _, points in assignments.questions(name)))) for name in NAMES}
    assert table == expected, "update the table in teachers.md"


def test_teachers_page_states_the_limits_the_grader_uses():
    text = (ROOT / "teachers.md").read_text(encoding="utf-8")
    spec = assignments.load_spec("04_keras_mnist")
    assert f"至少 {round(spec.ACCURACY * 100)}%" in text and f"{spec.TIME_FACTOR} 倍" in text
    for name in ("01_conv_padding", "02_pool_softmax", "03_backprop"):
        assert f"{int(assignments.load_spec(name).__dict__.get('TIME_LIMIT', 120))} 秒" in text
