"""Results tables round-trip exactly, and writes are atomic."""

import numpy as np
import pandas as pd
import pytest

from her2rwe import io


def test_tables_round_trip_to_the_last_bit(tmp_path):
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.random(2000) * 100, [8.1, 0.1, 1 / 3, 2.0**-30, 1e300, np.nan]])
    frame = pd.DataFrame({"x": values, "label": ["a"] * len(values)})
    io.write_table(frame, tmp_path / "t.csv")
    back = io.read_table(tmp_path / "t.csv")
    # exact equality, bit for bit (NaN where NaN): no tolerance
    assert np.array_equal(back["x"].to_numpy(), values, equal_nan=True)
    assert repr(back["x"].iloc[-6]) in ("np.float64(8.1)", "8.1")


def test_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert not target.exists() and list(tmp_path.iterdir()) == []
