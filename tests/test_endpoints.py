"""Endpoint derivation, checked against cases worked out by hand.

Index date 2020-01-01 throughout (2020 is a leap year). Days are counted by hand from the calendar
and converted with 30.4375 days per month (365.25 / 12).
"""

import pandas as pd
import pytest

from her2rwe.derive.endpoints import (
    BUILTIN_ENDPOINTS,
    DerivationError,
    EndpointDefinition,
    derive_endpoint,
    derive_endpoints,
    endpoint_definitions,
)

M = 30.4375
DATES = [
    "index_date",
    "progression_date",
    "death_date",
    "last_assessment_date",
    "last_contact_date",
    "next_treatment_date",
    "discontinuation_date",
]


def cohort(**rows):
    """One row per keyword: name -> dict of date columns (missing = NaT)."""
    frame = pd.DataFrame(
        {
            col: [r.get(col, "2020-01-01" if col == "index_date" else None) for r in rows.values()]
            for col in DATES
        },
        index=list(rows),
    )
    return frame.apply(pd.to_datetime, format="%Y-%m-%d")


def one(frame, name, endpoint, definitions=None):
    defs = definitions or BUILTIN_ENDPOINTS
    out = derive_endpoint(frame, defs[endpoint])
    row = out.loc[name]
    return row[f"{endpoint}_months"], int(row[f"{endpoint}_event"]), row[f"{endpoint}_source"]


@pytest.fixture
def cases():
    return cohort(
        # progression on day 100 (Jan 31 + Feb 29 + Mar 31 = 91 -> Apr 10 is day 100), death on day 200
        prog_then_death={
            "progression_date": "2020-04-10",
            "death_date": "2020-07-19",  # 91 + 30 (Apr) + 31 (May) + 30 (Jun) + 18 = 200
            "last_assessment_date": "2020-04-10",
            "last_contact_date": "2020-07-19",
        },
        # death on day 60 (Jan 31 + Feb 29 = 60 -> Mar 1), last scan on day 45 (Feb 15)
        death_no_prog={
            "death_date": "2020-03-01",
            "last_assessment_date": "2020-02-15",
            "last_contact_date": "2020-03-01",
        },
        # no assessment, no event; last contact May 1 = day 121 (31 + 29 + 31 + 30)
        no_assessment={"last_contact_date": "2020-05-01"},
        # progression on the index date itself
        prog_on_index={
            "progression_date": "2020-01-01",
            "last_assessment_date": "2020-01-01",
            "last_contact_date": "2020-03-01",
        },
        # next treatment on day 60, progression later on day 100, last scan on day 50 (Feb 20)
        next_tx_before_prog={
            "next_treatment_date": "2020-03-01",
            "progression_date": "2020-04-10",
            "last_assessment_date": "2020-02-20",
            "last_contact_date": "2020-04-10",
            "discontinuation_date": "2020-02-25",  # day 55
        },
        # nothing but the index date
        index_only={},
    )


def test_progression_then_death(cases):
    assert one(cases, "prog_then_death", "pfs") == pytest.approx((100 / M, 1, "progression"))
    assert one(cases, "prog_then_death", "os") == pytest.approx((200 / M, 1, "death"))


def test_death_without_progression_is_a_pfs_event(cases):
    assert one(cases, "death_no_prog", "pfs") == pytest.approx((60 / M, 1, "death"))
    assert one(cases, "death_no_prog", "os") == pytest.approx((60 / M, 1, "death"))


def test_no_tumour_assessment_censors_pfs_at_index(cases):
    assert one(cases, "no_assessment", "pfs") == (0.0, 0, "no_assessment")
    assert one(cases, "no_assessment", "os") == pytest.approx((121 / M, 0, "last_contact"))


def test_progression_on_index_date(cases):
    assert one(cases, "prog_on_index", "pfs") == (0.0, 1, "progression")


def test_next_treatment_before_progression(cases):
    # default PFS ignores the next treatment; TTNT is the next treatment; TTF the discontinuation
    assert one(cases, "next_tx_before_prog", "pfs") == pytest.approx((100 / M, 1, "progression"))
    assert one(cases, "next_tx_before_prog", "ttnt") == pytest.approx((60 / M, 1, "next_treatment"))
    assert one(cases, "next_tx_before_prog", "ttf") == pytest.approx((55 / M, 1, "discontinuation"))


def test_everything_missing_except_index(cases):
    assert one(cases, "index_only", "pfs") == (0.0, 0, "no_assessment")
    for ep in ("os", "ttf", "ttnt", "dot"):
        assert one(cases, "index_only", ep) == (0.0, 0, "no_follow_up")


def test_pfs_censored_at_next_treatment_sensitivity(cases):
    """Sensitivity analysis: censor PFS at the start of the next treatment."""
    study = {
        "endpoint_definitions": {
            "pfs": {
                "events": [
                    {"date": "progression_date", "source": "progression"},
                    {"date": "death_date", "source": "death"},
                ],
                "censor": [
                    {"date": "last_assessment_date", "source": "last_assessment"},
                    {"date": "index_date", "source": "no_assessment"},
                ],
                "censor_before": [{"date": "next_treatment_date", "source": "next_treatment"}],
            }
        }
    }
    defs = endpoint_definitions(study)
    # progression (day 100) comes after the next treatment (day 60): censored at the last scan
    # before it (day 50), which is earlier than the next-treatment date
    assert one(cases, "next_tx_before_prog", "pfs", defs) == pytest.approx(
        (50 / M, 0, "last_assessment")
    )
    # unaffected where there is no next treatment
    assert one(cases, "prog_then_death", "pfs", defs) == pytest.approx((100 / M, 1, "progression"))


def test_censor_before_date_used_when_earlier_than_last_assessment():
    frame = cohort(
        a={
            "progression_date": "2020-04-10",  # day 100
            "next_treatment_date": "2020-03-01",  # day 60
            "last_assessment_date": "2020-04-10",  # day 100 (the progression scan)
        }
    )
    definition = EndpointDefinition(
        name="pfs",
        events=BUILTIN_ENDPOINTS["pfs"].events,
        censor=BUILTIN_ENDPOINTS["pfs"].censor,
        censor_before=(BUILTIN_ENDPOINTS["ttnt"].events[0],),
    )
    out = derive_endpoint(frame, definition).iloc[0]
    assert (out["pfs_months"], out["pfs_event"], out["pfs_source"]) == pytest.approx(
        (60 / M, 0, "next_treatment")
    )


def test_event_on_the_censor_before_date_counts():
    frame = cohort(a={"progression_date": "2020-03-01", "next_treatment_date": "2020-03-01"})
    definition = EndpointDefinition(
        name="pfs",
        events=BUILTIN_ENDPOINTS["pfs"].events,
        censor=BUILTIN_ENDPOINTS["pfs"].censor,
        censor_before=(BUILTIN_ENDPOINTS["ttnt"].events[0],),
    )
    out = derive_endpoint(frame, definition).iloc[0]
    assert (out["pfs_event"], out["pfs_source"]) == (1, "progression")


def test_conditional_source_and_custom_origin():
    """A custom endpoint: time from T-DXd start to discontinuation for an adverse event only."""
    frame = cohort(
        ae={"discontinuation_date": "2020-02-01", "last_contact_date": "2020-06-01"},
        prog={"discontinuation_date": "2020-02-01", "last_contact_date": "2020-06-01"},
    )
    frame["discontinuation_reason"] = ["ILD", "progression"]
    frame["tdxd_start_date"] = pd.to_datetime(["2019-12-02", "2019-12-02"])  # 30 days before index
    study = {
        "endpoint_definitions": {
            "ae_stop": {
                "origin": "tdxd_start_date",
                "events": [
                    {
                        "date": "discontinuation_date",
                        "source": "ae",
                        "where": {"discontinuation_reason": ["ILD", "other_AE"]},
                    }
                ],
                "censor": [{"date": "last_contact_date"}],
            }
        }
    }
    out = derive_endpoints(frame, ["ae_stop"], endpoint_definitions(study))
    # ILD: Dec 2 -> Feb 1 = 29 (rest of Dec incl. the 31st) + 31 (Jan) + 1 = 61 days
    assert out.loc[
        "ae", ["ae_stop_months", "ae_stop_event", "ae_stop_source"]
    ].tolist() == pytest.approx([61 / M, 1, "ae"])
    # progression does not count: censored at last contact, Dec 2 -> Jun 1 = 29 + 31 + 29 + 31 + 30 + 31 + 1 = 182
    assert out.loc[
        "prog", ["ae_stop_months", "ae_stop_event", "ae_stop_source"]
    ].tolist() == pytest.approx([182 / M, 0, "last_contact"])


def test_tie_between_event_sources_goes_to_the_first_listed():
    frame = cohort(a={"progression_date": "2020-03-01", "death_date": "2020-03-01"})
    assert one(frame, "a", "pfs") == pytest.approx((60 / M, 1, "progression"))


def test_days_per_month_is_configurable(cases):
    out = derive_endpoint(cases, BUILTIN_ENDPOINTS["os"], days_per_month=30.0)
    assert out.loc["prog_then_death", "os_months"] == pytest.approx(200 / 30.0)


def test_missing_columns_are_named():
    frame = pd.DataFrame({"index_date": pd.to_datetime(["2020-01-01"])})
    with pytest.raises(DerivationError, match="death_date"):
        derive_endpoint(frame, BUILTIN_ENDPOINTS["os"])


def test_duration_form_is_taken_as_given():
    frame = pd.DataFrame({"pfs_months": [1.5, 2.0], "pfs_event": [1, 0]})
    out = derive_endpoints(frame, ["pfs"], BUILTIN_ENDPOINTS)
    assert out["pfs_months"].tolist() == [1.5, 2.0]
    assert out["pfs_event"].tolist() == [1, 0]
    assert out["pfs_source"].tolist() == ["event", "censored"]
