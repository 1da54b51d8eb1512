"""Training from Python: Keras' fit/evaluate/predict, zero-copy data, the GIL released while the engine
computes, callbacks that stop or raise, Ctrl-C, and clear errors for bad arrays."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import shoal
from shoal.data import DataSet
from shoal.nn import Linear, LogSoftMax, ReLU, Sequential, zoo
from shoal.optim import SGD, Callback, MaxEpoch, MaxIteration, Optimizer, Top1Accuracy, Loss


def blobs(n=512, features=8, classes=3, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, classes, n)
    centres = rng.randn(classes, features) * 3
    x = (centres[y] + rng.randn(n, features)).astype(np.float32)
    return x, y


def small_model(features=8, classes=3):
    shoal.manual_seed(1)
    return Sequential().add(Linear(features, 16)).add(ReLU()).add(Linear(16, classes)).add(LogSoftMax())


def test_fit_evaluate_predict_learn():
    x, y = blobs()
    model = small_model().compile(optimizer=SGD(lr=0.1), metrics=["accuracy"])
    summary = model.fit(x, y, batch_size=32, epochs=3, validation_data=(x[:100], y[:100]), verbose=False)
    assert summary["iterations"] == 3 * 16
    assert summary["validation"]["Top1Accuracy"] > 0.9
    metrics = model.evaluate(x, y)
    assert metrics["Top1Accuracy"] > 0.9 and metrics["Loss"] < 0.5
    probs = model.predict(x[:10])
    assert probs.shape == (10, 3)
    assert (model.predict_class(x) == y).mean() > 0.9


def test_arrays_are_borrowed_when_type_and_layout_fit():
    x, y = blobs(64)
    h = DataSet(x, y).handle(classes=3)
    assert h.borrowed and h.sample_address == x.ctypes.data  # the engine reads x's own memory
    images = np.zeros((4, 1, 2, 2), np.uint8)
    hi = DataSet(images, np.zeros(4, np.int64)).handle(classes=1)
    assert hi.borrowed and hi.sample_address == images.ctypes.data
    converted = DataSet(x.astype(np.float64), y).handle(classes=3)  # converted once
    assert not converted.borrowed and converted.sample_address != x.ctypes.data
    strided = DataSet(np.asfortranarray(x), y).handle(classes=3)
    assert not strided.borrowed


def test_bad_labels_and_shapes_are_clear_errors():
    x, y = blobs(32)
    model = small_model()
    with pytest.raises(ValueError, match=r"y: label 3 of sample 0 is outside \[0, 3\)"):
        model.fit(x, np.full(32, 3), verbose=False)
    with pytest.raises(shoal.ShapeError, match="31 labels for 32 samples"):
        model.fit(x, y[:31], verbose=False)
    with pytest.raises(ValueError, match="not a whole number"):
        model.fit(x, y + 0.5, verbose=False)
    with pytest.raises(shoal.UsageError, match="expected integer class labels"):
        model.fit(x, y.astype(str), verbose=False)
    with pytest.raises(shoal.UsageError, match=r"the training set has samples of shape \[7\] but the model expects \[8\]"):
        model.fit(x[:, :7], y, verbose=False)
    with pytest.raises(shoal.ConfigError, match="optim.lr") as e:
        model.compile(optimizer=SGD(lr=-1)).fit(x, y, verbose=False)
    assert e.value.key == "optim.lr"


def test_gil_is_released_while_training():
    x, y = blobs(4000, features=200)
    model = zoo.mlp(input_shape=(200,), classes=3, hidden=(512,))
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    start = time.perf_counter()
    Optimizer(model, (x, y), end_trigger=MaxEpoch(10), batch_size=64).set_settings({"output": {"quiet": True}}).optimize()
    end = time.perf_counter()
    stop.set()
    t.join()
    # With the GIL held by training the other thread could not tick at all until it ended.
    during = [s for s in ticks if start + 0.01 < s < end - 0.01]
    assert len(during) > 10, f"{len(during)} ticks of another thread in {end - start:.2f}s of training"


def test_callback_returning_true_stops_at_that_step():
    x, y = blobs()
    seen = []

    class StopAtFive(Callback):
        def on_iteration_end(self, epoch, iteration, loss):
            seen.append((threading.current_thread() is threading.main_thread(), iteration, loss))
            return iteration == 5

    model = small_model()
    summary = model.fit(x, y, epochs=10, callbacks=[StopAtFive()], verbose=False)
    assert summary["iterations"] == 5 and summary["stopped_by_callback"]
    assert [i for _, i, _ in seen] == [1, 2, 3, 4, 5]
    assert all(main for main, _, _ in seen)  # on the calling thread


def test_epoch_end_callback_sees_the_record_and_stops():
    x, y = blobs()
    records = []

    class OneEpoch(Callback):
        def on_epoch_end(self, epoch, logs):
            records.append(logs)
            return True

    summary = small_model().fit(x, y, epochs=5, validation_data=(x, y), callbacks=[OneEpoch()], verbose=False)
    assert summary["epochs"] == 1 and summary["iterations"] == 16
    assert records[0]["epoch"] == 1 and "loss" in records[0] and "Top1Accuracy" in records[0]["validation"]


def test_exception_in_callback_reaches_the_caller_and_leaves_the_model_usable():
    x, y = blobs()

    class Boom(Callback):
        def on_iteration_end(self, epoch, iteration, loss):
            if iteration == 3:
                raise RuntimeError("boom at 3")

    model = small_model()
    with pytest.raises(RuntimeError, match="boom at 3"):
        model.fit(x, y, epochs=2, callbacks=[Boom()], verbose=False)
    assert model.forward(x[:2]).shape == (2, 3)
    summary = model.fit(x, y, epochs=1, verbose=False)
    assert summary["iterations"] == 16


CTRL_C_SCRIPT = r"""
import os, sys, time, json
import numpy as np
import shoal
from shoal.nn import zoo
from shoal.optim import Callback, MaxEpoch, Optimizer

class Slow(Callback):
    def on_iteration_end(self, epoch, iteration, loss):
        if iteration == 2:
            print("training", flush=True)
        time.sleep(0.01)

rng = np.random.RandomState(0)
x = rng.rand(512, 10).astype(np.float32); y = rng.randint(0, 2, 512)
model = zoo.mlp(input_shape=(10,), classes=2, hidden=(8,))
opt = Optimizer(model, (x, y), end_trigger=MaxEpoch(1000), batch_size=8)
opt.set_checkpoint(path=sys.argv[1]).set_callbacks([Slow()]).set_settings({"output": {"quiet": True}})
try:
    opt.optimize()
    print("not interrupted")
except KeyboardInterrupt as e:
    print("KeyboardInterrupt:", e, flush=True)
    print("usable", model.forward(x[:1]).shape, os.listdir(sys.argv[1]) != [], flush=True)
"""


def test_ctrl_c_stops_cleanly_with_a_checkpoint_and_raises_keyboard_interrupt(tmp_path):
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_SCRIPT)
    p = subprocess.Popen([sys.executable, str(script), str(tmp_path / "ckpt")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    assert p.stdout.readline().strip() == "training"
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "KeyboardInterrupt: stopped by SIGINT after iteration" in out
    assert "checkpoint:" in out
    assert "usable (1, 2) True" in out


BAD_CALLS = r"""
import numpy as np
import shoal
from shoal.nn import Linear, Sequential, zoo
from shoal.optim import Optimizer, MaxEpoch
m = Sequential().add(Linear(3, 2))
calls = [
    lambda: m.forward(np.ones((0, 3), np.float32)).shape == (0, 2) or 1 / 0,
    lambda: m.forward(np.ones((2, 3), np.complex64)),
    lambda: m.forward(np.ones((2, 4), np.float32)),
    lambda: Sequential().add(Linear(3, 2)).build((0,)),
    lambda: Sequential().add(Linear(-3, 2)).build((3,)),
    lambda: m.fit(np.ones((4, 3)), [0, 1, 0, 1], batch_size=0, verbose=False),
    lambda: m.fit(np.ones((4, 3)), [0, 1, 0, 1], epochs=0, verbose=False),
    lambda: m.fit(np.ones((0, 3)), np.zeros(0), verbose=False),
    lambda: m.predict(np.ones((4, 3)), batch_size=-1),
    lambda: m.predict(np.ones((0, 3))).shape == (0, 2) or 1 / 0,
    lambda: m.evaluate(np.ones((0, 3)), np.zeros(0)),
    lambda: m.fit(np.ones((4, 3)), [0, 1, 0, 1], settings={"dist": {"strategy": "nope"}}, verbose=False),
    lambda: m.fit(np.ones((4, 3)), [0, 1, 0, 1], settings={"bogus": 1}, verbose=False),
    lambda: m.fit(np.full((4, 3), np.nan), [0, 1, 0, 1], verbose=False),
    lambda: Optimizer(zoo.mlp(input_shape=(3,), classes=2, hidden=(2,)), (np.ones((4, 3)), [0, 1, 0, 1]),
                      end_trigger=MaxEpoch(1)).set_checkpoint(path="/proc/forbidden").optimize(),
    lambda: shoal.data.read_csv("/nonexistent.csv"),
    lambda: shoal.nn.load("/nonexistent.shoal"),
    lambda: shoal.nn.from_json("{not json", input_shape=(3,)),
]
outcomes = []
for call in calls:
    try:
        outcomes.append("ok" if call() is not None or True else "ok")
    except (shoal.ShoalError, ValueError, TypeError, FileNotFoundError) as e:
        outcomes.append(type(e).__name__)
print(" ".join(outcomes))
"""


def test_bad_arguments_raise_and_never_crash_the_interpreter():
    r = subprocess.run([sys.executable, "-c", BAD_CALLS], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    outcomes = r.stdout.splitlines()[-1].split()
    assert len(outcomes) == 18
    assert outcomes[0] == "ok" and outcomes[9] == "ok"  # empty batches give empty outputs
    assert all(o != "ok" for i, o in enumerate(outcomes) if i not in (0, 9)), outcomes


def test_resume_from_a_checkpoint_continues_exactly(tmp_path):
    x, y = blobs(256)
    whole = small_model().compile(optimizer=SGD(lr=0.1, momentum=0.9))
    whole.fit(x, y, epochs=2, verbose=False)
    first = small_model().compile(optimizer=SGD(lr=0.1, momentum=0.9))
    first.fit(x, y, epochs=1, settings={"checkpoint": {"dir": str(tmp_path / "ckpt")}}, verbose=False)
    resumed = small_model().compile(optimizer=SGD(lr=0.1, momentum=0.9))
    summary = resumed.fit(x, y, epochs=2, settings={"resume": str(tmp_path / "ckpt")}, verbose=False)
    assert summary["iterations"] == 16
    np.testing.assert_array_equal(resumed.flat_parameters(), whole.flat_parameters())


def test_validation_runs_in_the_batch_size_set_validation_gives(tmp_path):
    x, y = blobs(n=200)
    opt = Optimizer(small_model(), (x, y), end_trigger=MaxEpoch(1), batch_size=16)
    opt.set_validation(batch_size=50, val_set=(x[:90], y[:90]), methods=[Top1Accuracy()])
    opt.set_settings({"output": {"quiet": True, "dir": str(tmp_path / "run")}}).optimize()
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["validation"]["batch"] == 50 and config["batch"] == 16
    assert 0.0 <= opt.summary["validation"]["Top1Accuracy"] <= 1.0
    with pytest.raises(ValueError, match="batch_size must be positive"):
        opt.set_validation(batch_size=0, val_set=(x, y))


def test_engine_lines_go_through_sys_stdout_so_notebooks_show_them():
    import contextlib
    import io
    x, y = blobs(n=64)
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        Optimizer(small_model(), (x, y), end_trigger=MaxEpoch(2), batch_size=16).optimize()
    lines = captured.getvalue().splitlines()
    assert sum(line.startswith("epoch ") for line in lines) == 2, lines


def test_risk_metrics_and_class_weights_from_python():
    from shoal.nn import ClassNLLCriterion
    from shoal.optim import AUC, F1, LogLoss, PrAUC, Recall
    rng = np.random.RandomState(5)
    x = rng.randn(1500, 4).astype(np.float32)
    y = (rng.rand(1500) < 1 / (1 + np.exp(-(-2.5 + 2 * x[:, 0])))).astype(np.int64)
    model = small_model(features=4, classes=2).compile(optimizer=SGD(lr=0.1), metrics=["accuracy"])
    model.fit(x, y, batch_size=50, epochs=3, verbose=False)
    metrics = model.evaluate(x, y, metrics=[AUC(), PrAUC(), LogLoss(), F1(threshold=0.3), Recall(0.3)])
    p1 = np.exp(model.predict(x)[:, 1])  # the model ends in LogSoftMax
    # the AUC is the share of (positive, negative) pairs ranked right, ties counting half
    pos, neg = p1[y == 1], p1[y == 0]
    pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert metrics["AUC"] == pytest.approx(pairs, abs=1e-6)
    assert 0 < metrics["PR_AUC"] < 1 and metrics["LogLoss"] > 0
    assert metrics["Recall"] == pytest.approx(((p1 >= 0.3) & (y == 1)).sum() / (y == 1).sum(), abs=1e-9)
    weighted = ClassNLLCriterion(weights=[1.0, 4.0])
    logp = np.log(np.array([[0.7, 0.3], [0.2, 0.8]], np.float32))
    assert weighted.forward(logp, np.array([1, 0])) == pytest.approx(-(4 * np.log(0.3) + np.log(0.2)) / 5, rel=1e-5)
    with pytest.raises(shoal.UsageError, match="unknown validation method 'gini'"):
        model.evaluate(x, y, metrics=["gini"])
    # class weights and a stratified validation split through the run configuration
    summary = small_model(features=4, classes=2).compile(optimizer=SGD(lr=0.1), metrics=[AUC(), Recall()]).fit(
        x, y, batch_size=50, epochs=2, verbose=False,
        settings={"class_weight": "balanced", "validation": {"split": 0.2, "stratify": True}})
    assert summary["validation"]["AUC"] > 0.7 and summary["validation"]["Recall"] > 0.5


def test_early_stopping_keeps_the_best_epochs_weights():
    # Noisy blobs, a wide layer, few training samples: the held-out loss turns within a few epochs.
    x, y = blobs(n=600, features=8, classes=3, seed=4)
    x = x + np.random.RandomState(5).randn(*x.shape).astype(np.float32) * 4
    train, held_out = (x[:60], y[:60]), (x[60:], y[60:])

    def wide():
        shoal.manual_seed(2)
        return Sequential().add(Linear(8, 128)).add(ReLU()).add(Linear(128, 3)).add(LogSoftMax()).compile(
            optimizer=shoal.optim.Adam(lr=0.02), metrics=["loss"])

    stopped = wide()
    summary = stopped.fit(*train, batch_size=16, epochs=200, validation_data=held_out, verbose=False,
                          callbacks=[shoal.optim.EarlyStopping(patience=3, monitor="loss")])
    assert summary["stopped_early"] and summary["epochs"] == summary["best_epoch"] + 3 < 200
    exact = wide()
    exact.fit(*train, batch_size=16, epochs=summary["best_epoch"], validation_data=held_out, verbose=False)
    assert all(np.array_equal(a, b) for a, b in zip(stopped.get_weights(), exact.get_weights()))


def test_early_stopping_needs_held_out_data():
    x, y = blobs(64)
    with pytest.raises(ValueError, match="held out from training"):
        small_model().compile(optimizer=SGD()).fit(x, y, epochs=2, verbose=False,
                                                   callbacks=[shoal.optim.EarlyStopping(2)])
    with pytest.raises(ValueError, match="patience must be positive"):
        shoal.optim.EarlyStopping(0)
    with pytest.raises(Exception, match="Top5Accuracy is not among"):
        small_model().compile(optimizer=SGD(), metrics=["accuracy"]).fit(
            x, y, epochs=2, validation_data=(x, y), verbose=False,
            callbacks=[shoal.optim.EarlyStopping(2, monitor="top5")])


def test_regression_with_mse_fits_numeric_targets_and_validates_by_loss_and_mae():
    from shoal.nn import MSECriterion
    rng = np.random.RandomState(3)
    x = rng.randn(512, 4).astype(np.float32)
    w = np.array([[1.0, -2.0], [0.5, 0.0], [0.0, 1.5], [-1.0, 0.5]], np.float32)
    y = x @ w + 0.05 * rng.randn(512, 2).astype(np.float32)
    shoal.manual_seed(1)
    model = Sequential().add(Linear(4, 16)).add(ReLU()).add(Linear(16, 2))
    opt = Optimizer(model, DataSet(x, y), criterion=MSECriterion(), end_trigger=MaxEpoch(20), batch_size=32,
                    optim_method=SGD(lr=0.05))
    opt.set_validation(batch_size=64, val_set=(x[:128], y[:128]))
    opt.optimize()
    summary = opt.summary
    assert set(summary["validation"]) == {"Loss", "MAE"}
    assert summary["validation"]["Loss"] < 0.05 * y.var(), summary["validation"]
    predicted = model.predict(x[:128])
    np.testing.assert_allclose(summary["validation"]["Loss"], ((predicted - y[:128]) ** 2).mean(), rtol=1e-4)
    np.testing.assert_allclose(summary["validation"]["MAE"], np.abs(predicted - y[:128]).mean(), rtol=1e-4)
    with pytest.raises(shoal.ShapeError, match=r"the training set's numeric targets have 1 value\(s\) per sample "
                                               r"but the model gives 2 output\(s\)"):
        Optimizer(model, DataSet(x, y[:, 0]), criterion=MSECriterion(), end_trigger=MaxEpoch(1)).optimize()


def test_regression_with_several_outputs_trains_without_a_validation_set():
    from shoal.nn import MSECriterion
    rng = np.random.RandomState(4)
    x = rng.randn(64, 4).astype(np.float32)
    y = (x @ rng.randn(4, 2)).astype(np.float32)
    shoal.manual_seed(1)
    model = Sequential().add(Linear(4, 2))
    opt = Optimizer(model, DataSet(x, y), criterion=MSECriterion(), end_trigger=MaxEpoch(5), batch_size=16,
                    optim_method=SGD(lr=0.05))
    opt.optimize()
    assert opt.summary["epochs"] == 5 and opt.summary["loss"] < float(y.var())


def test_set_num_threads_sets_the_engines_compute_threads():
    before = shoal.get_num_threads()
    try:
        shoal.set_num_threads(1)
        assert shoal.get_num_threads() == 1
        with pytest.raises(shoal.UsageError, match=r"threads must not be negative \(0: all cores\), got -1"):
            shoal.set_num_threads(-1)
    finally:
        shoal.set_num_threads(before)


def test_class_metrics_are_refused_for_numeric_targets():
    x = np.random.RandomState(5).randn(64, 3).astype(np.float32)
    model = Sequential().add(Linear(3, 1)).compile(optimizer=SGD(lr=0.05), loss="mse", metrics=["accuracy"])
    with pytest.raises(shoal.ConfigError, match=r'"validation.methods": \'Top1Accuracy\' needs class labels; with '
                                                r'"loss" mse give loss and/or mae'):
        model.fit(x, x.sum(axis=1), batch_size=16, epochs=1, validation_data=(x, x.sum(axis=1)), verbose=False)
