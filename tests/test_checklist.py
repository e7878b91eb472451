"""The reporting checklist (results/{study}/checklist.md): every STROBE and RECORD item, each naming
only outputs that the study has."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from her2rwe.config import validate_config
from her2rwe.outputs import checklist
from her2rwe.outputs.html_report import read_csv, records

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "expected_results"
STROBE = [str(i) for i in range(1, 23)]
RECORD = ["1.1", "1.2", "1.3", "6.1", "6.2", "6.3", "7.1", "12.1", "12.2", "12.3", "13.1", "19.1", "22.1"]


def _study(name: str) -> dict:
    return validate_config(yaml.safe_load((ROOT / "config.yaml").read_text()))["studies"][name]


def _facts(name: str) -> checklist.Facts:
    root = EXPECTED / name
    outputs = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    outputs += ["report.html", "checklist.md"]  # written by the run, not frozen
    missingness = root / "tables" / "missingness.csv"
    return checklist.facts(
        records(*read_csv(root / "tables" / "attrition.csv")),
        records(*read_csv(missingness)) if missingness.exists() else [],
        outputs,
    )


def test_every_item_is_listed_once_and_names_only_outputs_the_study_has():
    for name in ("adc_vs_hpc", "tki_after_tdm1", "post_tdxd_ensemble"):
        study, facts = _study(name), _facts(name)
        rows = checklist.items(study, facts)
        labels = [item for item, _, _ in rows]
        assert len(labels) == len(set(labels))
        strobe = {re.match(r"STROBE (\d+)", x).group(1) for x in labels if x.startswith("STROBE")}
        assert sorted(strobe, key=int) == STROBE
        assert [x.split()[1] for x in labels if x.startswith("RECORD")] == RECORD
        for item, _, where in rows:
            assert where, item
            for path in re.findall(r"`([^`]+)`", where):
                if "/" in path or "." in path:
                    ok = path in facts.has or path == "../MANIFEST.sha256"
                    assert ok, f"{name} {item}: {path} is not an output of the study"


def test_filled_from_the_run_and_from_the_config():
    adjusted = checklist.items(_study("adc_vs_hpc"), _facts("adc_vs_hpc"))
    single = checklist.items(_study("tki_after_tdm1"), _facts("tki_after_tdm1"))
    where = {item: w for item, _, w in adjusted}
    where_single = {item: w for item, _, w in single}
    assert "(150 patients analysed)" in where["STROBE 13a"]  # HP+C 67 + ADC 83
    assert "(66 patients analysed)" in where_single["STROBE 13a"]
    assert "tables/adjusted.md" in where["STROBE 12e"]
    assert where_single["STROBE 12e"].startswith(checklist.NOT_ANSWERED)
    assert where_single["STROBE 9"].startswith(checklist.NOT_ANSWERED)
    assert where["STROBE 22"].startswith(checklist.NOT_ANSWERED)
    text = checklist.checklist_markdown("adc_vs_hpc", _study("adc_vs_hpc"), _facts("adc_vs_hpc"))
    assert text.startswith("# Reporting checklist: Novel anti-HER2 ADCs")
    assert "ESMO-GROW items are not listed" in text and "Synthetic data" in text


def test_missing_data_item_counts_variables_with_a_gap():
    facts = checklist.facts(
        [{"arm": "Total", "step": "analysed", "n": "10"}],
        [
            {"variable": "age", "arm": "A", "missing_n": "1"},
            {"variable": "age", "arm": "Overall", "missing_n": "1"},
            {"variable": "ecog", "arm": "Overall", "missing_n": "0"},
            {"variable": "hr", "arm": "Overall", "missing_n": "<11"},
        ],
        ["tables/missingness.csv"],
    )
    assert (facts.variables, facts.with_missing, facts.analysed) == (3, 2, "10")
