"""Python and the CLI are one engine: the same model, data, seed and settings give bit-identical
weights, and bad input raises the exception whose message the CLI prints."""

import os

import numpy as np
import pytest

import shoal
from shoal.nn import load, zoo
from shoal.optim import SGD

from conftest import run_cli, write_csv


ADAM_SETTINGS = {"beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6}


@pytest.mark.parametrize("optim", [("sgd", 0.05, 0.9, {}), ("adam", 0.01, 0.0, {}), ("adam", 0.01, 0.0, ADAM_SETTINGS)])
def test_python_and_cli_train_bit_identical_weights(tmp_path, optim):
    method, lr, momentum, adam = optim
    data = tmp_path / "train.csv"
    write_csv(data, n=200, features=6, classes=3)
    run_cli("train", "--model", "mlp", "--hidden", "16", "--train-csv", data, "--epochs", 2, "--batch", 16,
            "--optim", method, "--lr", lr, *(["--momentum", momentum] if momentum else []),
            *[a for key, value in adam.items() for a in (f"--{key}", value)], "--seed", 7,
            "--quiet", "--out", tmp_path / "cli")
    cli_model = load(str(tmp_path / "cli" / "model.shoal"))

    x, y = shoal.data.read_csv(str(data))
    shoal.manual_seed(7)
    model = zoo.mlp(input_shape=(6,), classes=3, hidden=(16,))
    opt = SGD(lr=lr, momentum=momentum) if method == "sgd" else shoal.optim.Adam(lr=lr, **adam)
    model.compile(optimizer=opt).fit(x, y, batch_size=16, epochs=2, seed=7, verbose=False)

    for (name, a), (cli_name, b) in zip(model.named_parameters(), cli_model.named_parameters()):
        assert name == cli_name
        np.testing.assert_array_equal(a, b)


def test_fashion_mnist_subset_matches_the_cli(tmp_path):
    d = shoal._core.fashion_mnist_dir()
    if not os.path.isdir(d):
        pytest.skip("Fashion-MNIST is not installed")
    run_cli("train", "--model", "lenet5", "--data", "fashion-mnist", "--train-limit", 512, "--test-limit", 64,
            "--epochs", 1, "--batch", 64, "--lr", 0.05, "--seed", 3, "--quiet", "--out", tmp_path / "cli")
    cli_model = load(str(tmp_path / "cli" / "model.shoal"))
    (x, y), (xt, yt) = shoal.data.fashion_mnist()
    shoal.manual_seed(3)
    model = zoo.lenet5()
    model.compile(optimizer=SGD(lr=0.05)).fit(x[:512], y[:512], batch_size=64, epochs=1, seed=3,
                                               validation_data=(xt[:64], yt[:64]), verbose=False)
    np.testing.assert_array_equal(model.flat_parameters(), cli_model.flat_parameters())
    assert model._preprocessing == cli_model._preprocessing  # x / 255 for uint8 images, as the CLI


def cli_error(*args):
    r = run_cli(*args, check=False)
    assert r.returncode == 2, r.stderr
    line = r.stderr.strip()
    assert line.startswith("shoal: error: ")
    return line[len("shoal: error: "):]


def test_bad_input_raises_what_the_cli_prints(tmp_path):
    def big_endian(v):
        return int(v).to_bytes(4, "big")

    images, labels = tmp_path / "img", tmp_path / "lbl"
    cases = {
        "missing": (tmp_path / "nope-images", tmp_path / "nope-labels", FileNotFoundError),
        "magic": (big_endian(0x1234) + big_endian(3) + big_endian(2) + big_endian(2) + b"\x10" * 12,
                  big_endian(0x801) + big_endian(3) + b"\x01" * 3, shoal.InputError),
        "truncated": (big_endian(0x803) + big_endian(3) + big_endian(2) + big_endian(2) + b"\x10" * 7,
                      big_endian(0x801) + big_endian(3) + b"\x01" * 3, shoal.InputError),
        "count": (big_endian(0x803) + big_endian(3) + big_endian(2) + big_endian(2) + b"\x10" * 12,
                  big_endian(0x801) + big_endian(4) + b"\x01" * 4, shoal.InputError),
        "label range": (big_endian(0x803) + big_endian(3) + big_endian(2) + big_endian(2) + b"\x10" * 12,
                        big_endian(0x801) + big_endian(3) + b"\x0c" * 3, shoal.InputError),
    }
    for name, (img, lbl, error) in cases.items():
        if isinstance(img, bytes):
            images.write_bytes(img)
            labels.write_bytes(lbl)
            img, lbl = images, labels
        message = cli_error("train", "--model", "mlp", "--hidden", 4, "--epochs", 1, "--train-images", img,
                            "--train-labels", lbl, "--out", tmp_path / "run")
        with pytest.raises(error) as e:
            shoal.data.read_idx(str(img), str(lbl))
        assert str(e.value) == message, name

    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("label,a,b\n0,1,2\n1,x,3\n")
    message = cli_error("train", "--model", "mlp", "--epochs", 1, "--train-csv", bad_csv, "--out", tmp_path / "run")
    with pytest.raises(shoal.InputError) as e:
        shoal.data.read_csv(str(bad_csv))
    assert str(e.value) == message

    garbage = tmp_path / "garbage.shoal"
    garbage.write_bytes(b"SHOALMDL" + b"\x00" * 3)
    message = cli_error("eval", "--model-file", garbage, "--data-csv", bad_csv)
    with pytest.raises(shoal.InputError) as e:
        load(str(garbage))
    assert str(e.value) == message

    ok_csv = tmp_path / "ok.csv"
    write_csv(ok_csv, n=8, features=2, classes=2)
    spec = tmp_path / "spec.json"
    spec.write_text('{"layers": [{"type": "Linear", "out": 2}, {"type": "Bogus"}]}')
    message = cli_error("train", "--model", spec, "--train-csv", ok_csv, "--out", tmp_path / "run")
    with pytest.raises(shoal.InputError) as e:
        shoal.nn.from_json(str(spec), input_shape=(2,))
    assert str(e.value) == message

    with pytest.raises(shoal.ConfigError) as e:
        shoal.data.load({"train_csv": str(bad_csv), "named": "fashion-mnist"})
    assert e.value.key == "data"
