"""Drawing and rendering times of LSTM graphs, against a general layout program in the same run.

Ours: ``draw_graph`` (records, views, the layout from the graph's structure), then writing
SVG, PNG (matplotlib) and the interactive page. No external program is used, so the times
are the same with or without a system Graphviz. The baseline is what drawings were before:
the same graph handed to a general layout program (DOT with a cluster per step, no
positions) - graphviz-pure, and the system ``dot`` when it is on PATH - each with a time
limit, printed with the width of what it makes. The ratio is baseline / ours (draw + SVG).

    python benchmarks/bench_viz.py [--limit 120] [--no-baseline] [--browser]
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tinygrad_rnn as tg
from tinygrad_rnn import nn, viz
from tinygrad_rnn.viz.dot import to_dot

CASES = {  # name: (steps, layers, collapse)
    "expanded, 2 layers, T=20": (20, 2, False),
    "expanded, 1 layer, T=100": (100, 1, False),
    "collapsed, 1 layer, T=1000": (1000, 1, True),
}


def lstm_loss(steps, layers):
    tg.manual_seed(0)
    layer = nn.LSTM(8, 16, num_layers=layers, forget_bias=1.0)
    out, _ = layer(tg.randn(steps, 4, 8))
    loss = out[-1].sum()
    with tg.keep_grads():
        loss.backward()
    return layer, loss


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def general_layout(program, source, limit):
    """(seconds, width in px) for ``program`` to lay out and write ``source`` as SVG (None: past ``limit``)."""
    start = time.perf_counter()
    try:
        run = subprocess.run([program, "-Tsvg"], input=source.encode(), capture_output=True, timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        return None
    seconds = time.perf_counter() - start
    width = re.search(rb'<svg width="([0-9.]+)pt"', run.stdout)
    return seconds, float(width.group(1)) * 4 / 3 if width else float("nan")


def programs():
    """The general layout programs found: [(name, path)]."""
    found = [("graphviz-pure", shutil.which("graphviz-pure") or str(Path(sys.executable).parent / "graphviz-pure"))]
    if shutil.which("dot"):
        found.append(("system dot", shutil.which("dot")))
    return [(name, path) for name, path in found if Path(path).exists()]


def page_open_seconds(path):
    """Seconds for headless Chromium to open the page and answer a click on a step (None: no browser)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        start = time.perf_counter()
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("#view")
        opened = time.perf_counter() - start
        start = time.perf_counter()
        page.locator('.n[data-role="cell"]').nth(50).click()
        page.wait_for_selector(".lens")
        clicked = time.perf_counter() - start
        browser.close()
    return opened, clicked


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=float, default=120.0, help="seconds a baseline may take (default 120)")
    parser.add_argument("--no-baseline", action="store_true", help="time ours only")
    parser.add_argument("--browser", action="store_true", help="also time opening the T=100 page in Chromium")
    args = parser.parse_args()
    baselines = [] if args.no_baseline else programs()
    print(f"system Graphviz (dot) on PATH: {'yes' if shutil.which('dot') else 'no'} (ours never calls it)")
    out = Path(tempfile.mkdtemp(prefix="bench_viz_"))
    for name, (steps, layers, collapse) in CASES.items():
        _, loss = lstm_loss(steps, layers)
        drawing, draw = timed(lambda: viz.draw_graph(loss, collapse=collapse))
        _, svg = timed(lambda: viz.render(drawing, out / "g.svg"))
        _, png = timed(lambda: viz.render(drawing, out / "g.png"))
        page, html = timed(lambda: viz.render(drawing, out / f"g{steps}.html"))
        ours = draw + svg
        print(f"\n{name}: {len(drawing.picture.boxes):,} boxes, {drawing.width:.0f} × {drawing.height:.0f} px")
        print(f"  ours: draw {draw:.2f} s, svg {svg:.2f} s (together {ours:.2f} s), png {png:.2f} s, ")
        print(f"        interactive page {html:.2f} s, {page.stat().st_size / 1e6:.2f} MB")
        source = to_dot(drawing.picture, positions=False)
        for program, path in baselines:
            result = general_layout(path, source, args.limit)
            if result is None:
                ratio = args.limit / ours
                print(f"  {program} (general layout, svg): more than {args.limit:.0f} s: ours is > {ratio:.0f}x faster")
            else:
                seconds, width = result
                what = f"{seconds:.2f} s, {width:,.0f} px wide"
                print(f"  {program} (general layout, svg): {what}: {seconds / ours:.1f}x ours")
        if args.browser and steps == 100:
            timing = page_open_seconds(page)
            if timing is None:
                print("  page in Chromium: no browser (needs playwright and chromium)")
            else:
                print(f"  page in Chromium: opened in {timing[0]:.2f} s, a step opened on click in {timing[1]:.2f} s")
    script = Path(viz.__file__).parent / "page.js"
    print(f"\nthe page's script: {script.stat().st_size / 1e3:.1f} KB")


if __name__ == "__main__":
    main()
