"""House rules every chapter notebook must follow (read from the stored .ipynb files)."""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
spec = importlib.util.spec_from_file_location("hide_glue_cells", ROOT / "scripts" / "hide_glue_cells.py")
hide_glue_cells = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hide_glue_cells)


def read(path):
    return nbformat.read(path, as_version=4)


def markdown(notebook):
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


@pytest.fixture(params=NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def notebook(request):
    return read(request.param)


def test_every_code_cell_was_executed_in_order(notebook):
    counts = [cell.execution_count for cell in notebook.cells if cell.cell_type == "code"]
    assert None not in counts, "the notebook is stored without running every cell"
    assert counts == list(range(1, len(counts) + 1)), "stored outputs come from an out-of-order run"


# The only stderr a chapter may store: TensorFlow's C++ start-up log, in a cell tagged remove-stderr.
TENSORFLOW_LOG = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} [\d:.]+\s+\d+ \S+\.cc:\d+\] .*"
    r"|To enable the following instructions: .*, in other operations, rebuild TensorFlow .*)$"
)


def test_no_error_or_stray_stderr_is_stored(notebook):
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"stored error in cell:\n{cell.source[:200]}"
            if output.get("name") == "stderr":
                assert "remove-stderr" in cell.metadata.get("tags", []), f"stderr in cell:\n{cell.source[:200]}"
                other = [line for line in output.text.splitlines() if line.strip() and not TENSORFLOW_LOG.match(line)]
                assert not other, f"stderr other than TensorFlow's start-up log:\n{other}"


def test_glue_only_cells_are_hidden(notebook):
    assert not hide_glue_cells.untagged_glue_cells(notebook), "run: python scripts/hide_glue_cells.py"


def test_has_at_least_three_exercises_with_dropdown_solutions(notebook):
    text = markdown(notebook)
    exercises = re.findall(r"```\{exercise\}\s*\n:label: (\S+)", text)
    solutions = re.findall(r"````?\{solution(?:-start)?\} (\S+)\s*\n:class: dropdown", text)
    assert len(exercises) >= 3
    assert sorted(exercises) == sorted(solutions), "every exercise needs one dropdown solution"
    starts, ends = text.count("{solution-start}"), text.count("{solution-end}")
    assert starts == ends, "every gated {solution-start} needs its {solution-end}"


def test_glued_names_are_defined(notebook):
    used = set(re.findall(r"\{glue(?::text|:figure|:math)?\}`([A-Za-z_][A-Za-z0-9_]*)", markdown(notebook)))
    glued = {
        output.metadata["scrapbook"]["name"]
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if "scrapbook" in output.get("metadata", {})
    }
    assert used <= glued, f"glued in the text but not stored by any executed glue(): {sorted(used - glued)}"


def test_exercise_labels_are_unique_across_the_book():
    labels = [label for path in NOTEBOOKS for label in re.findall(r"\{exercise\}\s*\n:label: (\S+)", markdown(read(path)))]
    assert len(labels) == len(set(labels))
