"""Small-cell suppression in the shareable outputs (issue 7, item 2).

The workflow runs on two bundled studies (example, adc_vs_hpc) in a tmp project folder with
``min_cell_count: 11``; then every table under results/<study>/tables/ (CSV and Markdown) is scanned
for a count from 1 to 10 that is not masked, every recipe passes ``suppression.audit`` on the
unsuppressed tables of results/<study>/internal/, and the numbers drawn in the figures are masked.
With ``min_cell_count: 0`` the shareable tables equal the internal ones byte for byte.

Exact masks are asserted on small tables worked out by hand in each test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from her2rwe.outputs import shareable, suppression
from her2rwe.outputs.plotting import figures, forest
from tests.workflow_helpers import ENV, REPO, command

K = 11
STUDIES = ["example", "adc_vs_hpc"]

# count columns per CSV of tables/ (baseline: every `{group}__n` column, and its text cells)
COUNTS = {
    "attrition": ["n"],
    "survival": ["n", "events", "censored"],
    "landmarks": ["n_risk"],
    "comparisons": ["n", "events"],
    "cox_models": ["n", "events"],
    "subgroup_survival": ["n", "events", "n_reference", "events_reference"],
    "response": ["n", "n_total", "orr_n", "cbr_n", "dcr_n"],
    "response_subgroups": ["n", "orr_n", "cbr_n", "dcr_n"],
    "best_response": ["n", "n_arm"],
    "adverse_events": ["n", "any_grade_n", "grade3plus_n", "grade34_n", "grade5_n"],
    "adverse_events_by_category": ["n", "any_grade_n", "grade3plus_n", "grade34_n", "grade5_n"],
    # real-world rows copied from survival.csv; the trial rows are published numbers (adc_vs_hpc's
    # bundled example arm: 90 patients, 53 events, none small)
    "trial_context": ["n", "events"],
    "trial_context_cox": ["n", "events"],
}
# percentage (or rate bound) -> its count column
PCTS = {
    "response": {
        f"{r}_{s}": f"{r}_n" for r in ("orr", "cbr", "dcr") for s in ("pct", "lower", "upper")
    },
    "response_subgroups": {
        f"{r}_{s}": f"{r}_n" for r in ("orr", "cbr", "dcr") for s in ("pct", "lower", "upper")
    },
    "best_response": {"pct": "n"},
    "adverse_events": {f"{c}_pct": f"{c}_n" for c in shareable.AE_COUNTS},
    "adverse_events_by_category": {f"{c}_pct": f"{c}_n" for c in shareable.AE_COUNTS},
}


def _project(tmp: Path, k: int, studies: list[str]) -> Path:
    project = tmp / f"k{k}"
    project.mkdir()
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    # the example study is a project folder of its own: its paths are relative to that folder
    example = yaml.safe_load((REPO / "data" / "raw" / "example" / "config.yaml").read_text())[
        "studies"
    ]["example"]
    for key in ("cohort", "adverse_events"):
        example[key] = f"data/raw/example/{example[key]}"
    cfg["studies"]["example"] = example
    cfg["min_cell_count"] = k
    cfg["studies"] = {name: cfg["studies"][name] for name in studies}
    for name in studies:
        shutil.copytree(REPO / "data" / "raw" / name, project / "data" / "raw" / name)
    (project / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    done = subprocess.run(command(project), capture_output=True, text=True, timeout=900, env=ENV)
    assert done.returncode == 0, done.stderr[-4000:]
    return project


@pytest.fixture(scope="module")
def run11(tmp_path_factory) -> Path:
    return _project(tmp_path_factory.mktemp("suppress"), K, STUDIES)


def _is_small(value) -> bool:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return 1 <= v < K


def _masked(value) -> bool:
    return shareable.is_masked(value)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _internal(project: Path, study: str, name: str) -> pd.DataFrame:
    return pd.read_csv(
        project / "results" / study / "internal" / f"{name}.csv",
        dtype={"group": str, "arm": str},
        float_precision="round_trip",
    )


# ------------------------------------------------------------------------------------------------
# scans of the shareable outputs


@pytest.mark.parametrize("study", STUDIES)
def test_no_small_count_in_shareable_csvs(run11, study):
    tables = run11 / "results" / study / "tables"
    small_inside = 0  # the unsuppressed tables do hold small counts, so the scan can fail
    for csv in sorted(tables.glob("*.csv")):
        name = csv.stem
        shared = _read(csv)
        internal = _read(run11 / "results" / study / "internal" / csv.name)
        assert shared.shape == internal.shape and list(shared.columns) == list(internal.columns)
        counts = COUNTS.get(name) or [c for c in shared.columns if c.endswith("__n")]
        for col in counts:
            for i, (shown, exact) in enumerate(zip(shared[col], internal[col], strict=True)):
                small_inside += _is_small(exact)
                assert not _is_small(shown), f"{study}/{csv.name} row {i} {col} = {shown}"
                if _masked(shown):
                    assert shown in (f"<{K}", "*")
                    assert shown != f"<{K}" or _is_small(exact)  # `<11` only on a small count
                elif col == "n_risk":  # numbers at risk: rounded down to a multiple of k
                    assert shown == str(int(exact) // K * K), f"{study}/{csv.name} row {i}"
                else:
                    assert shown == exact  # shown counts are the exact ones
        for pct, count in PCTS.get(name, {}).items():
            if pct in shared.columns:
                for i in range(len(shared)):
                    if _masked(shared.at[i, count]):
                        assert _masked(shared.at[i, pct]), f"{study}/{csv.name} row {i} {pct}"
        if name == "baseline":
            arms = [c.removesuffix("__n") for c in shared.columns if c.endswith("__n")]
            for i, row in shared.iterrows():
                for arm in arms:
                    m = re.match(r"^(\d+) \(", row[arm])
                    assert not (m and _is_small(m.group(1))), f"baseline row {i} {arm}: {row[arm]}"
                    if row["type"] != "continuous" and _masked(row[f"{arm}__n"]):
                        assert row[arm] == row[f"{arm}__n"]
    assert small_inside > 0


def _markdown_cells(text: str) -> list[tuple[str, str]]:
    """(header, cell) of every body cell of every Markdown table, plus ('title', header)."""
    out = []
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
            out += [("title", h) for h in header]
        elif not set("".join(cells)) <= set(":- "):
            out += list(zip(header, cells, strict=False))
    return out


@pytest.mark.parametrize("study", STUDIES)
def test_no_small_count_in_markdown_tables(run11, study):
    masked = 0
    for md in sorted((run11 / "results" / study / "tables").glob("*.md")):
        for head, cell in _markdown_cells(md.read_text()):
            for n in re.findall(r"\(N = ([^)]*)\)", cell):
                assert not _is_small(n), f"{md.name}: {cell}"
            m = re.match(r"^(\d+) \(", cell)
            assert not (m and _is_small(m.group(1))), f"{md.name} [{head}]: {cell}"
            if head in ("N", "Events"):
                assert not _is_small(cell), f"{md.name} [{head}]: {cell}"
            masked += cell in (f"<{K}", "*")
        if masked:
            assert "Counts from 1 to 10 are shown as <11" in (
                "".join(p.read_text() for p in md.parent.glob("*.md"))
            )
    assert masked > 0


@pytest.mark.parametrize("study", STUDIES)
def test_recipes_leave_nothing_recoverable(run11, study):
    """suppression.audit (integer LP) on every recipe, from the unsuppressed tables; and the written
    tables are exactly what the recipes give."""
    rd = lambda name: _internal(run11, study, name)  # noqa: E731
    results = {}
    data = pd.read_parquet(run11 / "results" / study / "analysis_dataset.parquet")
    arm_sizes = data["arm"].astype(str).value_counts().to_dict()
    sv, sg = shareable.survival_tables(rd("survival"), rd("subgroup_survival"), K, arm_sizes)
    for name in ("landmarks", "cox_models", "response"):
        results[name] = getattr(shareable, name)(rd(name), K)
    # a comparison's n and events follow the arms' cells of survival.csv
    results["comparisons"] = shareable.comparisons(rd("comparisons"), K, sv)
    results["best_response"] = shareable.best_response(rd("best_response"), K)
    for name in ("adverse_events", "adverse_events_by_category"):
        results[name] = shareable.adverse_events(rd(name), K)
    results["response_subgroups"] = shareable.response_subgroups(
        rd("response_subgroups"), K, rd("response")
    )
    for name, shared in results.items():
        if shared.result is not None:
            assert suppression.audit(shared.result) == [], (study, name)
    results["survival"], results["subgroup_survival"] = sv, sg
    for _, block in shareable.subgroup_blocks(rd("subgroup_survival"), K, sg.force):
        assert suppression.audit(block) == [], (study, "subgroup_survival")
    sizes = {**arm_sizes, "Overall": len(data)}
    groups = [c.removesuffix("__n") for c in rd("baseline").columns if c.endswith("__n")]
    base = shareable.baseline(rd("baseline"), K, groups, sizes)
    assert suppression.audit(base.result) == []
    results["baseline"] = base
    for name, shared in results.items():
        written = _read(run11 / "results" / study / "tables" / f"{name}.csv")
        assert (written == _read_frame(shared.table)).all().all(), (study, name)


@pytest.mark.parametrize("study", STUDIES)
def test_counts_shared_by_survival_and_subgroup_tables_are_masked_alike(run11, study):
    """An arm's (or a subgroup group's) n and events sit in survival.csv and in
    subgroup_survival.csv: a cell hidden in one is hidden in the other (else the other would give
    it back)."""
    internal_s, internal_g = (_internal(run11, study, n) for n in ("survival", "subgroup_survival"))
    shown_s, shown_g = (
        _read(run11 / "results" / study / "tables" / f"{n}.csv")
        for n in ("survival", "subgroup_survival")
    )
    links = shareable._links(internal_s, internal_g)
    assert links  # e.g. example: the Overall rows are the arm rows of survival.csv
    for (i, a), (j, b) in links:
        assert _masked(shown_s.at[i, a]) == _masked(shown_g.at[j, b]), (study, i, a, j, b)


def _read_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as the CSV reader sees it after a write (all text)."""
    import tempfile

    from her2rwe.io import write_table

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/table.csv"
        write_table(frame, path)
        return pd.read_csv(path, dtype=str, keep_default_na=False)


def _drawn_counts(fig, prefix: str) -> dict[tuple[str, float], str]:
    return {
        (str(t.get_gid()), t.get_position()[0]): t.get_text()
        for ax in fig.axes
        for t in ax.texts
        if str(t.get_gid()).startswith(prefix)
    }


def test_figures_mask_numbers_at_risk_and_forest_counts(run11):
    study = "example"
    res = run11 / "results" / study
    cfg = yaml.safe_load((run11 / "config.yaml").read_text())
    from her2rwe.config import validate_config

    block = validate_config(cfg)["studies"][study]
    block.setdefault("figures", {})["cumulative_events"] = True
    block["figures"]["subgroup_endpoints"] = ["pfs", "os"]
    tables = figures.read_tables({k: res / p for k, p in figures.SOURCES.items()})
    internal = {k: t for k, t in tables.items() if k in figures.TABLES}
    names = ["km_pfs", "km_os_visceral_mets", "forest_os"]
    exact = dict(figures.draw_study_figures(internal, block, names))
    shown = dict(figures.draw_study_figures(tables, block, names, K))
    n_small = 0
    for name in ("km_pfs", "km_os_visceral_mets"):
        for prefix in ("at_risk:", "cum_events:"):
            before, after = _drawn_counts(exact[name], prefix), _drawn_counts(shown[name], prefix)
            assert before.keys() == after.keys() and before
            for key, text in before.items():
                if _is_small(text):
                    n_small += 1
                    assert after[key] == f"<{K}"
                else:  # rounded down to a multiple of k (0 stays 0)
                    assert after[key] == str(int(text) // K * K), (key, text, after[key])
    assert n_small > 0
    pair = re.compile(r"^[^\s/]+/[^\s/]+$")  # events/n (not the column headers)
    cells = [t.get_text() for t in shown["forest_os"].texts if pair.match(t.get_text())]
    assert cells
    for cell in cells:
        assert not any(_is_small(x) for x in cell.split("/")), cell
    # every printed events/n is a cell pair of the shareable subgroup_survival.csv (so its
    # complementary cells are hidden in the figure too)
    sub = _read(res / "tables" / "subgroup_survival.csv")
    sub = sub[sub["endpoint"] == "os"]
    pairs = {f"{e}/{n}" for e, n in zip(sub["events"], sub["n"], strict=True)}
    pairs |= {f"{e}/{n}" for e, n in zip(sub["events_reference"], sub["n_reference"], strict=True)}
    assert set(cells) <= pairs
    # the unsuppressed forest does print a small count (visceral_mets no, ADC: 9 OS events)
    raw = [t.get_text() for t in exact["forest_os"].texts if pair.match(t.get_text())]
    assert "9/18" in raw and "9/18" not in cells


def test_reproduction_csv_masks_small_computed_counts_only(run11):
    table = _read(run11 / "results" / "adc_vs_hpc" / "reproduction.csv")
    assert len(table) and "pass" in set(table["status"])  # compared on the exact values
    for metric, computed in zip(table["metric"], table["computed"], strict=True):
        column = metric.split(".", 1)[0]
        if column.endswith("_n") or column in shareable.COUNT_COLUMNS:
            assert not _is_small(computed), metric


def test_summary_paragraph_formats_the_shareable_tables(run11):
    from her2rwe.outputs import report

    cfg = yaml.safe_load((run11 / "config.yaml").read_text())
    from her2rwe.config import validate_config

    block = validate_config(cfg)["studies"]["example"]
    t = lambda n: pd.read_csv(run11 / "results" / "example" / "tables" / f"{n}.csv")  # noqa: E731
    text = report.results_paragraph(
        block, t("survival"), t("comparisons"), t("response"), t("response_comparisons"),
        t("adverse_events"), arms=["ADC", "HP+C"], reference="HP+C",
    )  # fmt: skip
    for n in re.findall(r"\((\d+)[/,]", text):
        assert not _is_small(n), text


def test_off_leaves_shareable_tables_equal_to_internal(tmp_path):
    project = _project(tmp_path, 0, ["example"])
    res = project / "results" / "example"
    internal = sorted(p.name for p in (res / "internal").glob("*.csv"))
    assert len(internal) == 14 and "missingness.csv" in internal
    for name in internal:
        assert (res / "tables" / name).read_bytes() == (res / "internal" / name).read_bytes(), name


# ------------------------------------------------------------------------------------------------
# hand-worked masks


def test_best_response_masks_worked_by_hand():
    """Arm A: CR 2 (primary). Within A (total 50) the smallest shown part is PD 13 -> `*`. Across
    arms, CR 14 = 2 + 12: B's CR 12 -> `*`; then PD 26 = 13* + 13: B's PD -> `*`. B then has two
    hidden cells (CR, PD adding to 25) and A's CR can be anything from 1 to 10 (A PD = 15 - CR,
    B CR = 14 - CR, B PD = 11 + CR)."""
    cats = ["CR", "PR", "SD", "PD", "NE", "missing"]
    a = [2, 20, 15, 13, 0, 0]
    b = [12, 20, 15, 13, 0, 0]
    rows = []
    for arm, ns, size in (
        ("A", a, 50),
        ("B", b, 60),
        ("Overall", [x + y for x, y in zip(a, b, strict=True)], 110),
    ):
        rows += [{"arm": arm, "response": c, "n": n, "pct": 100 * n / size, "n_arm": size}
                 for c, n in zip(cats, ns, strict=True)]  # fmt: skip
    table = pd.DataFrame(rows)
    shared = shareable.best_response(table, K)
    got = {(r.arm, r.response): (r.n, r.pct) for r in shared.table.itertuples() if _masked(r.n)}
    assert got == {
        ("A", "CR"): ("<11", "<11"),
        ("A", "PD"): ("*", "*"),
        ("B", "CR"): ("*", "*"),
        ("B", "PD"): ("*", "*"),
    }
    assert not shared.table["n_arm"].map(_masked).any()
    assert suppression.audit(shared.result) == []
    # k = 0: nothing changes
    assert shareable.best_response(table, 0).table.equals(table)


def test_survival_masks_worked_by_hand():
    """Arm A: n 20 = 15 events + 5 censored (primary) -> events `*`. Arm B: n 30 = 10 events
    (primary) + 20 censored -> censored `*`. Across arms events 25 = 15* + 10* and censored
    25 = 5* + 20* each have two hidden cells; B's events lie in 6..10, A's censored in 1..5."""
    table = pd.DataFrame(
        {
            "endpoint": ["pfs"] * 3,
            "split": ["arm", "arm", "overall"],
            "group": ["A", "B", "All"],
            "n": [20, 30, 50],
            "events": [15, 10, 25],
            "censored": [5, 20, 25],
            "median": [6.1, 7.2, 6.5],
        }
    )
    shared = shareable.survival(table, K)
    assert shared.table[["n", "events", "censored"]].values.tolist() == [
        [20, "*", "<11"],
        [30, "<11", "*"],
        [50, 25, 25],
    ]
    assert shared.table["median"].tolist() == [6.1, 7.2, 6.5]  # statistics are never hidden
    assert suppression.audit(shared.result) == []
    assert "cells marked * are hidden" in shared.footnote()


def test_reproduction_masks_counts_and_their_percentages():
    table = pd.DataFrame(
        {
            "metric": ["orr_n.A", "orr_pct.A", "median.pfs.A", "cbr_n.A"],
            "published": [7.0, 14.0, 6.1, 30.0],
            "computed": [7.0, 14.0, 6.1, 30.0],
            "status": ["pass"] * 4,
        }
    )
    response = pd.DataFrame(
        {"arm": ["A"], "n": [50], "orr_n": [7], "orr_pct": [14.0], "cbr_n": [30], "cbr_pct": [60.0]}
    )
    out = shareable.reproduction(table, {"response": response}, K)
    assert out["computed"].tolist() == ["<11", "<11", 6.1, 30.0]
    # beside a masked value the target is masked too: with "pass" it would give the count back,
    # and a target may be a frozen internal number (docs/privacy.md)
    assert out["published"].tolist() == ["<11", "<11", 6.1, 30.0]
    assert shareable.reproduction(table, {"response": response}, 0).equals(table)


def test_forest_counts_worked_by_hand():
    """tests/fixtures/figures/two_arm subgroup_survival.csv, pfs, visceral_mets = no: ADC 12
    events of 12, HP+C 14 of 17 (test_figures). With k = 13 the ADC cell reads <13/<13."""
    sub = pd.read_csv(
        REPO / "tests" / "fixtures" / "figures" / "two_arm" / "tables" / "subgroup_survival.csv"
    )
    table = forest.forest_table(sub, "pfs", single_arm=False, min_cell_count=13)
    assert table.rows[2].cells == ["<13/<13", "14/17"]
    assert forest.forest_table(sub, "pfs", single_arm=False).rows[2].cells == ["12/12", "14/17"]


def test_markdown_cells_of_masked_rates():
    """A masked count reads as its marker; a count shown with a masked percentage reads `n (*)`."""
    from her2rwe.outputs.study_tables import _ci_cell, _n_pct, _rate_cell

    assert _n_pct("<11", "<11") == "<11"
    assert _n_pct(15, "*") == "15 (*)"
    assert _n_pct(15, 30.0) == "15 (30.0%)"
    assert _rate_cell("*", "*") == "*"
    assert _ci_cell("<11", "<11") == "<11"


def test_survival_and_subgroup_tables_worked_by_hand():
    """survival.csv as in test_survival_masks_worked_by_hand (A: events *, censored <11; B: events
    <11, censored *). subgroup_survival.csv holds only the Overall row, B vs reference A: n 30,
    events 10 (primary), n_reference 20, events_reference 15. Within the row, n_reference = 15 +
    5 hidden censored (1..10), so events_reference 15 is hidden (*); it is A's events, hidden in
    survival.csv too. The two tables agree on every shared cell."""
    surv = pd.DataFrame(
        {
            "endpoint": ["pfs"] * 3,
            "split": ["arm", "arm", "overall"],
            "group": ["A", "B", "All"],
            "n": [20, 30, 50],
            "events": [15, 10, 25],
            "censored": [5, 20, 25],
        }
    )
    sub = pd.DataFrame(
        {
            "endpoint": ["pfs"], "variable": [float("nan")], "label": ["Overall"],
            "level": ["Overall"], "group": ["B"], "reference": ["A"], "n": [30], "events": [10],
            "n_reference": [20], "events_reference": [15], "hr": [0.8], "contrast": ["arm"],
        }
    )  # fmt: skip
    sv, sg = shareable.survival_tables(surv, sub, K)
    assert sg.table[["n", "events", "n_reference", "events_reference"]].values.tolist() == [
        [30, "<11", 20, "*"]
    ]
    assert sg.table["hr"].tolist() == [0.8]
    assert sv.table[["n", "events", "censored"]].values.tolist() == [
        [20, "*", "<11"],
        [30, "<11", "*"],
        [50, 25, 25],
    ]
    assert len(shareable._links(surv, sub)) == 4


def test_forced_cells_are_hidden():
    """A cell that another table hides is hidden here too (suppression.suppress force=): n 30 =
    events 20 + 10 censored (hidden remainder); forcing events leaves two unknowns, nothing more."""
    table = pd.DataFrame({"n": [30], "events": [20]})
    plain = suppression.suppress(table, ["n", "events"], K, row_totals={"n": ["events"]})
    assert plain.table.values.tolist() == [[30, "*"]]  # the remainder 10 alone would be known
    forced = suppression.suppress(
        pd.DataFrame({"n": [40], "events": [20]}), ["n", "events"], K,
        row_totals={"n": ["events"]}, force=[(0, "events")],
    )  # fmt: skip
    assert forced.table.values.tolist() == [[40, "*"]]
    assert forced.status.values.tolist() == [["", "complementary"]]


def test_response_and_toxicity_figures_mask_arm_sizes():
    """tests/fixtures/figures/two_arm: arms of 40 (ADC) and 36 (HP+C) patients (response.csv). With
    k = 41 both arm sizes are below k: the response figure's arm labels and the toxicity legend
    read `n = <41`, and no response-category percentage label is drawn for a count below 41."""
    fix = REPO / "tests" / "fixtures" / "figures"
    cfg = yaml.safe_load((fix / "config.yaml").read_text())
    from her2rwe.config import validate_config

    block = validate_config(cfg)["studies"]["two_arm"]
    tables = figures.read_tables({k: fix / "two_arm" / p for k, p in figures.TABLES.items()})
    plain = dict(figures.draw_study_figures(tables, block, ["response", "toxicity"]))
    masked = dict(figures.draw_study_figures(tables, block, ["response", "toxicity"], 41))

    def labels(fig):
        ticks = [t.get_text() for ax in fig.axes for t in ax.get_xticklabels()]
        legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
        legend += [
            t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()
        ]
        return " ".join(
            ticks + legend + [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
        )

    for name in ("response", "toxicity"):
        before, after = labels(plain[name]), labels(masked[name])
        assert re.search(r"n = \d+", before), name
        assert not re.search(r"n = \d+", after) and "n = <41" in after, name
    assert re.search(r"(CR|PR|SD|PD) \d+\.\d%", labels(plain["response"]))
    assert not re.search(r"(CR|PR|SD|PD) \d+\.\d%", labels(masked["response"]))
