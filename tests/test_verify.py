"""The drift check (her2rwe verify / freeze) on a hand-made results folder, and pinned fonts.

Every expected outcome below is stated by hand: which file, row and column must be named, and
whether a tampered value lies inside or outside the tolerance (rtol 1e-9 by default).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from her2rwe import cli
from her2rwe.outputs import verify as drift

SURVIVAL = (
    "endpoint,arm,n,events,median,median_lower,median_upper\n"
    "pfs,ADC,83,70,7.0123456789,5.5,8.25\n"
    "pfs,HP+C,67,60,8.9,6.1,\n"
)
MD = "| Endpoint | Median |\n|---|---|\n| PFS | 7.0 (5.5-8.3) |\n"


def _results(root: Path) -> Path:
    """A tiny results folder: one shareable table, one Markdown table, one figure, one text list,
    plus files that are never frozen (patient-level data, internal tables, logs)."""
    study = root / "demo"
    (study / "tables").mkdir(parents=True)
    (study / "figures" / "text").mkdir(parents=True)
    (study / "internal").mkdir()
    (study / "logs").mkdir()
    (study / "tables" / "survival.csv").write_text(SURVIVAL)
    (study / "tables" / "survival.md").write_text(MD)
    (study / "figures" / "km_pfs.png").write_bytes(b"\x89PNG fake bytes")
    (study / "figures" / "text" / "km_pfs.txt").write_text("Months\nADC\nHP+C\n")
    (study / "internal" / "survival.csv").write_text(SURVIVAL)
    (study / "survival").mkdir()
    (study / "survival" / "risk_table.csv").write_text("arm,time,n_risk,surv\nADC,0,83,1.0\n")
    (study / "logs" / "x.log").write_text("log\n")
    (study / "analysis_dataset.parquet").write_bytes(b"patient-level")
    (root / "MANIFEST.sha256").write_text("abc  x\n")
    return root


@pytest.fixture
def frozen(tmp_path):
    results = _results(tmp_path / "results")
    expected = tmp_path / "expected"
    drift.freeze(results, expected)
    return results, expected


def _set(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_freeze_copies_only_shareable_outputs(frozen):
    _, expected = frozen
    files = drift.shareable_files(expected)
    assert files == [
        "demo/figures/km_pfs.png",
        "demo/figures/text/km_pfs.txt",
        "demo/tables/survival.csv",
        "demo/tables/survival.md",
    ]
    assert json.loads((expected / drift.FROZEN_INFO).read_text())["files"] == 4


def test_identical_results_pass(frozen):
    results, expected = frozen
    report = drift.verify(expected, results)
    assert report.ok and report.compared == 4


def test_number_moved_by_1e_6_relative_fails_and_is_named(frozen, capsys):
    results, expected = frozen
    # 7.0123456789 * (1 + 1e-6) = 7.0123526912456789 -> written to 10 significant digits below
    _set(results / "demo/tables/survival.csv", "7.0123456789", "7.012352691")
    code = cli.main(["verify", "--expected", str(expected), "--results", str(results)])
    out = capsys.readouterr().out
    assert code == 1
    line = out.splitlines()[0]
    assert line.startswith("demo/tables/survival.csv: row endpoint=pfs, arm=ADC: median: ")
    assert "expected 7.0123456789, got 7.012352691" in line
    assert "relative difference 1e-06" in line


def test_number_moved_by_1e_12_relative_passes(frozen):
    results, expected = frozen
    # 8.9 * (1 + 1e-12) = 8.9000000000089
    _set(results / "demo/tables/survival.csv", "8.9,", "8.9000000000089,")
    assert drift.verify(expected, results).ok


def test_changed_count_fails_even_by_one(frozen):
    results, expected = frozen
    _set(results / "demo/tables/survival.csv", ",70,", ",71,")
    report = drift.verify(expected, results)
    assert [str(d) for d in report.drifts] == [
        "demo/tables/survival.csv: row endpoint=pfs, arm=ADC: events: expected 70, got 71"
    ]


def test_missing_value_is_a_difference(frozen):
    results, expected = frozen
    _set(results / "demo/tables/survival.csv", "8.9,6.1,", "8.9,6.1,12.5")
    report = drift.verify(expected, results)
    assert len(report.drifts) == 1
    assert report.drifts[0].where == "row endpoint=pfs, arm=HP+C: median_upper"


def test_changed_label_fails(frozen):
    results, expected = frozen
    _set(results / "demo/tables/survival.csv", "HP+C", "HP+c")
    report = drift.verify(expected, results)
    text = report.render()
    assert not report.ok
    assert "row endpoint=pfs, arm=HP+C: expected a row, got no such row" in text
    assert "row endpoint=pfs, arm=HP+c: expected no such row, got a row" in text


def test_missing_and_extra_files_fail(frozen):
    results, expected = frozen
    (results / "demo/tables/survival.md").unlink()
    (results / "demo/tables/extra.csv").write_text("a\n1\n")
    report = drift.verify(expected, results)
    assert sorted(str(d) for d in report.drifts) == [
        "demo/tables/extra.csv: file: expected no such file, got a file",
        "demo/tables/survival.md: file: expected a file, got no such file",
    ]


def test_markdown_compared_as_text(frozen):
    results, expected = frozen
    _set(results / "demo/tables/survival.md", "7.0 (5.5", "7.1 (5.5")
    report = drift.verify(expected, results)
    assert [d.where for d in report.drifts] == ["line 3"]


def test_figure_bytes_compared_on_the_same_platform_only(frozen):
    results, expected = frozen
    (results / "demo/figures/km_pfs.png").write_bytes(b"\x89PNG other bytes")
    assert [d.where for d in drift.verify(expected, results).drifts] == ["bytes"]
    info = json.loads((expected / drift.FROZEN_INFO).read_text())
    info["platform"]["machine"] = "another-cpu"
    (expected / drift.FROZEN_INFO).write_text(json.dumps(info))
    report = drift.verify(expected, results)
    assert report.ok
    assert "PDF/PNG bytes not compared" in report.render()
    # ... but the text the figure draws is still compared
    _set(results / "demo/figures/text/km_pfs.txt", "HP+C", "HP+C (n = 67)")
    assert [d.file for d in drift.verify(expected, results).drifts] == [
        "demo/figures/text/km_pfs.txt"
    ]


def test_report_lists_at_most_max_lines_then_a_count(frozen):
    results, expected = frozen
    rows = "".join(f"pfs,arm{i},{i},1,1.0,1.0,1.0\n" for i in range(60))
    (results / "demo/tables/survival.csv").write_text(SURVIVAL.splitlines()[0] + "\n" + rows)
    (expected / "demo/tables/survival.csv").write_text(
        SURVIVAL.splitlines()[0] + "\n" + rows.replace(",1,1.0", ",2,1.0")
    )
    text = drift.verify(expected, results).render(max_lines=50)
    lines = text.splitlines()
    assert len(lines) == 52
    assert lines[50] == "... and 10 more"
    assert lines[51].startswith("drift: 60 difference(s) in 1 of 4 file(s)")


def test_cli_freeze_then_verify(tmp_path, capsys):
    results = _results(tmp_path / "results")
    assert cli.main(["freeze", "--to", str(tmp_path / "exp"), "--results", str(results)]) == 0
    assert cli.main(["verify", "--expected", str(tmp_path / "exp"), "--results", str(results)]) == 0
    assert "no drift: 4 file(s) agree" in capsys.readouterr().out
    assert (
        cli.main(["verify", "--expected", str(tmp_path / "none"), "--results", str(results)]) == 2
    )


def test_cannot_freeze_into_the_results_folder(tmp_path):
    results = _results(tmp_path / "results")
    with pytest.raises(ValueError, match="inside the results folder"):
        drift.freeze(results, results / "expected")


def test_compare_cells_rules():
    # counts: exact; floats: rtol or atol; text: exact; empty vs value: a difference
    assert drift.compare_cells("12", "12", 1e-9, 1e-12)[0]
    assert not drift.compare_cells("12", "13", 1e-9, 1e-12)[0]
    assert drift.compare_cells("0.1", "0.10000000000000002", 1e-9, 1e-12)[0]
    assert not drift.compare_cells("0.1", "0.1000001", 1e-9, 1e-12)[0]
    assert drift.compare_cells("0.0", "1e-15", 1e-9, 1e-12)[0]  # atol near zero
    assert not drift.compare_cells("0.0", "1e-11", 1e-9, 1e-12)[0]
    assert not drift.compare_cells("", "0", 1e-9, 1e-12)[0]
    assert not drift.compare_cells("ADC", "ADC ", 1e-9, 1e-12)[0]
    assert drift.compare_cells("nan", "NaN", 1e-9, 1e-12)[0]


# --- pinned fonts --------------------------------------------------------------------------------

FONT_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from matplotlib import font_manager as fm

    decoy_dir = sys.argv[2] if len(sys.argv) > 2 else None
    if decoy_dir:
        # an operating system's DejaVu Sans, preferred by family lookup (first in the list)
        for path in sorted(Path(decoy_dir).glob("*.ttf")):
            fm.fontManager.addfont(str(path))
            fm.fontManager.ttflist.insert(0, fm.fontManager.ttflist.pop())
        fm.fontManager._findfont_cached.cache_clear()
        found = fm.findfont(fm.FontProperties(family="DejaVu Sans"))
        assert found.startswith(decoy_dir), found  # the decoy would be used without pinning
    from her2rwe.outputs.plotting import style

    fig = style.new_figure("single", 40)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [1.0, 0.6, 0.3], label="ADC (n = 83)")
    ax.set_xlabel("Months since index \u2264 24 \u2014 \u03b1 \u2211 \u2713")
    ax.legend()
    style.save(fig, pdf=sys.argv[1])
    found = fm.findfont(fm.FontProperties(family="DejaVu Sans"))
    assert not decoy_dir or not found.startswith(decoy_dir), found
    """
)


def test_pdf_bytes_do_not_depend_on_the_systems_dejavu(tmp_path):
    from fontTools.ttLib import TTFont

    from her2rwe.outputs.plotting.style import shipped_font

    decoys = tmp_path / "fonts"
    decoys.mkdir()
    for weight in ("normal", "bold"):
        font = TTFont(str(shipped_font(weight)))
        for rec in font["name"].names:
            if rec.nameID == 5:  # version string: another build of the same family
                rec.string = "Version 9.99 (another build)"
        font["head"].fontRevision = 9.99
        font.save(str(decoys / f"decoy-{weight}.ttf"))
    env_script = tmp_path / "draw.py"
    env_script.write_text(FONT_SCRIPT)
    plain, with_decoy = tmp_path / "plain.pdf", tmp_path / "decoy.pdf"
    subprocess.run([sys.executable, str(env_script), str(plain)], check=True)
    subprocess.run([sys.executable, str(env_script), str(with_decoy), str(decoys)], check=True)
    assert plain.read_bytes() == with_decoy.read_bytes()
    assert b"9.99" not in with_decoy.read_bytes()


def test_curve_tables_frozen_only_when_asked(tmp_path):
    results = _results(tmp_path / "results")
    drift.freeze(results, tmp_path / "plain")
    drift.freeze(results, tmp_path / "curves", curves=True)
    assert "demo/survival/risk_table.csv" not in drift.shareable_files(tmp_path / "plain")
    assert "demo/survival/risk_table.csv" in drift.shareable_files(tmp_path / "curves", True)
    _set(results / "demo/survival/risk_table.csv", ",1.0", ",0.99")
    assert drift.verify(tmp_path / "plain", results).ok  # not frozen: not compared
    report = drift.verify(tmp_path / "curves", results)
    assert [str(d) for d in report.drifts] == [
        "demo/survival/risk_table.csv: row arm=ADC: surv: expected 1.0, got 0.99 "
        "(relative difference 0.01)"
    ]
