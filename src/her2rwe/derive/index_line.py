"""Declared index-line selection: which line of therapy is each patient's index line, and its arm.

The study's ``index`` block (config schema) lists ``steps``; each step is a criterion on a line and
adds a row to the attrition table. A criterion is a mapping whose keys all hold:

- ``contains``: every listed drug or class is in the line's regimen;
- ``contains_any``: at least one is; ``excludes``: none is;
- ``line``: ``{min, max}`` bounds on the line number;
- ``after``: a criterion that an earlier line of the same patient meets, with optional
  ``immediately: true`` (the line right before) and ``stopped_for: [reasons]`` (that line's
  discontinuation reason);
- ``any_of``: a list of criteria, at least one of which holds.

Drug names resolve through the drug dictionary (``T-DXd`` -> trastuzumab deruxtecan) and match
their substitution group (trastuzumab matches its subcutaneous form); class names (``anti-HER2
ADC``) match every drug of the class. Only metastatic lines can be index lines (early therapy
counted as line 1 by the adjuvant rule still counts as an earlier line for ``after``).

Arms come from the index regimen: ``arms`` maps each arm label to a criterion, the first match
wins, and a line that matches no arm cannot be an index line; without ``arms`` every patient is in
the arm ``arm_label``. The index line is the first qualifying line per patient; then patients with
less than ``min_follow_up_days`` of follow-up after the index date are excluded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from her2rwe.records.drugs import CLASSES, DrugDictionary

NO_ARM = "no arm"


class IndexRuleError(ValueError):
    """The index rule names something that cannot be resolved (message names the key)."""


@dataclass
class IndexSelection:
    """The index line per selected patient (a row of the lines table plus ``arm``), the attrition
    table (arm, step, reason, n; internal, unsuppressed), and each patient's arm for attrition."""

    index: pd.DataFrame
    attrition: pd.DataFrame


class _Matcher:
    """Evaluates criteria over a lines table, vectorised."""

    def __init__(self, lines: pd.DataFrame, dictionary: DrugDictionary, substitutions):
        self.lines = lines.reset_index(drop=True)
        self.dictionary = dictionary
        self.groups = [set(g) for g in substitutions]
        # each line's regimen as a code of the distinct regimens, whose drugs (generic names) and
        # classes are found once
        self.regimen, regimens = pd.factorize(self.lines["regimen"])
        self.drugs = [set(str(r).split("+")) for r in regimens]
        class_of = {g: dictionary.drug_class.get(g) for g in set().union(*self.drugs)}
        self.classes = [{class_of[g] for g in drugs} for drugs in self.drugs]
        self.n = len(self.lines)
        pid = self.lines["patient_id"].to_numpy()
        self.pid_codes, self.pid_uniques = pd.factorize(pid)
        self.line_no = self.lines["line"].to_numpy(dtype=np.int64)

    def _has(self, what: str, where: str) -> np.ndarray:
        if what in CLASSES:
            hit = [what in classes for classes in self.classes]
        else:
            generic = self.dictionary.resolve_name(what)
            if generic is None:
                raise IndexRuleError(
                    f"{where}: {what!r} is neither a drug in the dictionary nor a class ({', '.join(CLASSES)})"
                )
            names = {generic}
            for g in self.groups:
                if generic in g:
                    names |= g
            hit = [not names.isdisjoint(drugs) for drugs in self.drugs]
        # code -1 (no regimen): the last entry, no
        return np.array([*hit, False], dtype=bool)[self.regimen]

    def evaluate(self, crit: Mapping[str, Any], where: str) -> np.ndarray:
        ok = np.ones(self.n, dtype=bool)
        for name in crit.get("contains") or []:
            ok &= self._has(name, f"{where}.contains")
        if crit.get("contains_any"):
            anyhit = np.zeros(self.n, dtype=bool)
            for name in crit["contains_any"]:
                anyhit |= self._has(name, f"{where}.contains_any")
            ok &= anyhit
        for name in crit.get("excludes") or []:
            ok &= ~self._has(name, f"{where}.excludes")
        bounds = crit.get("line") or {}
        if bounds.get("min") is not None:
            ok &= self.line_no >= bounds["min"]
        if bounds.get("max") is not None:
            ok &= self.line_no <= bounds["max"]
        if crit.get("any_of"):
            alt = np.zeros(self.n, dtype=bool)
            for i, sub in enumerate(crit["any_of"]):
                alt |= self.evaluate(sub, f"{where}.any_of[{i}]")
            ok &= alt
        if crit.get("after"):
            ok &= self._after(crit["after"], f"{where}.after")
        return ok

    def _after(self, crit: Mapping[str, Any], where: str) -> np.ndarray:
        inner = {k: v for k, v in crit.items() if k not in ("immediately", "stopped_for")}
        earlier = self.evaluate(inner, where)
        if crit.get("stopped_for"):
            earlier &= self.lines["discontinuation_reason"].isin(crit["stopped_for"]).to_numpy()
        if crit.get("immediately"):
            return _pairs_in(
                self.pid_codes, self.line_no, self.pid_codes[earlier], self.line_no[earlier] + 1
            )
        first = np.full(self.pid_codes.max() + 1 if self.n else 0, np.iinfo(np.int64).max)
        np.minimum.at(first, self.pid_codes[earlier], self.line_no[earlier])
        return self.line_no > first[self.pid_codes]


def _pairs_in(a_pid, a_line, b_pid, b_line) -> np.ndarray:
    big = int(max(a_line.max(initial=0), b_line.max(initial=0))) + 1
    return np.isin(a_pid.astype(np.int64) * big + a_line, b_pid.astype(np.int64) * big + b_line)


def select_index_lines(
    lines: pd.DataFrame,
    patients: pd.DataFrame,
    index_rule: Mapping[str, Any],
    dictionary: DrugDictionary,
    substitutions=(),
    arm_order: list[str] | None = None,
) -> IndexSelection:
    """Apply the declared index rule (module docstring) to a lines table; every patient of
    ``patients`` is counted in the attrition table."""
    m = _Matcher(lines, dictionary, substitutions)
    L = m.lines
    arms_cfg = index_rule.get("arms") or {}
    arm = np.full(m.n, NO_ARM, dtype=object)
    if arms_cfg:
        for label, crit in reversed(list(arms_cfg.items())):
            arm[m.evaluate(crit or {}, f"index.arms.{label}")] = label
    else:
        arm[:] = index_rule["arm_label"]
    metastatic = (L["setting"] == "metastatic").to_numpy()
    qualifies = metastatic.copy()
    steps: list[tuple[str, np.ndarray]] = [("no metastatic line of therapy", qualifies.copy())]
    for i, step in enumerate(index_rule["steps"]):
        crit = {k: v for k, v in step.items() if k != "label"}
        qualifies &= m.evaluate(crit, f"index.steps[{i}]")
        steps.append((f"no line meets: {step.get('label') or f'step {i + 1}'}", qualifies.copy()))
    if arms_cfg:
        qualifies &= arm != NO_ARM
        steps.append(("index regimen matches no arm", qualifies.copy()))

    pids = patients["patient_id"].astype(str).to_numpy()
    # each patient's arm in the attrition table: the arm of their first line that still qualified
    # at the last step they passed ('no arm' when it matches none, or without a metastatic line)
    patient_arm = np.full(len(pids), NO_ARM, dtype=object)
    remaining = np.ones(len(pids), dtype=bool)
    exclusions: list[tuple[str, np.ndarray]] = []
    # lines in (patient, line) order, and each patient's lines' code (-1: no line)
    by_patient = np.lexsort((m.line_no, m.pid_codes))
    code_of = pd.Index(m.pid_uniques).get_indexer(pids)
    for reason, ok in steps:
        rows = by_patient[ok[by_patient]]
        codes = m.pid_codes[rows]
        first = rows[np.r_[True, codes[1:] != codes[:-1]]] if len(rows) else rows
        arm_of = np.full(len(m.pid_uniques) + 1, None, dtype=object)  # last: patient without lines
        arm_of[m.pid_codes[first]] = arm[first]
        first_arm = arm_of[code_of]
        keep = pd.notna(first_arm)
        patient_arm = np.where(remaining & keep, first_arm, patient_arm)
        exclusions.append((reason, remaining & ~keep))
        remaining &= keep

    chosen = (
        L[qualifies].assign(arm=arm[qualifies]).sort_values(["patient_id", "line"], kind="stable")
    )
    index = chosen.drop_duplicates("patient_id").reset_index(drop=True)
    min_days = index_rule["min_follow_up_days"]
    if min_days:
        pt = patients.set_index(patients["patient_id"].astype(str))
        follow = (
            pt["death_date"].fillna(pt["last_contact_date"]).reindex(index["patient_id"]).to_numpy()
        )
        days = (follow - index["start_date"].to_numpy()) / np.timedelta64(1, "D")
        short = ~(days >= min_days)
        dropped = np.isin(pids, index["patient_id"].to_numpy()[short])
        exclusions.append((f"follow-up after the index date shorter than {min_days} days", dropped))
        remaining &= ~dropped
        index = index[~short].reset_index(drop=True)
    return IndexSelection(index, _attrition(patient_arm, exclusions, remaining, arm_order))


def _attrition(patient_arm, exclusions, remaining, arm_order) -> pd.DataFrame:
    """arm, step, reason, n: rows read (patients in the records), one `excluded` row per step in
    order, and analysed; per arm (the arm of the patient's first line that meets an arm, or 'no
    arm') and in total."""
    present = sorted(set(patient_arm) - {NO_ARM})
    levels = list(arm_order or []) + [a for a in present if a not in (arm_order or [])]
    if (patient_arm == NO_ARM).any():
        levels.append(NO_ARM)
    rows = []
    for a in [*levels, "Total"]:
        sel = np.ones(len(patient_arm), dtype=bool) if a == "Total" else patient_arm == a
        rows.append(
            {
                "arm": a,
                "step": "rows read",
                "reason": "patients in the records",
                "n": int(sel.sum()),
            }
        )
        for reason, dropped in exclusions:
            rows.append(
                {"arm": a, "step": "excluded", "reason": reason, "n": int((dropped & sel).sum())}
            )
        rows.append({"arm": a, "step": "analysed", "reason": "", "n": int((remaining & sel).sum())})
    return pd.DataFrame(rows, columns=["arm", "step", "reason", "n"])
