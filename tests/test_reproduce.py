"""Reproduction checks: metric grammar, lookup in the result tables, pass/fail rules, the rule.

The result tables are hand-written fixtures that follow docs/outputs.md
(tests/fixtures/reproduce_tables/demo/tables); every expected value below is read off those files or
worked out by hand in the test.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from her2rwe.outputs import reproduce as rp
from tests.workflow_helpers import run as run_workflow

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "tests" / "fixtures" / "reproduce_tables" / "demo" / "tables"


@pytest.fixture(scope="module")
def tables():
    out = {
        key: pd.read_csv(TABLES / Path(path).name)
        for key, path in rp.TABLE_FILES.items()
        if path.endswith(".csv")
    }
    out["dataset"] = pd.DataFrame(
        {
            "patient_id": ["P1", "P2", "P3", "P4", "P5"],
            "arm": ["A"] * 5,
            "reason": pd.Series(
                ["progression", "ILD", "other_AE", "progression", None], dtype="string"
            ),
            "ild_recurrence": ["no", "no", "yes", "no", "no"],
        }
    )
    return out


# ------------------------------------------------------------------------------------------------
# grammar


@pytest.mark.parametrize(
    ("metric", "family", "keys"),
    [
        ("median.pfs.ADC", "survival", ("pfs", "ADC")),
        ("median_upper.pfs.anti-HER2 antibody", "survival", ("pfs", "anti-HER2 antibody")),
        ("median.pfs.next_therapy_class=other", "survival", ("pfs", "next_therapy_class=other")),
        ("hr.pfs.T-DXd", "comparison", ("pfs", "T-DXd")),
        ("interaction_p.pfs.hr_status", "interaction", ("pfs", "hr_status")),
        ("orr_pct.HP+C", "response", ("HP+C",)),
        ("any_grade_n.Hand-foot syndrome", "ae", ("Hand-foot syndrome",)),
        ("grade34_n.category=hematologic.ADC", "ae_category", ("hematologic.ADC",)),
        (
            "grade34_share.hematologic+gastrointestinal.ADC",
            "ae_share",
            ("hematologic+gastrointestinal", "ADC"),
        ),
        ("share.next_therapy_class.a|b", "dataset", ("next_therapy_class", "a|b")),
    ],
)
def test_parse_metric(metric, family, keys):
    m = rp.parse_metric(metric)
    assert (m.family, m.keys) == (family, keys)


@pytest.mark.parametrize(
    "metric", ["median", "median.pfs", "mediann.pfs.ADC", "share.x", "hr.pfs."]
)
def test_parse_metric_rejects_malformed(metric):
    with pytest.raises(rp.MetricError, match="metric"):
        rp.parse_metric(metric)


def test_required_tables_follow_the_targets():
    base = ["survival", "comparisons", "subgroup_survival"]
    assert rp.required_tables([]) == base
    assert rp.required_tables([{"metric": "orr_pct.A"}, {"metric": "share.x.y"}]) == [
        *base,
        "response",
        "dataset",
    ]
    assert rp.required_tables([{"metric": "grade34_share.h.A"}]) == [
        *base,
        "adverse_events_by_category",
    ]


def test_config_targets_parse_and_name_existing_seeds():
    with open(ROOT / "config.yaml", encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    seeds = Path("/work/shared/seeds")
    for study in cfg["studies"].values():
        for target in study.get("targets", []):
            rp.parse_metric(target["metric"])
            if seeds.is_dir():
                assert (seeds / target["seed"]).is_file()


# ------------------------------------------------------------------------------------------------
# lookup (values read off the fixture files)


@pytest.mark.parametrize(
    ("metric", "expected", "table"),
    [
        ("median.pfs.ADC", 6.9979466119096507, "survival"),
        ("median.pfs.All", 7.6, "survival"),
        ("median_lower.pfs.overall", 6.6, "survival"),
        ("median.pfs.T-DXd", 14.061601642710473, "survival"),
        ("median.pfs.regimen=HP+C", 8.9034907597535934, "survival"),
        ("n.pfs.HP+C", 67, "survival"),
        ("hr.pfs.ADC", 1.21, "comparisons"),
        ("logrank_p.os.ADC", 0.29, "comparisons"),
        ("hr.pfs.T-DXd", 0.409, "subgroup_survival"),
        ("hr_p.pfs.T-DXd", 0.0017, "subgroup_survival"),
        ("hr.pfs.regimen=T-DXd", 0.409, "subgroup_survival"),
        ("hr.pfs.positive", 1.10, "subgroup_survival"),
        ("interaction_p.pfs.visceral_mets", 0.71, "subgroup_survival"),
        ("orr_pct.ADC", 51.807228915662648, "response"),
        ("orr_n.Overall", 61, "response"),
        ("cbr_pct.overall", 68.0, "response"),
        ("any_grade_n.Neutropenia.ADC", 46, "adverse_events"),
        ("any_grade_pct.hand-foot syndrome.HP+C", 7.4626865671641793, "adverse_events"),
        ("grade34_n.category=hematologic.HP+C", 20, "adverse_events_by_category"),
        # ADC grade 3-4: hematologic 28 + gastrointestinal 12 of 28 + 12 + 1 + 2 = 43 (the
        # "Any adverse event" row, 38 patients, is a summary, not a category)
        (
            "grade34_share.hematologic+gastrointestinal.ADC",
            100 * 40 / 43,
            "adverse_events_by_category",
        ),
        # HP+C: 20 + 8 of 20 + 8 + 3 + 5 = 36
        (
            "grade34_share.hematologic+gastrointestinal.HP+C",
            100 * 28 / 36,
            "adverse_events_by_category",
        ),
        # 5 patients: progression 2, ILD 1, other_AE 1, missing 1 (denominator: every patient)
        ("share.reason.progression", 40.0, "dataset"),
        ("share.reason.ILD|other_AE", 40.0, "dataset"),
        ("count.reason.progression", 2, "dataset"),
        ("share.ild_recurrence.yes", 20.0, "dataset"),
    ],
)
def test_lookup(tables, metric, expected, table):
    value, source = rp.lookup(metric, tables)
    assert value == pytest.approx(expected, rel=1e-12)
    assert source == table


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("median.pfs.nobody", "no row"),
        ("any_grade_n.Neutropenia", "several arms"),
        ("any_grade_n.Alopecia.ADC", "no term"),
        ("share.not_a_column.x", "no column"),
        ("orr_pct.ADC", "not available"),
    ],
)
def test_lookup_not_found(tables, metric, message):
    available = dict(tables)
    if metric.startswith("orr"):
        del available["response"]
    with pytest.raises(rp.NotFound, match=message):
        rp.lookup(metric, available)


# ------------------------------------------------------------------------------------------------
# pass / fail


def test_published_decimals_and_default_tolerance():
    assert [rp.published_decimals(v) for v in (7.0, 54, 0.05, 16.2, 22.0)] == [1, 0, 2, 1, 1]
    assert rp.default_tolerance(7.0) == pytest.approx(0.05)
    assert rp.default_tolerance(54) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("target", "computed", "status"),
    [
        ({"value": 7.0}, 7.049, "pass"),
        ({"value": 7.0}, 6.95, "pass"),  # rounds half away from zero to 7.0
        ({"value": 7.0}, 7.05, "fail"),  # rounds to 7.1
        ({"value": 7.0}, 6.9499, "fail"),
        ({"value": 54}, 54.07, "pass"),
        ({"value": 54}, 54.5, "fail"),
        ({"value": 7.0, "tolerance": 0.2}, 7.2, "pass"),
        ({"value": 7.0, "tolerance": 0.2}, 7.21, "fail"),
        ({"value": 1, "direction": "<"}, 0.41, "pass"),
        ({"value": 1, "direction": "<"}, 1.0, "fail"),
        ({"value": 50, "direction": ">"}, 77.8, "pass"),
        ({"value": 7.0}, math.nan, "fail"),
    ],
)
def test_evaluate(target, computed, status):
    assert rp.evaluate(target, computed)[0] == status


def test_check_targets_table(tables):
    targets = [
        {"metric": "median.pfs.ADC", "value": 7.0, "seed": "000.txt", "description": "ADC PFS"},
        {"metric": "orr_pct.HP+C", "value": 26.9},
        {"metric": "hr.pfs.T-DXd", "value": 1, "direction": "<"},
        {"metric": "median_upper.pfs.T-DXd", "value": 20.0},
        {"metric": "median.pfs.nobody", "value": 3.0},
    ]
    out = rp.check_targets(targets, tables)
    assert list(out.columns[:5]) == ["metric", "published", "computed", "tolerance", "status"]
    assert list(out["status"]) == ["pass", "pass", "pass", "fail", "missing"]
    assert out["tolerance"].iloc[0] == pytest.approx(0.05)
    assert math.isnan(out["tolerance"].iloc[2])
    assert out["seed"].iloc[0] == "000.txt"
    assert "not estimable" in out["note"].iloc[3]
    missed = rp.missed_targets({"demo": out})
    assert missed == [
        "demo: median_upper.pfs.T-DXd (published 20, computed missing)",
        "demo: median.pfs.nobody (published 3, computed missing)",
    ]
    text = rp.summary_markdown({"demo": out}, {"demo": {"title": "Demo", "synthetic": True}})
    assert "| demo | 5 | 3 | 2 |" in text
    assert "## Demo" in text and "Synthetic cohort" in text
    assert "| median.pfs.ADC | ADC PFS | 7 | 7.0 | pass |" in text


def test_counts_are_written_and_shown_as_integers(tables, tmp_path):
    from her2rwe import io

    targets = [
        {"metric": "orr_n.Overall", "value": 61, "description": "ORR 61 patients"},
        {"metric": "median.pfs.ADC", "value": 7.0, "description": "ADC PFS"},
    ]
    out = rp.check_targets(targets, tables)
    path = tmp_path / "reproduction.csv"
    io.write_table(out, path)
    rows = path.read_text().splitlines()
    # issue 17: counts printed as 61.0 next to rates
    assert rows[1].startswith("orr_n.Overall,61,61,")
    assert rows[2].startswith("median.pfs.ADC,7.0,")
    back = io.read_table(path)
    text = rp.summary_markdown({"demo": back}, {"demo": {"title": "Demo"}})
    assert "| orr_n.Overall | ORR 61 patients | 61 | 61 | pass |" in text


# ------------------------------------------------------------------------------------------------
# the rule, in a project folder with hand-written result tables


def _project(tmp_path: Path, targets: list[dict]) -> Path:
    (tmp_path / "data").mkdir()
    shutil.copy(ROOT / "data" / "raw" / "example" / "cohort.csv", tmp_path / "data" / "cohort.csv")
    # the checks read the unsuppressed tables (results/<study>/internal/)
    shutil.copytree(TABLES, tmp_path / "results" / "demo" / "internal")
    # and the shareable copies (min_cell_count 0: the same tables)
    shutil.copytree(TABLES, tmp_path / "results" / "demo" / "tables")
    config = {
        "studies": {
            "demo": {
                "title": "Demo",
                "cohort": "data/cohort.csv",
                "arms": {"column": "arm", "reference": "HP+C"},
                "endpoints": ["pfs"],
                "targets": targets,
            }
        }
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return tmp_path


def _snakemake(project: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_workflow(
        project, "results/demo/reproduction.csv", "results/reproduction_summary.md", *extra,
        # only the reproduction rules: the hand-written tables stand in for the upstream stages
        "--allowed-rules", "check_reproduction", "summarize_reproduction",
        timeout=300,
    )  # fmt: skip


@pytest.mark.e2e
def test_rule_writes_reproduction_and_strict_mode_names_missed_targets(tmp_path):
    targets = [
        {"metric": "median.pfs.ADC", "value": 7.0, "seed": "000.txt"},
        {"metric": "orr_pct.ADC", "value": 51.8, "seed": "000.txt"},
        {"metric": "median.pfs.HP+C", "value": 9.9, "seed": "000.txt"},
    ]
    project = _project(tmp_path, targets)
    run = _snakemake(project)
    assert run.returncode == 0, run.stderr
    out = pd.read_csv(project / "results" / "demo" / "reproduction.csv")
    assert list(out["status"]) == ["pass", "pass", "fail"]
    summary = (project / "results" / "reproduction_summary.md").read_text(encoding="utf-8")
    assert "| demo | 3 | 2 | 1 |" in summary

    (project / "results" / "reproduction_summary.md").unlink()
    strict = _snakemake(project, "--config", "strict_reproduction=true")
    assert strict.returncode != 0
    assert "demo: median.pfs.HP+C (published 9.9, computed 8.90349)" in strict.stderr
    assert "median.pfs.ADC (" not in strict.stderr
    assert (project / "results" / "demo" / "reproduction.csv").is_file()  # kept for inspection


def test_missed_targets_print_a_masked_target_as_its_marker():
    # a failed target beside a masked count (min_cell_count) reads as the marker, not a number
    out = pd.DataFrame(
        {"metric": ["events.pfs.A"], "published": ["<11"], "computed": ["<11"],
         "status": ["fail"], "direction": [""]}
    )  # fmt: skip
    assert rp.missed_targets({"demo": out}) == ["demo: events.pfs.A (published <11, computed <11)"]
