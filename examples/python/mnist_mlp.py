# The seeds' MNIST MLP (784-1000-10, SGD) on Fashion-MNIST, Keras' way: fit, evaluate, predict on numpy.
import sys

import numpy as np

import shoal
from shoal.nn import zoo
from shoal.optim import SGD

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
(x, y), (x_test, y_test) = shoal.data.fashion_mnist()  # uint8 [N, 1, 28, 28], used in place
shoal.manual_seed(1)
model = zoo.mlp(hidden=(1000,))
model.compile(optimizer=SGD(lr=0.05, momentum=0.9), metrics=["accuracy"])
model.fit(x, y, batch_size=128, epochs=epochs, validation_data=(x_test, y_test))
print("test:", model.evaluate(x_test, y_test))
print("first predictions:", model.predict_class(x_test[:10]), "labels:", y_test[:10])
