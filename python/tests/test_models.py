"""Models on numpy: forward against numpy's maths, the graph API, the zoo, JSON specs, model files,
weights as views of the flat buffer, and clear errors for bad arrays."""

import gc
import json

import numpy as np
import pytest

import shoal
from shoal.nn import (CAddTable, Input, Linear, LogSoftMax, Model, ReLU, Sequential, SpatialConvolution,
                      SpatialMaxPooling, Reshape, from_json, load, zoo)


def linear_reference(x, w, b):
    return x @ w.T + b


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_version():
    assert shoal.__version__.count(".") == 2


def test_sequential_forward_matches_numpy():
    shoal.manual_seed(3)
    m = Sequential().add(Linear(5, 4)).add(ReLU()).add(Linear(4, 2)).add(LogSoftMax())
    x = np.random.RandomState(0).randn(7, 5).astype(np.float32)
    out = m.forward(x)
    w1, b1, w2, b2 = m.get_weights()
    expected = log_softmax(linear_reference(np.maximum(linear_reference(x, w1, b1), 0), w2, b2))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert m(x).shape == (7, 2)  # __call__ on arrays is forward


def test_weights_are_views_that_write_through_and_keep_the_model_alive():
    m = Sequential().add(Linear(3, 2))
    m.build((3,))
    w, b = m.parameters()
    assert not w.flags.owndata and w.base is not None
    flat = m.flat_parameters()
    assert flat.size == 8
    assert np.shares_memory(w, flat) and np.shares_memory(b, flat)
    w[...] = 0.0
    b[...] = [1.0, 2.0]
    x = np.ones((1, 3), np.float32)
    np.testing.assert_array_equal(m.forward(x), [[1.0, 2.0]])
    handle_forward = m._handle.forward
    del m, handle_forward
    gc.collect()
    b[...] = [5.0, 6.0]  # the model lives on through the view
    assert flat[-2:].tolist() == [5.0, 6.0]


def test_set_weights_copies_and_checks_shapes():
    m = Sequential().add(Linear(2, 2)).build((2,))
    m.set_weights([np.eye(2), np.zeros(2)])
    np.testing.assert_array_equal(m.forward(np.array([[3, 4]], np.float32)), [[3, 4]])
    with pytest.raises(shoal.ShapeError, match="parameter 0 has shape"):
        m.set_weights([np.eye(3), np.zeros(2)])


def test_graph_api_builds_a_residual_graph():
    x = Input()
    h = ReLU()(Linear(4, 4)(x))
    out = CAddTable()(h, x)
    model = Model(x, out)
    spec = model.to_spec()
    assert spec["type"] == "Graph" and spec["output"] == "caddtable1"
    data = np.random.RandomState(1).randn(3, 4).astype(np.float32)
    y = model.forward(data)
    w, b = model.get_weights()
    np.testing.assert_allclose(y, np.maximum(data @ w.T + b, 0) + data, rtol=1e-5, atol=1e-6)
    assert [n for n, _ in model.named_parameters()] == ["linear1.weight", "linear1.bias"]


def test_zoo_models_and_summary():
    m = zoo.lenet5()
    assert m.output_shape == (10,)
    assert "SpatialConvolution" in m.summary()
    assert zoo.mlp(input_shape=(20,), classes=3, hidden=(8,)).parameter_count() == 20 * 8 + 8 + 8 * 3 + 3
    r = zoo.resnet(widths=(4, 8, 8))
    assert r.forward(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)


def test_json_round_trip_and_files(tmp_path):
    m = Sequential().add(Reshape([1, 6, 6])).add(SpatialConvolution(1, 2, 3, 3)).add(ReLU()) \
        .add(SpatialMaxPooling(2, 2)).add(Reshape([8])).add(Linear(8, 3)).add(LogSoftMax())
    m.build((36,))
    x = np.random.RandomState(2).rand(4, 36).astype(np.float32)
    spec_path = tmp_path / "model.json"
    m.to_json(str(spec_path))
    again = from_json(str(spec_path), input_shape=(36,))
    again.set_weights(m.get_weights())
    np.testing.assert_array_equal(again.forward(x), m.forward(x))
    path = m.save(str(tmp_path / "m.shoal"))
    loaded = load(path)
    np.testing.assert_array_equal(loaded.forward(x), m.forward(x))
    assert json.loads(loaded.to_json())["type"] == "Sequential"


def test_forward_converts_or_rejects_bad_arrays():
    m = Sequential().add(Linear(4, 2)).build((4,))
    as_float64 = np.ones((2, 4))
    np.testing.assert_array_equal(m.forward(as_float64), m.forward(as_float64.astype(np.float32)))
    strided = np.ones((2, 8), np.float32)[:, ::2]
    np.testing.assert_array_equal(m.forward(strided), m.forward(np.ones((2, 4), np.float32)))
    with pytest.raises(shoal.ShapeError, match=r"shape \(2, 5\) has samples of 5 values but the model takes samples of shape \[4\]"):
        m.forward(np.ones((2, 5), np.float32))
    with pytest.raises(shoal.UsageError, match="numeric array"):
        m.forward(np.array([["a"] * 4]))
    with pytest.raises(shoal.ShapeError, match="scalar"):
        m.forward(np.array(1.0, dtype=np.float32))


def test_not_built_and_add_after_build_are_usage_errors():
    m = Sequential().add(Linear(2, 2))
    with pytest.raises(shoal.UsageError, match="not built yet"):
        m.get_weights()
    m.build((2,))
    with pytest.raises(shoal.UsageError, match="already built"):
        m.add(ReLU())


def test_bad_specs_and_files_raise_the_engines_errors(tmp_path):
    with pytest.raises(shoal.InputError, match="Nope"):
        from_json({"type": "Sequential", "layers": [{"type": "Nope"}]}, input_shape=(3,))
    with pytest.raises(FileNotFoundError):
        load(str(tmp_path / "missing.shoal"))
    bad = tmp_path / "bad.shoal"
    bad.write_bytes(b"not a model")
    with pytest.raises(shoal.InputError, match="bad.shoal"):
        load(str(bad))
