"""End to end: a records study (input contract v2) in a project folder."""

import shutil

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.workflow_helpers import run as run_snakemake

pytestmark = pytest.mark.e2e
EXAMPLE = REPO / "data" / "raw" / "records_example"


def project(tmp_path, config=None):
    dest = tmp_path / "project"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("results", ".snakemake"))
    if config is not None:
        (dest / "config.yaml").write_text(config)
    return dest


def test_records_example_to_analysis_dataset_attrition_and_flow(tmp_path):
    dest = project(tmp_path)
    base = "results/records_example"
    targets = [
        f"{base}/analysis_dataset.parquet",
        f"{base}/figures/flow.png",
        f"{base}/figures/sequences.png",
    ]
    proc = run_snakemake(dest, *targets, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = pd.read_parquet(dest / base / "lines_of_therapy.parquet")
    patients = pd.read_csv(dest / "patients.csv", comment="#")
    assert set(lines["patient_id"]) == set(patients["patient_id"])  # every patient, before index
    data = pd.read_parquet(dest / base / "analysis_dataset.parquet")
    attrition = pd.read_csv(dest / base / "tables" / "attrition.csv")
    total = attrition[attrition["arm"] == "Total"]
    assert total["n"].iloc[0] == len(patients)
    assert total["n"].iloc[-1] == len(data) == total["n"].iloc[0] - total["n"].iloc[1:-1].sum()
    assert set(data["arm"]) == {"ADC", "HP+C"}
    seq = pd.read_csv(dest / base / "tables" / "treatment_sequences.csv")
    assert seq.loc[(seq["from_line"] == "1") & (seq["to_class"] == "all"), "n"].sum() == len(
        patients
    )
    for col in ("pfs_months", "pfs_event", "os_months", "ttnt_months", "prior_lines", "regimen"):
        assert col in data.columns


def test_lines_target_works_when_the_index_rule_selects_no_one(tmp_path):
    config = (
        (EXAMPLE / "config.yaml")
        .read_text()
        .replace(
            "after: {contains: [anti-HER2 TKI]}",
            "after: {contains: [anti-HER2 TKI]}\n          line: {min: 40}",
        )
    )
    dest = project(tmp_path, config)
    proc = run_snakemake(dest, "results/records_example/lines_of_therapy.parquet", timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(pd.read_parquet(dest / "results/records_example/lines_of_therapy.parquet")) > 200


def test_unknown_drug_fails_with_file_line_and_the_names(tmp_path):
    # the job's function (derive_lines.py calls it): every problem, nothing written
    import yaml

    from her2rwe.config import validate_config
    from her2rwe.derive.records_pipeline import derive_study_lines
    from her2rwe.records.rawtext import InputError

    dest = project(tmp_path)
    text = (dest / "treatments.csv").read_text().splitlines()
    text.insert(3, text[2].replace("docetaxel", "Wonderdrug").replace("trastuzumab", "Wonderdrug"))
    (dest / "treatments.csv").write_text("\n".join(text) + "\n")
    study = validate_config(yaml.safe_load((dest / "config.yaml").read_text()))["studies"][
        "records_example"
    ]
    files = {k: str(dest / v) for k, v in study["records"].items() if v}
    with pytest.raises(InputError) as exc:
        derive_study_lines(study, files, 30.4375)
    assert "treatments.csv:4: column 'drug'" in str(exc.value) and "'Wonderdrug'" in str(exc.value)
