"""Treatment patterns of a records study, over every patient of the records (before index
selection): line-to-line transitions by class, and time on treatment and time to next treatment by
line number and class.

- ``summarize_sequences``: one row per (from_line, from_class, to_class), the number of patients
  whose metastatic line ``from_line`` had summary class ``from_class`` and whose next line had
  ``to_class`` (``none`` when there was no further line); plus a row ``to_class = all`` per
  (from_line, from_class) holding their sum, so that small-cell suppression sees the relation.
- ``summarize_outcomes_by_line``: per line group (1, 2, 3, 4+) and class (and ``all``): n, median time
  on treatment (line start to line end; an ongoing line is censored at the last contact) and median
  time to next treatment (line start to the next line's start or death; censored at the last
  contact), Kaplan-Meier with the study's CI method (Greenwood variance; ``spss`` as
  median +/- z * SE).

Lines are numbered as in ``lines_of_therapy.parquet``: early therapy counted as line 1 by the
adjuvant rule is line 1 in the sequences (with the class of its regimen), but has no row in the
outcomes by line (its duration is not a metastatic outcome).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from her2rwe.stats import km

NONE = "none"
ALL = "all"
SEQUENCE_COLUMNS = ["from_line", "from_class", "to_class", "n"]
OUTCOME_COLUMNS = [
    "line_group",
    "line_class",
    "n",
    "tot_events",
    "tot_median",
    "tot_lower",
    "tot_upper",
    "ttnt_events",
    "ttnt_median",
    "ttnt_lower",
    "ttnt_upper",
    "ci_method",
    "conf_level",
]


def line_group(line: pd.Series, top: int = 4) -> pd.Series:
    """'1', '2', '3', '4+'."""
    return line.clip(upper=top).astype(int).astype(str).where(line < top, f"{top}+")


def summarize_sequences(lines: pd.DataFrame, max_line: int = 4) -> pd.DataFrame:
    """Line-to-line transitions by summary class (module docstring); lines after ``max_line`` are
    pooled into ``from_line = '<max_line>+'``."""
    lines = lines.sort_values(["patient_id", "line"], kind="stable")
    nxt = lines.groupby("patient_id")["line_class"].shift(-1).fillna(NONE)
    frame = pd.DataFrame(
        {
            "from_line": line_group(lines["line"], max_line),
            "from_class": lines["line_class"].to_numpy(),
            "to_class": nxt.to_numpy(),
        }
    )
    counts = frame.groupby(["from_line", "from_class", "to_class"]).size().rename("n").reset_index()
    totals = (
        counts.groupby(["from_line", "from_class"])["n"].sum().reset_index().assign(to_class=ALL)
    )
    out = pd.concat([counts, totals], ignore_index=True)
    out["_all"] = out["to_class"] == ALL
    out = out.sort_values(["from_line", "from_class", "_all", "to_class"], kind="stable")
    return out.drop(columns="_all")[SEQUENCE_COLUMNS].reset_index(drop=True)


def _median(time, event, ci_method: str, conf_level: float) -> tuple[int, float, float, float]:
    if len(time) == 0:
        return 0, np.nan, np.nan, np.nan
    conf = "log-log" if ci_method == "spss" else ci_method
    fit = km.kaplan_meier(time, event, conf, conf_level)
    if ci_method == "spss":
        est, lo, hi = km.spss_quantile(fit, 0.5, conf_level)[:3]
    else:
        est, lo, hi = km.km_quantiles(fit, (0.5,))[0]
    return int(np.sum(event)), float(est), float(lo), float(hi)


def summarize_outcomes_by_line(
    lines: pd.DataFrame,
    patients: pd.DataFrame,
    days_per_month: float,
    ci_method: str = "log-log",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """n, median time on treatment and median time to next treatment (months, with CIs) per line
    group and class (module docstring)."""
    lines = lines[lines["setting"] == "metastatic"]
    pt = patients.set_index("patient_id")
    contact = pt["last_contact_date"].reindex(lines["patient_id"]).to_numpy()
    death = pt["death_date"].reindex(lines["patient_id"]).to_numpy()
    start = lines["start_date"].to_numpy()
    ongoing = (lines["end_reason"] == "ongoing").to_numpy()
    tot_end = np.where(ongoing & ~pd.isna(contact), contact, lines["end_date"].to_numpy())
    tot = (tot_end - start) / np.timedelta64(1, "D") / days_per_month
    nxt = lines["next_line_start"].to_numpy()
    ttnt_event_date = np.where(pd.isna(nxt), death, nxt)
    has_event = ~pd.isna(ttnt_event_date)
    ttnt_end = np.where(has_event, ttnt_event_date, contact)
    ttnt = (ttnt_end - start) / np.timedelta64(1, "D") / days_per_month
    frame = pd.DataFrame(
        {
            "line_group": line_group(lines["line"]).to_numpy(),
            "line_class": lines["line_class"].to_numpy(),
            "tot": np.maximum(tot.astype(float), 0.0),
            "tot_event": (~ongoing).astype(int),
            "ttnt": np.maximum(ttnt.astype(float), 0.0),
            "ttnt_event": has_event.astype(int),
        }
    )
    rows = []
    for group in sorted(frame["line_group"].unique()):
        sub = frame[frame["line_group"] == group]
        for cls in [ALL, *sorted(sub["line_class"].unique())]:
            s = sub if cls == ALL else sub[sub["line_class"] == cls]
            ok_t = ~np.isnan(s["tot"].to_numpy())
            ok_n = ~np.isnan(s["ttnt"].to_numpy())
            t = _median(
                s["tot"].to_numpy()[ok_t], s["tot_event"].to_numpy()[ok_t], ci_method, conf_level
            )
            n = _median(
                s["ttnt"].to_numpy()[ok_n], s["ttnt_event"].to_numpy()[ok_n], ci_method, conf_level
            )
            rows.append(
                {
                    "line_group": group,
                    "line_class": cls,
                    "n": len(s),
                    "tot_events": t[0],
                    "tot_median": t[1],
                    "tot_lower": t[2],
                    "tot_upper": t[3],
                    "ttnt_events": n[0],
                    "ttnt_median": n[1],
                    "ttnt_lower": n[2],
                    "ttnt_upper": n[3],
                    "ci_method": ci_method,
                    "conf_level": conf_level,
                }
            )
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)
