"""Figures: what is drawn equals the results tables, annotations read as specified, output is
byte-identical across runs, and the plot_figures rule writes every figure of the fixture studies.

Inputs are the contract-conforming fixtures in tests/fixtures/figures (written by
tests/fixtures/make_figure_inputs.py). Expected numbers below are read from those CSV files by hand
and written out in the tests.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from her2rwe.config import validate_config
from her2rwe.formatting import risk_table_interval
from her2rwe.outputs.plotting import figures, forest, km, response, style, toxicity
from tests.workflow_helpers import run as run_workflow

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "figures"


def study_config(name: str) -> dict:
    cfg = yaml.safe_load((FIX / "config.yaml").read_text())
    return validate_config(cfg)["studies"][name]


def tables(name: str) -> dict[str, pd.DataFrame]:
    return figures.read_tables({k: FIX / name / p for k, p in figures.TABLES.items()})


def draw(name: str, figure: str, **overrides):
    study = study_config(name)
    study.update(overrides)
    [(_, fig)] = list(figures.draw_study_figures(tables(name), study, [figure]))
    return fig


def texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_text())]


def risk_axes(fig):
    """The axes that hold the number-at-risk texts."""
    return [
        ax for ax in fig.axes if any(str(t.get_gid()).startswith("at_risk:") for t in ax.texts)
    ][0]


# --------------------------------------------------------------------------------------------
# Kaplan-Meier: the number-at-risk table


@pytest.mark.parametrize(
    "study,endpoint,split",
    [("two_arm", "pfs", "arm"), ("two_arm", "os", "visceral_mets"), ("single_arm", "pfs", "arm")],
)
def test_at_risk_numbers_equal_risk_table_at_the_ticks(study, endpoint, split):
    name = f"km_{endpoint}" if split == "arm" else f"km_{endpoint}_{split}"
    block = study_config(study)
    fig = draw(study, name, figures={**block["figures"], "subgroup_endpoints": [endpoint]})
    risk = pd.read_csv(FIX / study / "survival" / "risk_table.csv", dtype={"group": str})
    risk = risk[(risk["endpoint"] == endpoint) & (risk["split"] == split)]
    ax_risk = risk_axes(fig)
    main = [ax for ax in fig.axes if ax.lines and ax is not ax_risk and ax.get_xlabel()][0]
    ticks = list(main.get_xticks())
    drawn = {}
    for t in ax_risk.texts:
        gid = str(t.get_gid())
        if gid.startswith("at_risk:"):
            x, _ = t.get_position()
            drawn[(gid.removeprefix("at_risk:"), float(x))] = int(t.get_text())
    expected = {(r.group, float(r.time)): int(r.n_risk) for r in risk.itertuples()}
    assert drawn == expected
    # every count sits on an x tick, and every tick has a count per group
    assert sorted({x for _, x in drawn}) == ticks
    # same x transform: the risk table axes span the main axes exactly
    assert np.allclose(ax_risk.get_position().x0, main.get_position().x0)
    assert np.allclose(ax_risk.get_position().x1, main.get_position().x1)
    assert ax_risk.get_xlim() == main.get_xlim()


def test_risk_table_ticks_follow_the_configured_interval():
    # the fixture risk table has a row every 3 months (figures.risk_table_interval default)
    fig = draw("two_arm", "km_pfs")
    main = [ax for ax in fig.axes if ax.get_xlabel()][0]
    assert list(main.get_xticks()) == [0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0]


@pytest.mark.parametrize(
    "end,interval",
    # hand-worked: 0..end in steps of the smallest of 1, 2, 3, 6, 12, ... months giving <= 12 columns
    [(0.0, 1.0), (11.0, 1.0), (11.5, 1.0), (12.0, 2.0), (22.0, 2.0), (33.0, 3.0), (35.9, 3.0), (36.0, 6.0),
     (66.0, 6.0), (105.0, 12.0), (132.0, 12.0), (143.0, 12.0), (144.0, 24.0)],
)  # fmt: skip
def test_risk_table_interval_adapts_to_follow_up(end, interval):
    got = risk_table_interval(end)
    assert got == interval
    assert int(end // got) + 1 <= 12


def test_cumulative_events_row_equals_risk_table():
    fig = draw("two_arm", "km_pfs")  # the fixture config sets figures.cumulative_events
    got = {
        (t.get_gid(), t.get_position()[0]): t.get_text()
        for ax in fig.axes
        for t in ax.texts
        if str(t.get_gid()).startswith("cum_events:")
    }
    # risk_table.csv, pfs/arm: ADC at 3 months 15 events, HP+C at 21 months 28 events
    assert got[("cum_events:ADC", 3.0)] == "15"
    assert got[("cum_events:HP+C", 21.0)] == "28"


# --------------------------------------------------------------------------------------------
# Kaplan-Meier: annotations


def test_two_arm_annotation_reads_medians_hr_and_logrank_p():
    lines = texts(draw("two_arm", "km_pfs"))
    # survival.csv pfs/arm: HP+C median 5.6 (2.4-8.7), ADC 4.0 (2.8-5.1)
    assert "HP+C: median 5.6 mo (95% CI 2.4-8.7)" in lines
    assert "ADC: median 4.0 mo (95% CI 2.8-5.1)" in lines
    # comparisons.csv pfs: HR 1.6017 (0.9551-2.6860), log-rank p 0.0723
    # the comparison is named, also with two arms
    assert "ADC vs HP+C: HR 1.60 (95% CI 0.96-2.69); log-rank p = 0.072" in lines


def test_axis_labels_name_the_endpoint_and_the_time_origin():
    fig = draw("two_arm", "km_os")
    main = [ax for ax in fig.axes if ax.get_xlabel()][0]
    assert main.get_xlabel() == "Months since start of index therapy"
    assert main.get_ylabel() == "Overall survival\n(probability)"
    assert km.time_axis_label("discontinuation_date") == "Months since discontinuation"


def test_single_arm_figure_has_no_comparison():
    lines = texts(draw("single_arm", "km_pfs"))
    assert not [s for s in lines if "HR" in s or "log-rank" in s]
    # survival.csv pfs/arm TKI: median 5.0 (4.1-8.5)
    assert "TKI: median 5.0 mo (95% CI 4.1-8.5)" in lines


def test_subgroup_figure_annotation():
    block = study_config("two_arm")
    both = {**block["figures"], "subgroup_endpoints": ["pfs", "os"]}
    lines = texts(draw("two_arm", "km_os_regimen", figures=both))  # drawn when configured
    # survival.csv os/regimen: T-DXd 22.7 (12.2-NR); subgroup_survival.csv: HR 0.6929 (0.3090-1.5537), p 0.3732
    assert "T-DXd: median 22.7 mo (95% CI 12.2-NR)" in lines
    assert "T-DXd vs HP+C: HR 0.69 (95% CI 0.31-1.55); p = 0.373" in lines
    lines = texts(draw("two_arm", "km_pfs_visceral_mets"))
    # interaction p 0.9312 from subgroup_survival.csv
    assert "Treatment x Visceral metastases interaction: p = 0.931" in lines


def test_annotation_formats():
    assert km.median_text(7.04, 5.55, 8.95) == "median 7.0 mo (95% CI 5.6-9.0)"
    assert km.median_text(np.nan, 9.5, np.nan) == "median NR (95% CI 9.5-NR)"
    assert km.median_text(10.1, 4.7, 15.6, conf_level=0.9) == "median 10.1 mo (90% CI 4.7-15.6)"
    assert (
        km.hr_text(0.715, 0.4951, 1.0449, 0.0812)
        == "HR 0.72 (95% CI 0.50-1.04); log-rank p = 0.081"
    )
    assert km.hr_text(0.28, 0.22, 0.37, 0.00001) == "HR 0.28 (95% CI 0.22-0.37); log-rank p < 0.001"
    assert km.hr_text(np.nan, np.nan, np.nan, np.nan) == "HR not estimable"
    assert km.p_text(None) == ""


def test_median_lines_drop_at_the_medians():
    fig = draw("two_arm", "km_pfs")
    main = [ax for ax in fig.axes if ax.get_xlabel()][0]
    drops = {
        ln.get_gid(): ln.get_xdata()[0]
        for ln in main.lines
        if str(ln.get_gid()).startswith("median:")
    }
    assert drops == {"median:HP+C": pytest.approx(5.6), "median:ADC": pytest.approx(4.0)}
    assert all(
        ln.get_linestyle() == "--" for ln in main.lines if str(ln.get_gid()).startswith("median:")
    )


def test_arm_colours_are_the_same_in_every_figure_of_a_study():
    colors = style.arm_colors(["HP+C", "ADC"])
    assert colors == {"HP+C": "#0072B2", "ADC": "#D55E00"}
    st = style.group_styles(["no, HP+C", "no, ADC", "yes, HP+C", "T-DXd"], ["HP+C", "ADC"])
    assert st["no, ADC"] == {"color": colors["ADC"], "linestyle": "-"}
    assert st["yes, HP+C"] == {"color": colors["HP+C"], "linestyle": "--"}
    assert st["T-DXd"]["color"] not in colors.values()
    fig = draw("two_arm", "km_pfs")
    main = [ax for ax in fig.axes if ax.get_xlabel()][0]
    assert {ln.get_color() for ln in main.lines if str(ln.get_gid()).startswith("censor:")} == set(
        colors.values()
    )


# --------------------------------------------------------------------------------------------
# forest, response, toxicity


def test_forest_rows_two_arm():
    sub = pd.read_csv(FIX / "two_arm" / "tables" / "subgroup_survival.csv")
    table = forest.forest_table(sub, "pfs", single_arm=False)
    assert [(r.kind, r.label) for r in table.rows] == [
        ("overall", "Overall"),
        ("header", "Visceral metastases"),
        ("level", "no"),
        ("level", "yes"),
        ("header", "T-DXd vs HP+C"),
        ("level", "T-DXd vs HP+C"),
    ]
    no = table.rows[2]
    assert no.cells == ["12/12", "14/17"] and no.estimate_text == "1.87 (0.82-4.22)"
    assert table.rows[1].p_interaction == "0.931"
    assert table.columns == ["ADC\nevents/n", "HP+C\nevents/n"]
    assert table.reference_value == 1.0 and table.measure == "hr"


def _three_arm_subgroups() -> pd.DataFrame:
    """The two-arm fixture's arm rows for two non-reference arms (Lev, Lev+5FU vs Obs)."""
    sub = pd.read_csv(FIX / "two_arm" / "tables" / "subgroup_survival.csv")
    sub = sub[(sub["contrast"] == "arm") & (sub["endpoint"] == "pfs")]
    parts = []
    for arm, hr in (("Lev", 1.0), ("Lev+5FU", 2.0)):
        part = sub.assign(group=arm, reference="Obs", hr_upper=sub["hr_upper"] * hr)
        parts.append(part)
    out = pd.concat(parts).sort_values(["variable", "level"], kind="stable")
    overall = out[out["level"] == "Overall"]
    return pd.concat([overall, out[out["level"] != "Overall"]], ignore_index=True)


def test_forest_three_arms_names_each_overall_row_and_both_favours():
    sub = _three_arm_subgroups()
    table = forest.forest_table(sub, "pfs", single_arm=False, endpoint_label="PFS")
    labels = [r.label for r in table.rows]
    assert labels[:2] == ["Overall, Lev vs Obs", "Overall, Lev+5FU vs Obs"]
    assert len(labels) == len(set(labels))  # no two rows read the same
    assert "no (Lev)" in labels and "no (Lev+5FU)" in labels
    # the count column holds the row's arm: not headed by one arm's name
    assert table.columns == ["Arm\nevents/n", "Obs\nevents/n"]
    assert table.favours == ("Lev or Lev+5FU", "Obs")
    assert table.xlabel == "Hazard ratio of PFS (log scale)"
    fig = forest.plot_forest(table)
    drawn = texts(fig)
    assert "\u2190 favours Lev or Lev+5FU" in drawn and "favours Obs \u2192" in drawn
    # the Lev+5FU CIs run to 2 x 4.22 = 8.44: a tick at or past it is labelled
    ax = [a for a in fig.axes if a.get_xscale() == "log"][0]
    assert max(ax.get_xticks()) >= sub["hr_upper"].max()


def test_forest_marker_area_proportional_to_events():
    fig = draw("two_arm", "forest_pfs")
    sizes = [c.get_sizes()[0] for ax in fig.axes for c in ax.collections if c.get_gid() == "level"]
    # events (arm + reference): no 12+14=26, yes 24+15=39, T-DXd vs HP+C 20+29=49
    assert np.allclose(np.array(sizes) / sizes[-1], [26 / 49, 39 / 49, 1.0])
    ax = [a for a in fig.axes if a.get_xscale() == "log"][0]
    assert any(np.allclose(ln.get_xdata(), 1.0) for ln in ax.lines)  # reference line at 1


def test_forest_single_arm_medians_and_hr():
    sub = pd.read_csv(FIX / "single_arm" / "tables" / "subgroup_survival.csv")
    med = forest.forest_table(sub, "pfs", single_arm=True, single_arm_forest="medians")
    assert med.measure == "median" and med.reference_value == pytest.approx(5.0)
    assert [r.estimate_text for r in med.rows] == [
        "5.0 (4.1-8.5)",
        "",
        "8.5 (5.0-16.9)",
        "4.1 (1.7-5.0)",
    ]
    hr = forest.forest_table(sub, "pfs", single_arm=True, single_arm_forest="hr")
    assert [r.estimate_text for r in hr.rows] == ["", "", "reference", "2.46 (1.29-4.70)"]
    assert not any(
        "HR" in s for s in texts(draw("single_arm", "forest_os", single_arm_forest="medians"))
    )


def test_response_marks_orr_and_cbr_at_the_table_rates():
    best = pd.read_csv(FIX / "two_arm" / "tables" / "best_response.csv")
    rates = pd.read_csv(FIX / "two_arm" / "tables" / "response.csv")
    fig = response.plot_response(best, rates, ["HP+C", "ADC"], style.arm_colors(["HP+C", "ADC"]))
    marks = {ln.get_gid(): ln.get_ydata()[0] for ax in fig.axes for ln in ax.lines if ln.get_gid()}
    assert marks["ORR:ADC"] == pytest.approx(52.5) and marks["CBR:ADC"] == pytest.approx(67.5)
    assert marks["ORR:HP+C"] == pytest.approx(1000 / 36)
    assert "ORR 52.5% (95% CI 36.1-68.5)" in " ".join(texts(fig)).replace("\n", " ")
    # stacked segments: CR 3/40 then PR 18/40 on top of it
    bars = {p.get_gid(): p for ax in fig.axes for p in ax.patches if p.get_gid()}
    assert bars["bar:ADC:PR"].get_y() == pytest.approx(7.5) and bars[
        "bar:ADC:PR"
    ].get_height() == pytest.approx(45)


def test_toxicity_bars_split_grades():
    ae = pd.read_csv(FIX / "two_arm" / "tables" / "adverse_events.csv")
    fig = toxicity.plot_toxicity(ae, ["HP+C", "ADC"], style.arm_colors(["HP+C", "ADC"]))
    bars = {p.get_gid(): p for ax in fig.axes for p in ax.patches if p.get_gid()}
    # Neutropenia, HP+C: 14/36 any grade, 6/36 grade >= 3
    assert bars["g3:HP+C:Neutropenia"].get_width() == pytest.approx(600 / 36)
    assert bars["g12:HP+C:Neutropenia"].get_x() == pytest.approx(600 / 36)
    assert bars["g12:HP+C:Neutropenia"].get_width() == pytest.approx(800 / 36)
    # most frequent first: Nausea (ADC 22/40 = 55%) on top
    assert toxicity.select_terms(ae)[:2] == ["Nausea", "Neutropenia"]


def test_absent_data_gives_a_labelled_placeholder():
    t = tables("single_arm")
    assert len(t["adverse_events"]) == 0
    study = study_config("single_arm")
    study["adverse_events"] = "single_arm/adverse_events.csv"  # configured, but no rows
    [(_, fig)] = list(figures.draw_study_figures(t, study, ["toxicity"]))
    assert "No data" in texts(fig)


def test_figure_names_from_config():
    assert figures.figure_names(study_config("single_arm")) == [
        "km_pfs",
        "km_os",
        "km_pfs_prior_tdm1_benefit",
        "km_os_prior_tdm1_benefit",
        "forest_pfs",
        "forest_os",
        "response",
    ]  # the fixture config sets figures.subgroup_endpoints: [pfs, os]
    two_arm = study_config("two_arm")
    assert figures.figure_names(two_arm) == [
        "km_pfs",
        "km_os",
        "km_pfs_visceral_mets",
        "km_pfs_regimen",
        "forest_pfs",
        "forest_os",
        "response",
        "toxicity",
    ]  # default: subgroup KM figures for the first endpoint only


def _renamed_endpoint(old: str, new: str) -> dict[str, pd.DataFrame]:
    """The two-arm fixture's tables with endpoint `old` renamed `new`."""
    out = {}
    for key, table in tables("two_arm").items():
        table = table.copy()
        if "endpoint" in table:
            table["endpoint"] = table["endpoint"].replace({old: new})
        out[key] = table
    return out


def test_figure_kind_and_endpoint_come_from_the_config_not_the_file_name():
    # an endpoint named with "_" (pfs_ntcens, tdxd_duration) was once read back from the file
    # name as a subgroup split and drawn as "No data"
    study = study_config("two_arm")
    study["endpoints"] = ["pfs_ntcens", "os"]
    specs = {s.name: s for s in figures.figure_specs(study)}
    assert (specs["km_pfs_ntcens"].kind, specs["km_pfs_ntcens"].endpoint) == ("km", "pfs_ntcens")
    assert specs["km_pfs_ntcens"].split == "arm"
    sub = specs["km_pfs_ntcens_visceral_mets"]
    assert (sub.kind, sub.endpoint, sub.split) == ("km_subgroup", "pfs_ntcens", "visceral_mets")
    assert specs["forest_pfs_ntcens"].endpoint == "pfs_ntcens"
    t = _renamed_endpoint("pfs", "pfs_ntcens")
    drawn = dict(
        figures.draw_study_figures(
            t, study, ["km_pfs_ntcens", "km_pfs_ntcens_visceral_mets", "forest_pfs_ntcens"]
        )
    )
    for name, fig in drawn.items():
        assert "No data" not in texts(fig), name
    assert "No data" not in texts(draw("two_arm", "km_pfs"))


def test_a_new_figure_kind_is_one_registry_entry(monkeypatch):
    from her2rwe.outputs.plotting.spec import FigureKind, FigureSpec

    def specs(study):
        return [FigureSpec(f"extra_{ep}", "extra", ep) for ep in study["endpoints"]]

    def draw_extra(spec, ctx):
        return style.placeholder(f"extra figure of {spec.endpoint}", "Extra")

    monkeypatch.setattr(
        figures,
        "FIGURE_KINDS",
        [*figures.FIGURE_KINDS, FigureKind("extra", specs, draw_extra, "km.rst", {"x": "t/x.csv"})],
    )
    study = study_config("two_arm")
    assert figures.figure_names(study)[-2:] == ["extra_pfs", "extra_os"]
    assert figures.figure_sources()["x"] == "t/x.csv"
    [(_, fig)] = figures.draw_study_figures(tables("two_arm"), study, ["extra_os"])
    assert "extra figure of os" in texts(fig)
    with pytest.raises(ValueError, match="not a figure"):
        list(figures.draw_study_figures(tables("two_arm"), study, ["km_nonexistent"]))


# --------------------------------------------------------------------------------------------
# output files: determinism, fonts, resolution

SAVE_ONE = """
import sys
from pathlib import Path
sys.path.insert(0, {src!r}); sys.path.insert(0, {tests!r})
from test_figures import draw
from her2rwe.outputs.plotting import style
style.save(draw("two_arm", "km_pfs"), Path(sys.argv[1]) / "km.pdf", Path(sys.argv[1]) / "km.png")
style.save(draw("two_arm", "toxicity"), Path(sys.argv[1]) / "tox.pdf", Path(sys.argv[1]) / "tox.png")
"""


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def test_two_runs_give_identical_bytes(tmp_path):
    script = SAVE_ONE.format(src=str(ROOT / "src"), tests=str(ROOT / "tests"))
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        subprocess.run([sys.executable, "-c", script, str(tmp_path / run)], check=True, cwd=ROOT)
    for name in ("km.pdf", "km.png", "tox.pdf", "tox.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    pdf = (tmp_path / "a" / "km.pdf").read_bytes()
    assert b"CreationDate" not in pdf and b"Matplotlib" not in pdf
    assert b"/FontFile2" in pdf  # TrueType (Type 42) fonts embedded
    assert b"/FontFile3" not in pdf and b"/Type3" not in pdf
    png = (tmp_path / "a" / "km.png").read_bytes()
    chunks = dict(png_chunks(png))
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    assert width == round(183 / 25.4 * 300)  # double column, 300 dpi
    ppm_x, ppm_y, unit = struct.unpack(">IIB", chunks[b"pHYs"])
    assert unit == 1 and round(ppm_x * 0.0254) == 300
    assert not [c for c, _ in png_chunks(png) if c in (b"tEXt", b"iTXt", b"zTXt", b"tIME")]
    assert zlib.crc32(png) == zlib.crc32((tmp_path / "b" / "km.png").read_bytes())


@pytest.mark.e2e
def test_plot_figures_rule_writes_every_figure(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(FIX / "config.yaml", project / "config.yaml")
    for name in ("two_arm", "single_arm"):
        shutil.copytree(FIX / name, project / name)
        for sub in ("survival", "tables"):
            shutil.copytree(FIX / name / sub, project / "results" / name / sub)
        # the figures read the unsuppressed tables (internal/); here they equal tables/
        shutil.copytree(FIX / name / "tables", project / "results" / name / "internal")
    run = run_workflow(project, "plot_figures")
    assert run.returncode == 0, run.stderr[-3000:]
    for name in ("two_arm", "single_arm"):
        for fig in figures.figure_names(study_config(name)):
            for ext in ("pdf", "png"):
                assert (
                    project / "results" / name / "figures" / f"{fig}.{ext}"
                ).stat().st_size > 1000


def test_overall_rows_and_unrecorded_responses_are_not_drawn_as_arms():
    t = tables("two_arm")
    study = study_config("two_arm")
    # the tables stage adds an "Overall" row per category / term; it is not an arm
    overall = t["best_response"][t["best_response"]["arm"] == "ADC"].assign(arm="Overall")
    t["best_response"] = pd.concat([t["best_response"], overall], ignore_index=True)
    t["adverse_events"] = pd.concat(
        [t["adverse_events"], t["adverse_events"].assign(arm="Overall")], ignore_index=True
    )
    [(_, resp), (_, tox)] = list(figures.draw_study_figures(t, study, ["response", "toxicity"]))
    assert not [p for ax in resp.axes for p in ax.patches if "Overall" in str(p.get_gid())]
    assert not [p for ax in tox.axes for p in ax.patches if "Overall" in str(p.get_gid())]
    # no best response recorded at all (every patient "missing"): a placeholder, not a bar of 100%
    t["best_response"] = pd.DataFrame(
        {"arm": ["HP+C", "ADC"], "response": ["missing"] * 2, "n": [36, 40], "pct": [100.0] * 2}
    )
    [(_, resp)] = list(figures.draw_study_figures(t, study, ["response"]))
    assert "No data" in texts(resp)


def test_empty_subgroup_groups_are_left_out_of_the_km_figure():
    # a "<level>, <arm>" group with no patients (the level occurs in the other arm only), as the
    # survival stage writes it: n = 0, no curve rows, HR not estimable with a note
    t = tables("two_arm")
    empty = {
        "endpoint": "pfs",
        "split": "visceral_mets",
        "group": "maybe, ADC",
        "n": 0,
        "events": 0,
    }
    t["survival"] = pd.concat([t["survival"], pd.DataFrame([empty])], ignore_index=True)
    note = "one of the two arms has no patients: not comparable"
    row = {"endpoint": "pfs", "variable": "visceral_mets", "label": "Visceral metastases",
           "level": "maybe", "group": "ADC", "reference": "HP+C", "n": 0, "events": 0,
           "n_reference": 5, "events_reference": 3, "contrast": "arm", "note": note}  # fmt: skip
    t["subgroup_survival"] = pd.concat([t["subgroup_survival"], pd.DataFrame([row])])
    [(_, fig)] = list(
        figures.draw_study_figures(t, study_config("two_arm"), ["km_pfs_visceral_mets"])
    )
    lines = texts(fig)
    assert not [s for s in lines if "maybe" in s]
    assert "no, ADC" in lines and "yes, HP+C" in lines
    table = forest.forest_table(t["subgroup_survival"], "pfs", single_arm=False)
    assert [r.estimate_text for r in table.rows if r.label == "maybe"] == ["NE"]


def test_any_adverse_event_summary_row_is_not_a_term():
    ae = pd.read_csv(FIX / "two_arm" / "tables" / "adverse_events.csv")
    summary = (
        ae.groupby("arm", as_index=False)
        .first()
        .assign(term="Any adverse event", any_grade_pct=90.0)
    )
    terms = toxicity.select_terms(pd.concat([summary, ae], ignore_index=True))
    assert "Any adverse event" not in terms and terms[0] == "Nausea"


def test_single_arm_forest_of_medians_shows_both_compare_groups():
    # a single-arm study with a compare subgroup (e.g. PFS by reason for discontinuation):
    # subgroup_survival.csv has the non-reference group's row; the reference comes from survival.csv
    sub = pd.DataFrame(
        [
            {"endpoint": "pfs", "variable": "", "label": "Overall", "level": "Overall",
             "group": "All", "reference": "", "n": 30, "events": 20, "median": 4.1,
             "median_lower": 3.0, "median_upper": 5.5, "contrast": "level"},
            {"endpoint": "pfs", "variable": "reason", "label": "Reason", "level": "AE",
             "group": "AE", "reference": "progression", "n": 10, "events": 6, "median": 7.3,
             "median_lower": 4.0, "median_upper": np.nan, "hr": 0.5, "hr_lower": 0.2,
             "hr_upper": 1.1, "contrast": "compare"},
        ]
    )  # fmt: skip
    surv = pd.DataFrame(
        [{"endpoint": "pfs", "split": "reason", "group": "progression", "n": 20, "events": 14,
          "median": 3.5, "median_lower": 2.1, "median_upper": 4.4}]
    )  # fmt: skip
    table = forest.forest_table(sub, "pfs", single_arm=True, survival=surv)
    assert [(r.label, r.cells, r.estimate_text) for r in table.rows] == [
        ("Overall", ["20/30"], "4.1 (3.0-5.5)"),
        ("Reason", [], ""),
        ("AE", ["6/10"], "7.3 (4.0-NR)"),
        ("progression", ["14/20"], "3.5 (2.1-4.4)"),
    ]


def test_missing_rows_give_placeholder_or_blank_risk_table():
    t = tables("two_arm")
    study = study_config("two_arm")
    # an endpoint without curves: a labelled placeholder instead of an empty axis
    t["km_curves"] = t["km_curves"][t["km_curves"]["endpoint"] != "os"]
    [(_, fig)] = list(figures.draw_study_figures(t, study, ["km_os"]))
    assert "No data" in texts(fig)
    # a split without risk-table rows: ticks every 3 months (as configured), no invented numbers
    t["risk_table"] = t["risk_table"][t["risk_table"]["split"] != "regimen"]
    study["figures"]["risk_table_interval"] = 3
    [(_, fig)] = list(figures.draw_study_figures(t, study, ["km_pfs_regimen"]))
    ax_risk = [
        ax for ax in fig.axes if any(str(x.get_gid()).startswith("at_risk:") for x in ax.texts)
    ][0]
    assert {x.get_text() for x in ax_risk.texts if str(x.get_gid()).startswith("at_risk:")} == {""}
    main = [ax for ax in fig.axes if ax.get_xlabel()][0]
    assert list(main.get_xticks())[:3] == [0.0, 3.0, 6.0]
