# BigDL's introductory script (a 5-feature, 2-class Sequential trained with the Optimizer), as
# written for BigDL; bigdl_slide.py runs it on shoal with its imports changed.
import numpy as np

from bigdl.nn.layer import *
from bigdl.nn.criterion import *
from bigdl.optim.optimizer import *
from bigdl.util.common import *

init_engine()
sc = get_spark_context(create_spark_conf())


def make_data(n, seed):
    rng = np.random.RandomState(seed)
    features = rng.randn(n, 5).astype("float32")
    labels = (features[:, 0] + features[:, 1] - features[:, 2] > 0) + 1  # classes 1 and 2
    return [Sample.from_ndarray(f, np.array([l])) for f, l in zip(features, labels)], labels


train_samples, _ = make_data(1000, 1)
test_samples, test_labels = make_data(200, 2)
train_rdd = sc.parallelize(train_samples)
test_rdd = sc.parallelize(test_samples)

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

predictions = np.array(trained_model.predict_class(test_rdd).collect())
print("accuracy on the validation samples: %.3f" % np.mean(predictions == test_labels))
