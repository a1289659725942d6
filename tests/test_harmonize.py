"""Harmonize: cell text → numbers, synonyms → canonical values (parser behaviour, no index data involved)."""

import pandas as pd

from etl.harmonize import _numbers


def test_numbers_accept_common_spellings_and_flag_the_rest():
    raw = pd.Series(["1234.5", "1,234.5", "１２３", " 7 ", "12%", "", "—", "N/A", "abc", "-3.5"])
    values, bad = _numbers(raw, missing=())
    assert values.tolist()[:5] == [1234.5, 1234.5, 123.0, 7.0, 12.0]
    assert pd.isna(values[5]) and not bad[5]  # empty: not published
    assert bad[6] and bad[7] and bad[8]  # dashes, N/A and words are errors unless declared missing
    assert values[9] == -3.5


def test_declared_missing_markers_mean_not_published():
    values, bad = _numbers(pd.Series(["—", "N/A", "5"]), missing=("—", "N/A"))
    assert values.isna().tolist() == [True, True, False] and not bad.any()


def test_bulk_reading_gives_what_cell_by_cell_reading_gives():
    """Many cells at once (Arrow for plain numbers, _numbers for the rest) read exactly as one by one."""
    import numpy as np
    import pyarrow as pa

    from etl.harmonize import numbers

    texts = ["1234.5", "1,234.5", "１２３", " 7 ", "12%", "", "—", "N/A", "abc", "-3.5", "1,2", "1,2345",
             "12,345,678.9", "-1,234", "007", "1e3", "inf", "nan", "+1", "1.", "1.5.", "--1", "1,234,56", "12.3%"]
    for missing in ((), ("—", "N/A")):
        bulk, bulk_bad = numbers(pa.chunked_array([pa.array(texts, pa.large_string())]), missing)
        single, single_bad = _numbers(pd.Series(texts), missing)
        assert np.array_equal(bulk, single.to_numpy(), equal_nan=True)
        assert bulk_bad.tolist() == single_bad.tolist()
