"""The drug dictionary: drug names as written in a treatments file -> generic name and class.

The project ships one for HER2-positive breast cancer (``records/data/drug_dictionary.csv``: generic
and brand names, common abbreviations and spellings, trastuzumab biosimilars and the subcutaneous
forms). A study's ``drugs:`` block adds or overrides entries. Names match case-insensitively after
trimming and collapsing runs of spaces; a generic written ``a+b`` is a fixed combination (e.g.
Phesgo) and expands into one exposure per component.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

CLASSES = (
    "anti-HER2 antibody",
    "anti-HER2 ADC",
    "anti-HER2 TKI",
    "chemotherapy",
    "endocrine",
    "CDK4/6 inhibitor",
    "other",
)
"""The drug classes of DESIGN.md, in the order lines are summarised (see :data:`LINE_CLASS_ORDER`)."""

LINE_CLASS_ORDER = (
    "anti-HER2 ADC",
    "anti-HER2 TKI",
    "anti-HER2 antibody",
    "CDK4/6 inhibitor",
    "chemotherapy",
    "endocrine",
    "other",
)
"""A line's summary class is the first class of its regimen in this order: T-DXd -> ADC,
tucatinib + trastuzumab + capecitabine -> TKI, trastuzumab + pertuzumab + docetaxel -> antibody."""

_SPACES = re.compile(r"\s+")


def normalise(names: pd.Series) -> pd.Series:
    """Lower-case, trimmed, single-spaced drug names."""
    return names.astype(str).str.strip().str.lower().str.replace(_SPACES, " ", regex=True)


def _normalise_one(name: str) -> str:
    return _SPACES.sub(" ", name.strip().lower())


@dataclass(frozen=True)
class DrugDictionary:
    """name -> generic, and generic -> class; every key normalised."""

    generic: dict[str, str]
    drug_class: dict[str, str]

    def resolve_name(self, name: str) -> str | None:
        """The generic name (or a class name, unchanged) that a config entry refers to."""
        key = _normalise_one(name)
        return self.generic.get(key)

    def is_class(self, name: str) -> bool:
        return name in CLASSES

    def classes_of(self, generics: pd.Series) -> pd.Series:
        return generics.map(self.drug_class)


def _shipped_rows() -> list[dict[str, str]]:
    text = (
        resources.files("her2rwe.records")
        .joinpath("data/drug_dictionary.csv")
        .read_text(encoding="utf-8")
    )
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines))


def load_dictionary(extra: Mapping[str, Any] | None = None) -> DrugDictionary:
    """The shipped dictionary with a study's ``drugs:`` entries added or overriding.

    ``extra`` maps a name to ``{generic: ..., class: ...}`` (both optional but one given): a name
    whose generic is already known takes that generic's class unless the entry gives one; a new
    generic needs its class. Raises ValueError naming entries that cannot be resolved.
    """
    generic: dict[str, str] = {}
    drug_class: dict[str, str] = {}
    for row in _shipped_rows():
        generic[_normalise_one(row["name"])] = row["generic"]
        for part in row["generic"].split("+"):
            drug_class[part] = row["class"]
    problems = []
    for name, entry in (extra or {}).items():
        entry = dict(entry or {})
        key = _normalise_one(name)
        gen = entry.get("generic")
        gen = _normalise_one(gen) if gen else generic.get(key, key)
        gen = generic.get(gen, gen)  # a brand name given as the generic resolves to its generic
        cls = entry.get("class")
        parts = gen.split("+")
        if cls is None and not all(p in drug_class for p in parts):
            problems.append(f"drugs.{name}: {gen!r} is not in the dictionary; give its class")
            continue
        generic[key] = gen
        generic.setdefault(gen, gen)
        for p in parts:
            if cls is not None:
                drug_class[p] = cls
    if problems:
        raise ValueError("; ".join(problems))
    for g in list(drug_class):
        generic.setdefault(g, g)
    return DrugDictionary(generic, drug_class)


def map_exposures(
    names: pd.Series,
    dictionary: DrugDictionary,
    factor: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[pd.Series, np.ndarray]:
    """The generic name of every exposure (a combination stays joined by '+'), and a mask of the
    names that the dictionary does not know. ``factor``: the names' codes and values when the caller
    has them (values[codes] == names)."""
    codes, uniques = pd.factorize(names) if factor is None else factor
    keys = normalise(pd.Series(uniques, dtype=object))
    mapped = np.array([dictionary.generic.get(u) for u in keys], dtype=object)
    generic = pd.Series(mapped[codes] if len(codes) else [], index=names.index, dtype=object)
    unknown = generic.isna().to_numpy()
    return generic, unknown
