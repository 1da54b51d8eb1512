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


def test_fit_from_a_csv_saves_a_model_the_cli_predicts_as_python_does(tmp_path):
    # The schema fitted as the CLI fits it (the same options), the tabular model built for it.
    x, y, schema = data.read_table(LOANS, label_column="Status", impute="median", embed_threshold=20)
    model = shoal.nn.zoo.tabular(schema, hidden=(16,))
    assert model.table == schema and model.input_shape == (x.shape[1],)
    assert any(c.get("embedded") for c in schema["columns"])  # City: 32 categories, an Embedding
    model.compile(optimizer=shoal.optim.Adam(lr=0.01), loss=shoal.nn.ClassNLLCriterion())
    before = model.evaluate(LOANS)["Loss"]
    summary = model.fit(LOANS, epochs=20, batch_size=32, validation_data=LOANS, verbose=False)
    assert summary["epochs"] == 20
    assert model.evaluate(LOANS)["Loss"] < before
    path = model.save(str(tmp_path / "model.shoal"))
    # New rows: columns in another order, no label, an unseen category, empty and NA cells.
    new = tmp_path / "new.csv"
    new.write_text("Records,Age,Debt,Assets,Income,City,Job,Marital,Home\n"
                   "false,30,100,NA,,Atlantis,fixed,married,boat\n"
                   "true,50,900,100,80,Porto,partime,,rent\n"
                   "false,41,0,5000,200,Beja,others,single,owner\n")
    probabilities = np.exp(model.predict(new))
    p = run_cli("predict", "--model-file", path, "--data-csv", new)
    lines = p.stdout.strip().splitlines()
    assert lines[0] == "prediction,bad,good"
    cli = np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]])
    np.testing.assert_allclose(cli, probabilities, rtol=1e-4, atol=1e-6)
    assert [line.split(",")[0] for line in lines[1:]] == [schema["class_names"][i] for i in probabilities.argmax(1)]
    # The CLI's eval reads the training file with the stored schema and sees the same accuracy.
    accuracy = model.evaluate(LOANS)["Top1Accuracy"]
    e = run_cli("eval", "--model-file", path, "--data-csv", LOANS)
    assert f"{accuracy:.4f}" in e.stdout


def test_fit_from_a_csv_needs_a_table_schema(tmp_path):
    model = shoal.nn.zoo.mlp((9,), 2, hidden=(4,))
    with pytest.raises(shoal.UsageError, match="no table schema"):
        model.fit(LOANS)
