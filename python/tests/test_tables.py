"""shoal.data.read_table: typed tables from Python, encoded as the CLI encodes them."""

import os

import numpy as np
import pytest

import shoal
from shoal import data

from conftest import SOURCE_DIR, run_cli

LOANS = os.path.join(SOURCE_DIR, "tests", "fixtures", "loans.csv")


def test_read_table_encodes_strings_categories_and_missing_cells(tmp_path):
    x, y, schema = data.read_table(LOANS, label_column="Status", embed_threshold=100)
    assert x.dtype == np.float32 and x.shape[0] == 240 == y.shape[0]
    assert schema["class_names"] == ["bad", "good"]
    assert set(np.unique(y)) == {0, 1}
    income = next(c for c in schema["columns"] if c["name"] == "Income")
    assert income["type"] == "numeric" and income["indicator"]
    # An unseen category and an empty cell, read with the fitted schema.
    path = tmp_path / "new.csv"
    path.write_text("Home,Marital,Job,City,Income,Assets,Debt,Age,Records\nboat,single,fixed,Porto,,1,2,30,true\n")
    x2, y2, same = data.read_table(path, has_label=False, schema=schema)
    assert y2 is None and same == schema and x2.shape == (1, x.shape[1])
    home = next(c for c in schema["columns"] if c["name"] == "Home")
    numeric = sum(1 for c in schema["columns"] if c["type"] in ("numeric", "boolean"))
    indicators = sum(1 for c in schema["columns"] if c.get("indicator"))
    first_one_hot = numeric + indicators  # Home is the first categorical column
    assert x2[0, first_one_hot + 1] == 1.0  # "unknown"
    assert x2[0, first_one_hot: first_one_hot + len(home["categories"]) + 2].sum() == 1.0
    # The missing income takes the training mean: its standardised value is 0, its indicator 1.
    names = [c["name"] for c in schema["columns"] if c["type"] in ("numeric", "boolean")]
    assert x2[0, names.index("Income")] == pytest.approx(0.0, abs=1e-6)


def test_read_table_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("y,x\n0,1\n1,two\n")
    with pytest.raises(shoal.InputError, match="bad.csv:3:2"):
        data.read_table(path, label_column="y", categorical=(), numeric=("x",))


def test_a_trained_tabular_model_predicts_rows_read_with_its_schema(tmp_path):
    run_cli("train", "--model", "tabular", "--train-csv", LOANS, "--label-col", "Status", "--epochs", "1",
            "--hidden", "8", "--out", tmp_path / "run")
    model = shoal.nn.load(str(tmp_path / "run" / "model.shoal"))
    assert model.table["class_names"] == ["bad", "good"]
    x, y, schema = data.read_table(LOANS, schema=model.table)
    assert schema == model.table
    probabilities = np.exp(model.predict(x))
    assert probabilities.shape == (240, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    model.save(str(tmp_path / "again.shoal"))
    assert shoal.nn.load(str(tmp_path / "again.shoal")).table == model.table
    # The CLI evaluates a model saved from Python with the schema assigned to it.
    other = shoal.nn.load(str(tmp_path / "again.shoal"))
    other.table = None
    other.table = schema
    other.save(str(tmp_path / "assigned.shoal"))
    e = run_cli("eval", "--model-file", tmp_path / "assigned.shoal", "--data-csv", LOANS)
    assert "accuracy" in e.stdout
