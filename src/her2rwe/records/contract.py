"""Input contract v1: the fixed column names and codes every reader and check shares."""

DATE_COLUMNS = (
    "index_date",
    "progression_date",
    "death_date",
    "last_assessment_date",
    "last_contact_date",
    "next_treatment_date",
    "discontinuation_date",
)
RESPONSES = ("CR", "PR", "SD", "PD", "NE")
