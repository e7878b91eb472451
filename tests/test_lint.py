"""`snakemake --lint` finds nothing but the documented per-rule lint (README: every rule runs in the
project's Python environment, so no rule names a conda environment or container). The same filter
as .ci/run, so a lint that CI would refuse fails here first."""

import re
import subprocess

import pytest

from tests.workflow_helpers import ENV, REPO, SNAKEMAKE

pytestmark = pytest.mark.e2e
ACCEPTED = "Specify a conda environment or container for each rule"


def lints(output: str) -> list[str]:
    """The lint headings of `snakemake --lint` output (lines '    * <lint>:')."""
    return [m.group(1) for m in re.finditer(r"(?m)^\s+\* (.+?):?$", output)]


def test_only_the_documented_lint():
    proc = subprocess.run(
        [str(SNAKEMAKE), "-s", str(REPO / "Snakefile"), "-d", str(REPO), "--lint"],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        cwd=REPO,
    )
    found = lints(proc.stdout + proc.stderr)
    assert found, "snakemake --lint printed no lint at all: the filter no longer reads its output"
    assert [x for x in found if not x.startswith(ACCEPTED)] == []


def test_the_filter_sees_an_unexpected_lint():
    # the heading format of snakemake's lint report, as printed for a rules file mixing rules and
    # functions and composing a path with '+'
    sample = (
        "Lints for snakefile x.smk:\n"
        "    * Mixed rules and functions in same snakefile.:\n"
        "      Small one-liner functions ...\n"
        "    * Path composition with '+' in line 14:\n"
        "Lints for rule a (line 1, x.smk):\n"
        f"    * {ACCEPTED}.:\n"
    )
    found = lints(sample)
    assert [x for x in found if not x.startswith(ACCEPTED)] == [
        "Mixed rules and functions in same snakefile.",
        "Path composition with '+' in line 14",
    ]
