"""The standalone study report (results/{study}/report.html): what it shows, and that it loads in a
real headless browser with no console errors and every table visible.

The browser test drives Debian's Chromium (/usr/bin/chromium) through playwright; it is skipped
where either is absent (.ci/run installs both)."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from her2rwe.config import validate_config
from her2rwe.outputs import html_report as hr

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "expected_results"
REPORT_DIR = ROOT / "workflow" / "report"
CHROMIUM = Path("/usr/bin/chromium")


def _config() -> dict:
    return validate_config(yaml.safe_load((ROOT / "config.yaml").read_text()))


def _files(root: Path) -> dict:
    """What the workflow shows, taken from a frozen results folder: every Markdown table, every CSV
    without a Markdown version, every figure."""
    markdown = sorted(root.glob("tables/*.md")) + sorted(root.glob("trial_context/*.md"))
    stems = {p.with_suffix("") for p in markdown}
    csvs = [p for p in sorted(root.glob("tables/*.csv")) if p.with_suffix("") not in stems]
    reproduction = root / "reproduction.csv"
    return {
        "tables": [str(p) for p in markdown + csvs],
        "figures": {p.stem: str(p) for p in sorted(root.glob("figures/*.png"))},
        "summary": str(root / "summary.md"),
        "reproduction": str(reproduction) if reproduction.exists() else None,
    }


def _page(study_name: str, tmp_path: Path) -> tuple[Path, int, int]:
    study = _config()["studies"][study_name]
    root = EXPECTED / study_name
    files = _files(root)
    captions = {stem: None for stem in files["figures"]}
    if "km_pfs" in captions:
        captions["km_pfs"] = (REPORT_DIR / "km.rst").read_text()
    methods = {
        "title": study["title"],
        "ci": "95% CI",
        "ties": "Efron",
        "strata": "none",
        "interval": "every 6 months",
        "conf": "95%",
        "rate_ci": "Clopper–Pearson",
        "cbr_weeks": 24,
        "single_arm_forest": "median",
    }
    page, n_tables, n_figures = hr.build_study_report(
        study_name, study, root, files, captions, methods
    )
    path = tmp_path / f"{study_name}.html"
    path.write_text(page, encoding="utf-8")
    return path, n_tables, n_figures


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict]]:
    parser = _Collect()
    parser.feed(text)
    return parser.tags


# ------------------------------------------------------------------------------------------------
# pieces


def test_cells_escape_masked_counts_and_markup():
    table = hr.ReportTable("T <b>", ["Arm", "n"], [["A & B", "<11"]], ["p < 0.05"])
    text = hr.table_html(table, 3)
    assert "<td>&lt;11</td>" in text
    assert "A &amp; B" in text and "T &lt;b&gt;" in text and "p &lt; 0.05" in text
    assert 'id="her2rwe-table-3"' in text and "<strong>Table 3.</strong>" in text


def test_arm_columns_get_a_spanning_header():
    header = ["Adverse event", "A (N = 5) any grade", "A grade 3-4", "B (N = 7) any grade", "B grade 3-4"]
    text = hr.table_html(hr.ReportTable("AE", header, [["x", "1", "2", "3", "4"]]), 1, ["A", "B"])
    assert text.count('colspan="2"') == 2
    assert '<th scope="colgroup" colspan="2" class="spanner">A (N = 5)</th>' in text
    assert '<th scope="col">any grade</th>' in text and '<th scope="col">grade 3-4</th>' in text


def test_csv_cells_round_for_display_only():
    cells = hr.table_from_csv(
        ["metric", "value", "logrank_p", "n"],
        [["a", "0.6588038234738042", "0.00001", "43"], ["b", "7.0", "0.5", "<11"], ["c", "123.456", "", ""]],
        "t",
        "tables/x.csv",
    ).rows
    assert cells[0] == ["a", "0.659", "<0.001", "43"]
    assert cells[1] == ["b", "7.0", "0.500", "<11"]  # as written when 3 decimals or fewer
    assert cells[2] == ["c", "123.456", "", ""]
    assert hr._cell("123.4567", "x") == "123.5"


def test_caption_templates_render_as_snakemake_would():
    methods = {"title": "My study", "ci": "CI text", "ties": "Efron", "strata": "none", "conf": "95%",
               "interval": "every 3 months"}
    text = hr.render_caption((REPORT_DIR / "km.rst").read_text(), {"title": "x"}, "s", methods)
    assert text.startswith("My study: Kaplan-Meier estimates by arm")
    assert "{{" not in text and "\\|" not in text and "(|)" in text
    adjusted = hr.render_caption(
        (REPORT_DIR / "adjusted_love.rst").read_text(),
        {"title": None, "adjustment": {"estimand": "ATE", "matching": False, "smd_threshold": 0.1}},
        "study_x",
        {},
    )
    assert adjusted.startswith("Love plot of study_x:") and "after ATE weighting" in adjusted


def test_report_shows_every_table_figure_and_section(tmp_path):
    path, n_tables, n_figures = _page("adc_vs_hpc", tmp_path)
    text = path.read_text(encoding="utf-8")
    tags = _tags(text)
    tables = [a for t, a in tags if t == "table"]
    images = [a for t, a in tags if t == "img"]
    markdown_tables = sum(
        len([t for t in hr.parse_markdown_tables(p.read_text()) if t.rows])
        for p in [*(EXPECTED / "adc_vs_hpc").glob("tables/*.md"), *(EXPECTED / "adc_vs_hpc").glob("trial_context/*.md")]
    )
    assert len(tables) == n_tables > markdown_tables  # every Markdown table, plus CSV-only ones
    assert len(images) == n_figures == len(list((EXPECTED / "adc_vs_hpc").glob("figures/*.png")))
    assert all(a["src"].startswith("data:image/png;base64,") for a in images)
    for section in ("design", "key-results", "reproduction", "tables", "figures", "methods"):
        assert f'<section id="{section}">' in text
    assert "Moore O, Brown MQ" in text and "Synthetic data" in text
    assert "Median PFS was 7.0 months" in text and "Kaplan-Meier method" in text
    assert re.search(r"<strong>(\d+) of \1</strong> published targets reproduced", text)
    # offline: nothing is loaded from anywhere
    assert not re.search(r"""(src|href)=["'](https?:)?//""", text)
    assert "<script" not in text


def test_same_inputs_same_bytes(tmp_path):
    first, _, _ = _page("tki_after_tdm1", tmp_path)
    one = first.read_bytes()
    second, _, _ = _page("tki_after_tdm1", tmp_path)
    assert second.read_bytes() == one


# ------------------------------------------------------------------------------------------------
# a real browser


def _browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("no Chromium (Debian package chromium) on this machine")
    return sync_api


@pytest.mark.parametrize("study", ["adc_vs_hpc", "tki_after_tdm1"])
def test_report_loads_in_a_headless_browser(study, tmp_path):
    sync_api = _browser()
    path, n_tables, n_figures = _page(study, tmp_path)
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}"))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url[:80]}"))
            page.goto(path.as_uri(), wait_until="load")
            tables = page.locator("table.her2rwe")
            assert tables.count() == n_tables
            for i in range(n_tables):
                table = tables.nth(i)
                table.scroll_into_view_if_needed()
                assert table.is_visible()
                box = table.bounding_box()
                assert box and box["width"] > 100 and box["height"] > 40
                assert table.locator("tbody tr").count() >= 1
            loaded = page.evaluate(
                "Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length"
            )
            assert loaded == n_figures
            assert page.title()
        finally:
            browser.close()
    assert problems == []
