"""The interactive page: self-contained, and working in a real headless browser.

The browser tests need Chromium (Debian's ``chromium``; ``.ci/run`` installs it) and the
``playwright`` package; where either is missing they are skipped, saying which.
"""

import base64
import gzip
import json
import pathlib
import re
import shutil

import pytest

import tinygrad_rnn as tg
from tinygrad_rnn import nn, viz
from tinygrad_rnn.viz import page as page_module


def _lstm_page(tmp_path, steps=12, layers=1):
    tg.manual_seed(0)
    layer = nn.LSTM(3, 4, num_layers=layers, forget_bias=1.0)
    out, _ = layer(tg.randn(steps, 2, 3))
    loss = out[-1].sum()
    with tg.keep_grads():
        loss.backward()
    return viz.render(viz.draw_graph(loss, params=layer), tmp_path / "graph.html")


def test_page_is_one_file_that_fetches_nothing(tmp_path):
    text = _lstm_page(tmp_path).read_text(encoding="utf-8")
    assert "<script src" not in text and "<link" not in text and "fetch(" not in text
    assert set(re.findall(r"https?://[\w./-]+", text)) <= {"http://www.w3.org/2000/svg"}
    assert (pathlib.Path(page_module.__file__).parent / "page.js").stat().st_size <= 150_000


def test_page_holds_every_step_and_its_strip(tmp_path):
    text = _lstm_page(tmp_path, steps=5, layers=2).read_text(encoding="utf-8")
    cells = set(re.findall(r'data-key="(p0:s:[^"]+)"[^>]*data-role="cell"', text))
    assert len(cells) == 2 * 5
    packed = re.search(r'id="lenses">([^<]+)<', text).group(1)
    lenses = json.loads(gzip.decompress(base64.b64decode(packed)))
    assert set(lenses) == cells  # every step can open
    assert all("addmm" in lens["svg"] and "f = σ" in lens["svg"] for lens in lenses.values())
    bars = set(re.findall(r'class="bar" data-cell="([^"]+)"', text))
    assert bars == cells  # and has its column in the strip


def _browser():
    """(playwright's sync API, the Chromium executable), or a reason to skip."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the browser test needs the playwright package (pip install playwright)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("the browser test needs Chromium on PATH (Debian: apt-get install chromium)")
    return sync_playwright, chromium


@pytest.fixture(scope="module")
def browser():
    sync_playwright, chromium = _browser()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def test_page_in_a_browser(browser, tmp_path):
    path = _lstm_page(tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("#view")

    # hover an edge of the overview: its flow and its tensor's total
    page.locator('.e[data-flow]:not([data-flow="0.0"])').first.hover(force=True)
    assert page.is_visible("#tip")
    text = page.inner_text("#tip")
    assert "gradient along this edge" in text and "in total" in text

    # a click on a step opens its primitives, with the gradient on their edges
    assert page.locator(".lens").count() == 0
    page.locator('.n[data-role="cell"]').nth(6).click()
    page.wait_for_selector(".lens")
    lens = page.locator(".lens")
    assert lens.count() == 1
    labels = lens.locator(".n text").all_text_contents()
    assert {"addmm", "split", "f = σ", "c₆", "h₆"} <= set(labels)
    assert lens.locator(".e[data-flow]").count() > 15
    lens.locator('.n[data-role="state"]').first.hover(force=True)
    assert "‖∂L/∂" in page.inner_text("#tip")

    # a click on a box lights the paths its gradient takes to the loss
    lens.locator(".n", has_text="c₆").first.click()
    assert page.locator("#view.dim").count() == 1
    lit = page.locator(".n.lit").all()
    assert len(lit) > 5 and page.locator('.n.lit[data-role="output"]').count() == 1

    # search, and the strip linked to the graph
    page.fill("#search", "t11")
    assert page.locator(".n.found").count() >= 1
    page.locator('.bar[data-cell$="/t3"]').hover()
    assert page.locator('.n.hot[data-key$="/t3"]').count() == 1
    assert errors == []
    page.close()
