"""Duration of response (DoR) and time to response (TTR) among responders, per arm.

Reads the patient-level response table that derive_endpoints writes for a study with an assessment
file (results/{study}/internal/tumour_response.parquet; derive.tumour_response.PATIENT_COLUMNS).
DoR: Kaplan-Meier among responders (analyses.survival.summarize_group: Greenwood variance, the
study's ``ci_method`` and ``conf_level``), median and quartiles with CI. TTR: median, quartiles
(R's default quantile, type 7), minimum and maximum among responders (every responder has a TTR).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.analyses.survival import Settings, summarize_group
from her2rwe.config import study_settings

COLUMNS = [
    "arm",
    "n",
    "responders",
    "dor_events",
    "dor_median",
    "dor_median_lower",
    "dor_median_upper",
    "dor_q25",
    "dor_q75",
    "ttr_median",
    "ttr_q25",
    "ttr_q75",
    "ttr_min",
    "ttr_max",
    "note",
]


def summarize_response_duration(
    patients: pd.DataFrame, arms: Sequence[str], study: Mapping[str, Any]
) -> pd.DataFrame:
    """One row per arm: patients, responders, DoR events and Kaplan-Meier median (CI) and
    quartiles, TTR median, quartiles and range (months). Unrounded."""
    settings = Settings.from_study(study_settings(study))
    rows = []
    for arm in arms:
        sel = patients[(patients["arm"].astype(str) == arm)]
        resp = sel[sel["dor_months"].notna()]
        t = resp["dor_months"].to_numpy(float)
        e = resp["dor_event"].astype(int).to_numpy()
        row: dict[str, Any] = {"arm": arm, "n": len(sel), "responders": len(resp)}
        if len(resp):
            km_row, _ = summarize_group(t, e, settings, None)
            row["dor_events"] = km_row["events"]
            for key in ("median", "median_lower", "median_upper", "q25", "q75"):
                row[f"dor_{key}"] = km_row[key]
            ttr = resp["ttr_months"].to_numpy(float)
            q = np.quantile(ttr, [0.5, 0.25, 0.75])
            row.update(ttr_median=q[0], ttr_q25=q[1], ttr_q75=q[2])
            row.update(ttr_min=ttr.min(), ttr_max=ttr.max())
            row["note"] = km_row["note"]
        else:
            row["dor_events"] = 0
            row["note"] = "no responders"
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
