"""The report in a real browser: Debian's headless Chromium, driven by Selenium and chromedriver.

Checks what a reader would notice: the page loads without console errors, every chart
image is there and decodes, the page is not blank, the Danish letters æ, ø, å render as
real glyphs (not missing-glyph boxes), and printing to A4 puts sections on their own pages.

Chromium is not optional: .ci/run installs it (apt-get install chromium chromium-driver)
and this test FAILS, it does not skip, when the browser or its driver is missing.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import tempfile

import numpy as np
import pytest

CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER = ("/usr/bin/chromedriver",)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1200,900")


def _find(paths, name):
    found = next((p for p in paths if os.access(p, os.X_OK)), None) or shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found: the browser test needs Debian's chromium and chromium-driver "
                    "(.ci/run installs them: apt-get install -y --no-install-recommends chromium "
                    "chromium-driver fonts-dejavu-core)", pytrace=False)
    return found


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = _find(CHROMIUM, "chromium")
    profile = tempfile.mkdtemp(prefix="caseflow-chromium-")
    for f in FLAGS + (f"--user-data-dir={profile}",):
        opts.add_argument(f)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium must not try to download a browser or driver.
    driver = webdriver.Chrome(service=Service(executable_path=_find(DRIVER, "chromedriver")), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def loaded(browser, page):
    out, _ = page
    browser.get(out.as_uri())
    browser.execute_script("return document.fonts.ready")
    return browser, out


def test_page_loads_without_console_errors(loaded):
    driver, _ = loaded
    assert driver.title.startswith("Fremskrivning af forsørgelsen")
    errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []


def test_every_chart_is_present_and_decodes(loaded):
    driver, out = loaded
    imgs = driver.execute_script("""
        return Array.from(document.images).map(i => ({name: i.dataset.chart, complete: i.complete,
            w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().width}));""")
    expected = {p.stem for p in out.with_name("report_charts").glob("*.svg")}
    assert {i["name"] for i in imgs} == expected and len(imgs) == 5
    for i in imgs:
        assert i["complete"] and i["w"] > 0 and i["h"] > 0 and i["shown"] > 100, i


def test_screenshot_is_not_blank(loaded):
    import matplotlib.image as mpimg
    driver, _ = loaded
    driver.execute_script("document.getElementById('udvikling').scrollIntoView()")
    png = mpimg.imread(io.BytesIO(driver.get_screenshot_as_png()), format="png")[..., :3]
    grey = png.mean(axis=2)
    # A blank page is one colour (variance 0); a chart page has ink on a fifth or more of it
    # at 1200x900. Thresholds far from both: any real content passes, a blank page cannot.
    assert grey.var() > 0.005
    assert (grey < 0.9).mean() > 0.02


GLYPH_CHECK = """
const font = getComputedStyle(document.body).fontFamily;
const c = document.createElement('canvas'); c.width = 64; c.height = 64;
const g = c.getContext('2d', {willReadFrequently: true});
function pixels(ch) {
  g.clearRect(0, 0, 64, 64); g.fillStyle = '#000'; g.font = '40px ' + font; g.textBaseline = 'top';
  g.fillText(ch, 8, 8);
  return Array.from(g.getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 3));
}
const tofu = pixels('\\u0378');   // an unassigned code point: the missing-glyph box (or nothing)
const out = {};
for (const [ch, base] of [['æ','a'],['ø','o'],['å','a'],['Æ','A'],['Ø','O'],['Å','A']]) {
  const p = pixels(ch), b = pixels(base);
  out[ch] = {ink: p.filter(v => v > 0).length, sameAsTofu: p.every((v, i) => v === tofu[i]),
             sameAsBase: p.every((v, i) => v === b[i])};
}
return {font, out};
"""


def test_danish_letters_are_in_the_text_and_render_as_glyphs(loaded):
    driver, _ = loaded
    text = driver.find_element("tag name", "body").text
    for word in ("Førtidspension", "Uddannelseshjælp", "Hvor går borgerne hen?"):
        assert word in text
    res = driver.execute_script(GLYPH_CHECK)
    for ch, r in res["out"].items():
        assert r["ink"] > 20, (ch, res["font"])
        assert not r["sameAsTofu"], f"{ch} renders as a missing glyph in {res['font']}"
        assert not r["sameAsBase"], f"{ch} renders like its base letter in {res['font']}"


def test_prints_on_a4_with_sections_on_their_own_pages(loaded):
    from selenium.webdriver.common.print_page_options import PrintOptions
    driver, _ = loaded
    opts = PrintOptions()
    opts.page_width, opts.page_height = 21.0, 29.7  # A4, cm
    pdf = base64.b64decode(driver.print_page(opts))
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 6, pages  # six sections, each starting a page
    box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", pdf)
    w, h = float(box.group(1)), float(box.group(2))
    assert np.allclose([w, h], [595.3, 841.9], atol=2)  # A4 in points


def test_hostile_scenario_name_renders_as_text(browser, hostile_page):
    from .conftest import HOSTILE
    browser.get(hostile_page.as_uri())
    assert browser.execute_script("return document.scripts.length") == 0
    assert HOSTILE in browser.find_element("tag name", "h1").text
    assert "<b>bold</b>" in browser.find_element("id", "observed").text
