# BigDL's introductory script (a 5-feature, 2-class Sequential trained with the Optimizer), as
# written for BigDL; bigdl_slide.py runs it on shoal with its imports changed.
import numpy as np

from bigdl.nn.layer import *
from bigdl.nn.criterion import *
from bigdl.optim.optimizer import *
from bigdl.util.common import *

init_engine()
sc = get_spark_context(create_spark_conf())


def make_samples(n, seed):
    rng = np.random.RandomState(seed)
    features = rng.randn(n, 5).astype("float32")
    labels = (features[:, 0] + features[:, 1] - features[:, 2] > 0) + 1  # classes 1 and 2
    return [Sample.from_ndarray(f, np.array([l])) for f, l in zip(features, labels)]


train_rdd = sc.parallelize(make_samples(1000, 1))
test_rdd = sc.parallelize(make_samples(200, 2))

model = Sequential().add(Linear(5, 2)).add(LogSoftMax())
optimizer = Optimizer(
    model=model,
    training_rdd=train_rdd,
    criterion=ClassNLLCriterion(),
    optim_method=SGD(learningrate=0.05),
    end_trigger=MaxEpoch(20),
    batch_size=16)
optimizer.set_validation(
    batch_size=16,
    val_rdd=test_rdd,
    trigger=EveryEpoch(),
    val_method=[Loss()])
trained_model = optimizer.optimize()

predictions = trained_model.predict_class(np.stack([s.features for s in test_rdd]))
accuracy = np.mean(predictions + 1 == np.array([s.label for s in test_rdd]))
print("validation loss %.4f, accuracy %.3f" % (optimizer.summary["validation"]["Loss"], accuracy))
