"""Training from (x, y) batches given one at a time (data that does not fit in memory)."""

import numpy as np
import pytest

import shoal
from shoal.nn import Linear, LogSoftMax, ReLU, Sequential
from shoal.optim import SGD

from test_training import blobs


def model():
    shoal.manual_seed(1)
    return Sequential().add(Linear(8, 16)).add(ReLU()).add(Linear(16, 3)).add(LogSoftMax())


def test_batches_in_order_train_exactly_like_arrays_without_shuffling():
    x, y = blobs(200)
    arrays = model().compile(optimizer=SGD(lr=0.1, momentum=0.9))
    arrays.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=False)
    batches = model().compile(optimizer=SGD(lr=0.1, momentum=0.9))
    summary = batches.fit(lambda: ((x[i:i + 32], y[i:i + 32]) for i in range(0, len(x), 32)), epochs=2, verbose=False)
    assert summary["iterations"] == 2 * 7
    np.testing.assert_array_equal(batches.flat_parameters(), arrays.flat_parameters())


def test_batches_learn_with_validation_and_callbacks():
    x, y = blobs(512)
    batches = [(x[i:i + 64], y[i:i + 64]) for i in range(0, len(x), 64)]
    seen = []

    class Watch(shoal.optim.Callback):
        def on_epoch_end(self, epoch, logs):
            seen.append(logs["validation"]["Top1Accuracy"])

    summary = model().compile(optimizer=SGD(lr=0.1)).fit(batches, epochs=3, validation_data=(x, y),
                                                       callbacks=[Watch()], verbose=False)
    assert summary["epochs"] == 3 and len(seen) == 3 and seen[-1] > 0.9


def test_a_spent_iterator_is_a_clear_error():
    x, y = blobs(64)
    once = iter([(x, y)])
    with pytest.raises(shoal.UsageError, match="no batches in epoch 2"):
        model().fit(once, epochs=2, verbose=False)
