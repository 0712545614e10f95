"""nbgrader settings for the book's classroom assignments (read by scripts/assignments.py and by `nbgrader`).

Run nbgrader's own commands from this folder (``cd assignments``, with the venv's bin on PATH) or use the
teacher script: ``python scripts/assignments.py generate``.  Grading is ``python scripts/assignments.py grade
FOLDER`` (a sandbox per submission, hidden tests in grading/), not ``nbgrader autograde``.
"""
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "cnnbook"
# This folder is the course root: source/, release/, submitted/, autograded/, feedback/, gradebook.db.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# Only for nbgrader's own commands (validate, formgrader); `grade` has its own limits.
c.Execute.timeout = 300

# What the student sees where a solution was removed (Chinese, like the book).
c.ClearSolutions.code_stub = {"python": "# 在这里写你的代码\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "在这里写你的答案"

# Feedback pages: `python scripts/assignments.py grade --feedback` writes its own (Chinese, no test code);
# should someone run `nbgrader generate_feedback`, it at least leaves the hidden test cells out.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
