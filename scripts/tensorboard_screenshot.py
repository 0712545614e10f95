"""Screenshot of TensorBoard showing the event files of the three-API network (chapters 7 and 8).

    python scripts/tensorboard_screenshot.py            # -> figures/ch07_tensorboard.png
    python scripts/tensorboard_screenshot.py --out x.png --keep-logs logs/

It trains the network of ``cnnbook.three_apis`` for 30 steps in a TF1 session and with GradientTape
(writing event files into a temporary folder, or ``--keep-logs``), starts ``tensorboard --host 127.0.0.1``
on a free port, opens its scalars page in Debian's chromium driven by Playwright (as the browser tests
do: $CNNBOOK_CHROMIUM, else ``chromium`` on PATH), saves a screenshot and stops TensorBoard.
Not part of the build; the figure is committed only when this script produced it.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_events(logdir):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from cnnbook.three_apis import three_api_data, three_api_weights, tf1_train, tf2_train

    images, labels, _ = three_api_data(30, 50)
    weights = three_api_weights(seed=0)
    tf1_train(weights, images, labels, 50, logdir=str(logdir / "tf1_session"))
    tf2_train(weights, images, labels, 50, logdir=str(logdir / "tf2_gradienttape"))


def wait_for(url, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"TensorBoard did not answer at {url} within {seconds} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "figures" / "ch07_tensorboard.png"))
    parser.add_argument("--keep-logs", help="write the event files here instead of a temporary folder")
    args = parser.parse_args(argv)

    from browser_checks import CHROMIUM_ARGS, find_chromium
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("chromium not found: install it (scripts/install_system_packages.sh) or set $CNNBOOK_CHROMIUM")
    tensorboard = shutil.which("tensorboard") or str(Path(sys.executable).with_name("tensorboard"))

    with tempfile.TemporaryDirectory() as temporary:
        logdir = Path(args.keep_logs) if args.keep_logs else Path(temporary)
        logdir.mkdir(parents=True, exist_ok=True)
        write_events(logdir)
        port = free_port()
        server = subprocess.Popen(
            [tensorboard, "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_for(url + "data/logdir")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                     args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(url + "#scalars", wait_until="networkidle", timeout=120_000)
                page.wait_for_selector("text=loss", timeout=120_000)
                page.wait_for_timeout(3000)  # let the charts draw
                page.screenshot(path=args.out)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
