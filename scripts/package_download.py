"""The readers' download: the reader's edition of every chapter, cnnbook as a wheel, a requirements file.

    python scripts/package_download.py [--out _build/notebooks] [--html _build/html]

Writes the folder --out (the reader's edition, see scripts/reader_edition.py, plus README.md,
requirements.txt and cnnbook-VERSION-py3-none-any.whl built from this repository with pip; pip may fetch
setuptools from PyPI for the build) and zips it into cnnbook-notebooks.zip beside that folder.  With --html (an
existing build), it also puts the zip at the root of the HTML book (the preface links to it) and replaces
the chapter notebooks behind each page's download button (_sources/chapters/*.ipynb) with the reader's
edition, so that a notebook downloaded from any page renders in JupyterLab and says what to install.

On a machine with only Python:  unzip, cd cnnbook-notebooks, python -m pip install -r requirements.txt,
python -m pip install --no-deps -r requirements-nodeps.txt,
jupyter lab.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reader_edition  # noqa: E402

ROOT = reader_edition.ROOT
NAME = reader_edition.DOWNLOAD_NAME
# Pins taken from the repository's requirements.txt: what the chapters need at run time (not the book
# toolchain, the grader or the tests).
RUNTIME = [
    "numpy", "scipy", "scikit-learn", "matplotlib", "tqdm", "threadpoolctl", "pandas",
    "tensorflow-cpu", "tensorflow", "tensorboard", "keras", "mlxtend", "mplfonts", "ipykernel",
]
# Not in requirements.txt (the book's toolchain pulls it in); pinned to the version installed here.
EXTRA = ["jupyterlab"]


def runtime_requirements(requirements: Path = ROOT / "requirements.txt") -> list[str]:
    """The pinned lines of requirements.txt for the RUNTIME packages, plus EXTRA at the installed version."""
    lines = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)\s*==", line.strip())
        if match and match.group(1).lower() in RUNTIME:
            lines.setdefault(match.group(1).lower(), []).append(line.strip())
    missing = [name for name in RUNTIME if name not in lines]
    if missing:
        raise SystemExit(f"requirements.txt has no pinned line for {', '.join(missing)}")
    pinned = [line for name in RUNTIME for line in lines[name]]
    pinned += [f"{name}=={importlib.metadata.version(name)}" for name in EXTRA]
    return pinned


def build_wheel(out: Path) -> Path:
    for old in out.glob("cnnbook-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        # Build from a copy, so that setuptools' build/ and egg-info folders do not land in the repository.
        source = Path(tmp) / "src"
        shutil.copytree(ROOT / "cnnbook", source / "cnnbook", ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, source / name)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", tmp, str(source)],
            check=True,
        )
        (wheel,) = Path(tmp).glob("cnnbook-*.whl")
        return Path(shutil.copy2(wheel, out / wheel.name))


def requirements_text(wheel: Path) -> str:
    return (
        "# 运行本书各章所需的软件包，版本与本书执行时相同。在这个文件夹里运行：\n"
        "#   python -m pip install -r requirements.txt\n"
        "#   python -m pip install --no-deps -r requirements-nodeps.txt\n"
        "# The book's support package, built from the book's repository:\n"
        f"./{wheel.name}\n\n" + "\n".join(runtime_requirements()) + "\n"
    )


def make_zip(folder: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and ".ipynb_checkpoints" not in path.parts:
                archive.write(path, Path(NAME) / path.relative_to(folder))
    tmp.replace(target)
    return target


def package(out: Path, html: Path | None = None, archive: Path | None = None) -> Path:
    """Write the folder out, zip it (default: beside out), and optionally put it into a built book."""
    notebooks = reader_edition.write_edition(out)
    wheel = build_wheel(out)
    (out / "requirements.txt").write_text(requirements_text(wheel), encoding="utf-8")
    shutil.copy2(ROOT / "requirements-nodeps.txt", out / "requirements-nodeps.txt")
    archive = make_zip(out, archive or out.parent / f"{NAME}.zip")
    if html is not None:
        shutil.copy2(archive, html / archive.name)
        sources = html / "_sources" / "chapters"
        for notebook in notebooks:
            if (sources / notebook.name).exists():
                shutil.copy2(notebook, sources / notebook.name)
    return archive


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "notebooks")
    parser.add_argument("--html", type=Path, default=None, help="a built book to put the download into")
    args = parser.parse_args(argv)
    try:
        archive = package(args.out, args.html)
    except reader_edition.ReaderEditionError as error:
        print(f"reader's edition: {error}", file=sys.stderr)
        return 1
    print(f"download: {archive} ({archive.stat().st_size / 1e6:.1f} MB)" + (f", copied into {args.html}" if args.html else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
