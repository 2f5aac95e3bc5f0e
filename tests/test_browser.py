"""The explain page in a real browser: Debian's headless chromium, driven by selenium.

The page is loaded from a file:// URL; the tests click a table row, a line of code and use the
keyboard, and check what is highlighted. At 1024, 1280 and 1920 px wide they check that the page
never scrolls sideways, that every table fits its pane, that anything else too big for its box
scrolls inside it, that the code sits beside the table where there is room and below it where
there is not, and that selecting any row brings its own lines of code into view; printed, that
the page is one column with nothing cut. The what-if toggles: ResNet-50's v1 shows the
compiler's numbers for it with the changed cells and lines marked, and switching back restores
the spec's own view; a variant the compiler refuses shows its diagnostic. Screenshots of each
state (and the printed PDF) are saved under test-artifacts/ in the repository root. Skipped,
with the reason, only where chromium or its driver is not installed (`.ci/run` installs both).
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from resnetc.pipeline import analyze
from resnetc.teach.explanation import explain
from tests.conftest import ROOT, SPEC_DIR

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason=f"no browser: {CHROMIUM} and {CHROMEDRIVER} are not both installed"
    " (apt-get install -y chromium chromium-driver)",
)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="resnetc-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("page") / "resnet50.html"
    run = subprocess.run(
        [sys.executable, "-m", "resnetc", "explain", "spec/resnet50.yaml", "--html", "-o", path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return path


@pytest.fixture(scope="module")
def focus() -> dict[str, tuple[int, int]]:
    """Each row's own lines (its first code range): what selecting it must bring into view."""
    spec = SPEC_DIR / "resnet50.yaml"
    exp = explain(analyze(spec.read_bytes(), str(spec)))
    return {p.key: (p.code[0].start, p.code[0].end) for p in exp.parts}


@pytest.fixture(scope="module")
def parts():
    spec = SPEC_DIR / "resnet50.yaml"
    exp = explain(analyze(spec.read_bytes(), str(spec)))
    return {p.key: {n for r in p.code for n in range(r.start, r.end + 1)} for p in exp.parts}


def screenshot(driver, name: str) -> None:
    """Save the whole page (the window grown to its height) as test-artifacts/NAME."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(height, 1000), 4000))
    try:
        assert driver.save_screenshot(str(ARTIFACTS / name))
    finally:
        driver.set_window_size(1400, 1000)


def highlighted(driver) -> set[int]:
    from selenium.webdriver.common.by import By

    lines = driver.find_elements(By.CSS_SELECTOR, ".ln.hl")
    return {int(el.get_attribute("id")[1:]) for el in lines}


def classes(element) -> set[str]:
    return set((element.get_attribute("class") or "").split())


def test_clicking_a_cell_highlights_its_code_diagram_and_layers(browser, page, parts) -> None:
    from selenium.webdriver.common.by import By

    browser.get(page.as_uri())
    assert browser.title == "resnet50: from the table to the code"
    assert highlighted(browser) == set()
    row = browser.find_element(By.ID, "row-layer2")
    row.click()
    assert "sel" in classes(row) and row.get_attribute("aria-selected") == "true"
    assert highlighted(browser) == parts["layer2"]
    init = [browser.find_element(By.ID, f"L{n}").text for n in sorted(parts["layer2"])]
    assert any("# conv3_x: [[1x1,128],[3x3,128],[1x1,512]] x 4" in t for t in init)
    assert any("self.layer2 = nn.Sequential(" in t for t in init)
    boxes = browser.find_elements(By.CSS_SELECTOR, '.diagram [data-part="layer2"]')
    assert len(boxes) == 1 and all("sel" in classes(b) for b in boxes)
    detail = browser.find_element(By.ID, "detail-layer2")
    assert detail.is_displayed()
    assert "layer2.0.downsample.0" in detail.text  # its layers
    assert "floor((56 + 2*1 - 3) / 2) + 1 = 28" in detail.text
    assert not browser.find_element(By.ID, "detail-overview").is_displayed()
    screenshot(browser, "explain-resnet50-conv3_x.png")


def test_clicking_a_code_line_highlights_its_cell(browser, page, parts) -> None:
    from selenium.webdriver.common.by import By

    browser.get(page.as_uri())
    line = next(
        el
        for el in browser.find_elements(By.CSS_SELECTOR, ".ln")
        if "self.layer3 = nn.Sequential(" in el.text
    )
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", line)
    line.click()
    row = browser.find_element(By.ID, "row-layer3")
    assert "sel" in classes(row)
    assert "cur" in classes(line)
    assert highlighted(browser) == parts["layer3"]
    assert browser.find_element(By.ID, "detail-layer3").is_displayed()
    # A line of the Bottleneck class belongs to every stage: all four rows light up.
    shared = browser.find_element(By.ID, f"L{min(parts['layer1'] & parts['layer4'])}")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", shared)
    shared.click()
    lit = {
        r.get_attribute("id")
        for r in browser.find_elements(By.CSS_SELECTOR, ".cells tr.sel, .cells tr.hl")
    }
    assert lit == {"row-layer1", "row-layer2", "row-layer3", "row-layer4"}
    screenshot(browser, "explain-resnet50-code-line.png")


def test_the_table_works_from_the_keyboard(browser, page, parts) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(page.as_uri())
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    # First the what-if toggles, one stop per group (its checked choice), then the table's rows.
    stops = []
    for _ in range(3):
        stops.append(browser.switch_to.active_element.get_attribute("id"))
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert stops == ["wi-downsample_at-1", "wi-shortcut-1", "wi-input-0"]
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == "row-conv1"
    focused.send_keys(Keys.ARROW_DOWN)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == "row-pool"
    focused.send_keys(Keys.ENTER)
    assert "sel" in classes(browser.find_element(By.ID, "row-pool"))
    assert highlighted(browser) == parts["pool"]
    code = browser.find_element(By.ID, "code")
    code.send_keys(Keys.ARROW_DOWN, Keys.ENTER)  # line 2: the module docstring, no part
    assert "sel" in classes(browser.find_element(By.ID, "row-pool"))
    screenshot(browser, "explain-resnet50-keyboard.png")


# ---------------------------------------------------------------- screens from 1024 px up

WIDTHS = (1024, 1280, 1920)
HEIGHT = 768  # a projector's 1024x768

MEASURE = """
function scrolls(v) { return v === "auto" || v === "scroll"; }
var doc = document.documentElement;
var out = {page: [doc.scrollWidth, doc.clientWidth, window.innerWidth], tables: [], stuck: []};
document.querySelectorAll("table").forEach(function (t) {
  if (!t.getClientRects().length) { return; }
  out.tables.push([t.className, t.scrollWidth, t.parentElement.clientWidth]);
});
document.querySelectorAll("body *").forEach(function (el) {
  if (!el.getClientRects().length || !(el instanceof HTMLElement)) { return; }
  var style = getComputedStyle(el);
  if (style.display === "inline") { return; }
  var wide = el.scrollWidth > el.clientWidth + 1, tall = el.scrollHeight > el.clientHeight + 1;
  if ((wide && !scrolls(style.overflowX)) || (tall && !scrolls(style.overflowY))) {
    out.stuck.push(el.tagName + "." + el.className + "#" + el.id + " " + el.scrollWidth + "x"
      + el.scrollHeight + " in " + el.clientWidth + "x" + el.clientHeight);
  }
});
var t = document.querySelector(".table-pane").getBoundingClientRect();
var c = document.querySelector(".code-pane").getBoundingClientRect();
out.beside = c.left >= t.right && c.top < t.bottom;
out.below = c.top >= t.bottom;
return out;
"""

IN_VIEW = """
var code = document.getElementById("code"), box = code.getBoundingClientRect();
var top = box.top + code.clientTop, bottom = top + code.clientHeight;
var a = document.getElementById("L" + arguments[0]).getBoundingClientRect();
var b = document.getElementById("L" + arguments[1]).getBoundingClientRect();
var row = document.querySelector(".cells tr.sel").getBoundingClientRect();
return {
  inPane: a.top >= top - 1 && b.bottom <= bottom + 1,
  inWindow: a.top >= -1 && b.bottom <= window.innerHeight + 1,
  left: code.scrollLeft,
  rowShown: row.bottom > 0 && row.top < window.innerHeight,
};
"""


def measure(driver) -> dict:
    """Check the page fits: no sideways scroll, tables in their panes, overflow only scrolls."""
    m = driver.execute_script(MEASURE)
    assert m["page"][0] <= m["page"][1], f"the page scrolls sideways: {m['page']}"
    for name, needs, room in m["tables"]:
        assert needs <= room, f"table {name!r} needs {needs} px in a pane of {room}"
    assert m["stuck"] == [], "overflowing without scrolling"
    return m


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_fits_a_screen(browser, page, focus, width: int) -> None:
    from selenium.webdriver.common.by import By

    browser.set_window_size(width, HEIGHT)
    try:
        browser.get(page.as_uri())
        assert browser.execute_script("return window.innerWidth") == width
        m = measure(browser)
        if width < 1180:
            assert m["below"], "at 1024 px the code should sit under the table"
        else:
            assert m["beside"], f"at {width} px the code should sit beside the table"
        for key, (start, end) in focus.items():
            browser.find_element(By.ID, f"row-{key}").click()
            measure(browser)  # the row's details are shown now: they fit too
            seen = browser.execute_script(IN_VIEW, start, end)
            assert seen == {"inPane": True, "inWindow": True, "left": 0, "rowShown": True}, (
                key,
                seen,
            )
        browser.execute_script("window.scrollTo(0, 0)")
        browser.find_element(By.ID, "row-layer2").click()
        ARTIFACTS.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / f"explain-resnet50-{width}px.png"))
    finally:
        browser.set_window_size(1400, 1000)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_widest_shipped_table_fits(browser, tmp_path: Path, width: int) -> None:
    """ResNeXt's cells (`3x3, 256, C=32`) make the widest table of the shipped specs."""
    from selenium.webdriver.common.by import By

    from resnetc.teach.page import html

    spec = SPEC_DIR / "resnext50_32x4d.yaml"
    path = tmp_path / "resnext.html"
    path.write_text(html(analyze(spec.read_bytes(), "spec/resnext50_32x4d.yaml")))
    browser.set_window_size(width, HEIGHT)
    try:
        browser.get(path.as_uri())
        measure(browser)
        browser.find_element(By.ID, "row-layer4").click()
        measure(browser)
    finally:
        browser.set_window_size(1400, 1000)


def test_the_page_prints(browser, page) -> None:
    """Printed: one column, every part's explanation, every code line wrapped, nothing cut."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.print_page_options import PrintOptions

    browser.set_window_size(800, HEIGHT)  # about an A4 page's width at 96 px per inch
    browser.get(page.as_uri())
    browser.find_element(By.ID, "row-layer2").click()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        measure(browser)
        shown = browser.execute_script(
            "return Array.prototype.map.call(document.querySelectorAll('.detail'),"
            " function (d) { return d.getClientRects().length > 0; })"
        )
        assert shown and all(shown)
        code = browser.find_element(By.ID, "code")
        assert browser.execute_script(
            "var c = arguments[0]; return c.scrollHeight <= c.clientHeight + 1"
            " && c.scrollWidth <= c.clientWidth + 1",
            code,
        )
        options = PrintOptions()
        options.page_width, options.page_height = 21.0, 29.7
        pdf = base64.b64decode(browser.print_page(options))
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        browser.set_window_size(1400, 1000)
    assert pdf.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    out = ARTIFACTS / "explain-resnet50-print.pdf"
    out.write_bytes(pdf)
    if shutil.which("pdftoppm"):
        prefix = str(ARTIFACTS / "explain-resnet50-print")
        subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "4", str(out), prefix],
                       check=True, timeout=60)  # fmt: skip


# ---------------------------------------------------------------- what-if toggles


def _variant(spec: Path, options: str, name: str):
    """The spec with `options` appended, analysed as `resnetc check` would a file of its own."""
    return analyze(spec.read_text(encoding="utf-8") + options, name)


def test_what_if_toggles_show_a_variant_and_come_back(browser, page, parts) -> None:
    """v1 against the spec's own v1.5 on ResNet-50: the compiler's numbers for the variant (a
    spec with `downsample_at: 1x1`, analysed here on its own), changed cells and code lines
    marked, the selected row's highlighting kept; then back to the spec's own view."""
    import difflib

    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from resnetc.core.costs import stages, totals

    spec = SPEC_DIR / "resnet50.yaml"
    own = explain(analyze(spec.read_bytes(), "spec/resnet50.yaml"))
    v1 = _variant(spec, "options:\n  downsample_at: 1x1\n", "resnet50-v1-B-224x224.yaml")
    mine = explain(v1)
    browser.set_window_size(1400, 1000)
    browser.get(page.as_uri())
    browser.find_element(By.ID, "row-layer2").click()
    radio = browser.find_element(By.ID, "wi-downsample_at-1")  # v1.5, the spec's: checked
    assert radio.is_selected() and radio.get_attribute("data-own") is not None
    radio.send_keys(Keys.ARROW_UP)  # the keyboard moves the choice to v1
    assert browser.find_element(By.ID, "wi-downsample_at-0").is_selected()

    status = browser.find_element(By.ID, "whatif-status").text
    params, macs = totals(v1.network)
    assert f"{params:,} parameters (as the spec's own)" in status
    assert f"{macs:,} multiply-adds" in status and f"{own.totals[1]:,}" in status
    assert (macs, own.totals[1]) == (3_857_973_248, 4_089_184_256)  # the paper's 3.8 vs 4.1 G
    cells = {}
    for td in browser.find_elements(By.CSS_SELECTOR, ".cells td.changed"):
        row = td.find_element(By.XPATH, "..").get_attribute("id") or "total"
        field = next(c for c in ("out", "params", "macs") if c in classes(td))
        cells[row, field] = td.find_element(By.CLASS_NAME, "v").text
    stage_macs = [c.macs for c in stages(v1.network)]  # conv1 and pool, the stages, the head
    expected = {(f"row-layer{i}", "macs"): f"{stage_macs[i]:,}" for i in (2, 3, 4)}
    assert cells == {**expected, ("total", "macs"): f"{macs:,}"}
    was = browser.find_element(By.CSS_SELECTOR, ".cells tfoot td.changed .was").text
    assert was == f"spec's own: {own.totals[1]:,}"

    changed = browser.find_elements(By.CSS_SELECTOR, ".ln.chg")
    diff = difflib.SequenceMatcher(None, own.module_lines, mine.module_lines, autojunk=False)
    lines = {n + 1 for tag, _, _, b1, b2 in diff.get_opcodes() if tag != "equal"
             for n in range(b1, b2)}  # fmt: skip
    assert {int(el.get_attribute("id")[1:]) for el in changed} == lines
    assert any("self.conv1 = conv1x1(in_channels, planes, stride)" in el.text for el in changed)
    layer2 = next(p for p in mine.parts if p.key == "layer2")
    assert highlighted(browser) == {n for r in layer2.code for n in range(r.start, r.end + 1)}
    assert "sel" in classes(browser.find_element(By.ID, "row-layer2"))
    detail = browser.find_element(By.ID, "detail-layer2").text
    assert "layer2.0.conv1 1x1 conv, stride 2, padding 0" in detail
    browser.find_element(By.ID, "next-change").click()
    first = browser.find_element(By.CSS_SELECTOR, ".ln.cur")
    assert first.get_attribute("id") == f"L{min(lines)}"
    screenshot(browser, "whatif-resnet50-v1.png")

    browser.set_window_size(1024, HEIGHT)  # the variant's marked table still fits a projector
    try:
        browser.find_element(By.CSS_SELECTOR, "label[for=wi-shortcut-0]").click()
        browser.find_element(By.CSS_SELECTOR, "label[for=wi-input-1]").click()
        measure(browser)
        out = browser.find_element(By.CSS_SELECTOR, "#row-layer4 td.out .v").text
        sizes = re.compile(r"^  conv\w+: \d+x\d+\n", re.M)  # expect's sizes, for 224x224
        text = sizes.sub("", spec.read_text(encoding="utf-8"))
        small = analyze(text.replace("224x224x3", "32x32x3") + "options:\n  shortcut: A\n", "a")
        assert out == str(small.network.stages[-1].output) == "2048x1x1"
        assert "ZeroPadShortcut" in browser.find_element(By.ID, "code").text
    finally:
        browser.set_window_size(1400, 1000)

    browser.find_element(By.ID, "whatif-reset").click()
    assert browser.find_elements(By.CSS_SELECTOR, ".changed, .ln.chg, .ln.del") == []
    assert len(browser.find_elements(By.CSS_SELECTOR, ".ln")) == len(own.module_lines)
    assert highlighted(browser) == parts["layer2"]
    total = browser.find_element(By.CSS_SELECTOR, ".cells tfoot td.macs").text
    assert total == f"{own.totals[1]:,}"
    assert browser.find_element(By.ID, "wi-downsample_at-1").is_selected()
    assert browser.find_element(By.ID, "whatif-reset").get_attribute("disabled") is not None
    assert browser.get_log("browser") == []
    screenshot(browser, "whatif-resnet50-own-again.png")


def test_a_refused_variant_shows_its_diagnostic(browser, tmp_path: Path) -> None:
    """Option A where a stage narrows its filters: the compiler refuses it, and the page shows
    its diagnostic as resnetc prints it, instead of the table and the code."""
    from selenium.webdriver.common.by import By

    from resnetc.front.diagnostics import CompileError
    from resnetc.teach.page import html

    spec = ROOT / "tests" / "specs" / "whatif.yaml"
    path = tmp_path / "whatif.html"
    path.write_text(html(analyze(spec.read_bytes(), "tests/specs/whatif.yaml")))
    browser.get(path.as_uri())
    browser.find_element(By.CSS_SELECTOR, "label[for=wi-shortcut-0]").click()  # A
    refused = browser.find_element(By.ID, "refused")
    assert refused.is_displayed()
    assert not browser.find_element(By.CSS_SELECTOR, ".split").is_displayed()
    assert not browser.find_element(By.CSS_SELECTOR, ".diagram").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "#whatif-spec summary").click()
    shown = browser.find_element(By.ID, "whatif-spec-text").text
    text = "\n".join(line[6:] for line in shown.splitlines()) + "\n"  # the gutter left out
    name = browser.find_element(By.ID, "whatif-file").text
    with pytest.raises(CompileError) as refusal:
        analyze(text, name)
    said = browser.find_element(By.ID, "refused-text").text
    assert said == refusal.value.render()
    assert "it cannot reduce 256 channels to 128" in said and "shortcut: A" in shown
    screenshot(browser, "whatif-refused.png")
    browser.find_element(By.CSS_SELECTOR, "label[for=wi-shortcut-1]").click()  # B, the spec's
    assert not refused.is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, ".split").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, ".changed, .ln.chg") == []
    assert browser.get_log("browser") == []
