"""The Spark ML Params of shoal's estimators and models (what BigDL's NNEstimator/NNClassifier take)."""

from __future__ import annotations

from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasFeaturesCol, HasLabelCol, HasPredictionCol, HasProbabilityCol, HasSeed


class HasFeatures(HasFeaturesCol):
    """Where the features are: ``featuresCol`` (a Vector or an array of numbers), or ``featuresCols``
    (numeric columns, one feature each, in order) when it is set; ``featureSize``: the per-sample
    shape the model reads (e.g. [1, 28, 28] for LeNet-5; default: the feature count)."""

    featuresCols: Param = Param(Params._dummy(), "featuresCols",
                                "numeric columns taken as the features, in order (instead of featuresCol)",
                                typeConverter=TypeConverters.toListString)
    featureSize: Param = Param(Params._dummy(), "featureSize",
                               "the per-sample shape the model reads, e.g. [1, 28, 28]; default: [feature count]",
                               typeConverter=TypeConverters.toListInt)
    batchSize: Param = Param(Params._dummy(), "batchSize",
                             "samples per step and worker in training; rows per inference batch in transform",
                             typeConverter=TypeConverters.toInt)

    def getFeaturesCols(self) -> list[str]:
        return self.getOrDefault(self.featuresCols)

    def setFeaturesCols(self, value: list[str]) -> "HasFeatures":
        return self._set(featuresCols=value)

    def setFeaturesCol(self, value: str) -> "HasFeatures":
        return self._set(featuresCol=value)

    def getFeatureSize(self) -> list[int]:
        return self.getOrDefault(self.featureSize)

    def setFeatureSize(self, value: list[int]) -> "HasFeatures":
        return self._set(featureSize=value)

    def getBatchSize(self) -> int:
        return self.getOrDefault(self.batchSize)

    def setBatchSize(self, value: int) -> "HasFeatures":
        return self._set(batchSize=value)


class HasOutputs(HasPredictionCol, HasProbabilityCol):
    """The columns transform adds: ``predictionCol`` (the class, a double, as Spark ML's
    classifiers give it) and ``probabilityCol`` (a Vector of class probabilities; "" leaves it out).
    ``labelBase``: the first class's label (0, Spark ML's convention; 1 for BigDL's labels)."""

    labelBase: Param = Param(Params._dummy(), "labelBase",
                             "the first class's label: 0 (Spark ML) or 1 (BigDL's 1-based labels)",
                             typeConverter=TypeConverters.toInt)

    def getLabelBase(self) -> int:
        return self.getOrDefault(self.labelBase)

    def setLabelBase(self, value: int) -> "HasOutputs":
        if value not in (0, 1):
            raise ValueError(f"labelBase: expected 0 or 1, got {value!r}")
        return self._set(labelBase=value)

    def setPredictionCol(self, value: str) -> "HasOutputs":
        return self._set(predictionCol=value)

    def setProbabilityCol(self, value: str) -> "HasOutputs":
        return self._set(probabilityCol=value)


class TrainingParams(HasFeatures, HasOutputs, HasLabelCol, HasSeed):
    """What training takes: the model, the optimisation, the workers, failure handling and records."""

    model: Param = Param(Params._dummy(), "model",
                         "the network: a zoo name (mlp, lenet5, resnet) or a JSON specification (text)",
                         typeConverter=TypeConverters.toString)
    hidden: Param = Param(Params._dummy(), "hidden", "mlp: the hidden layer sizes",
                          typeConverter=TypeConverters.toListInt)
    loss: Param = Param(Params._dummy(), "loss",
                        "nll, ce, or auto (nll when the model ends in LogSoftMax, else ce) on class "
                        "labels; mse on numeric targets (regression, ShoalEstimator)",
                        typeConverter=TypeConverters.toString)
    numWorkers: Param = Param(Params._dummy(), "numWorkers",
                              "Spark tasks that train together, one per partition (each needs a free task slot)",
                              typeConverter=TypeConverters.toInt)
    epochs: Param = Param(Params._dummy(), "epochs", "passes over the data", typeConverter=TypeConverters.toInt)
    optimMethod: Param = Param(Params._dummy(), "optimMethod", "sgd, adam or lbfgs",
                               typeConverter=TypeConverters.toString)
    learningRate: Param = Param(Params._dummy(), "learningRate",
                                "the learning rate (default per method: sgd 0.01, adam 0.001, lbfgs 1)",
                                typeConverter=TypeConverters.toFloat)
    momentum: Param = Param(Params._dummy(), "momentum", "sgd: momentum in [0, 1]",
                            typeConverter=TypeConverters.toFloat)
    weightDecay: Param = Param(Params._dummy(), "weightDecay", "L2 weight decay",
                               typeConverter=TypeConverters.toFloat)
    strategy: Param = Param(Params._dummy(), "strategy",
                            "allreduce (gradients summed every step), average (weights averaged every "
                            "averageEvery steps) or lbfgs (full-batch L-BFGS over all partitions)",
                            typeConverter=TypeConverters.toString)
    averageEvery: Param = Param(Params._dummy(), "averageEvery", "strategy average: steps between averagings",
                                typeConverter=TypeConverters.toInt)
    checkpointDir: Param = Param(Params._dummy(), "checkpointDir",
                                 "a directory every executor reaches (shared file system) for checkpoints "
                                 "at every epoch's end; a retried attempt resumes from the newest",
                                 typeConverter=TypeConverters.toString)
    maxAttempts: Param = Param(Params._dummy(), "maxAttempts",
                               "times the training stage is started before fit fails",
                               typeConverter=TypeConverters.toInt)
    runDir: Param = Param(Params._dummy(), "runDir",
                          "a directory on the driver for the run's records as the CLI writes them "
                          "(metrics.jsonl, train.log, config.json, report.html, model.shoal); \"\": none",
                          typeConverter=TypeConverters.toString)
    commTimeout: Param = Param(Params._dummy(), "commTimeout",
                               "seconds a worker waits for the others in a collective before the stage fails",
                               typeConverter=TypeConverters.toFloat)
    earlyStopping: Param = Param(Params._dummy(), "earlyStopping",
                                 "stop after this many epochs without improvement on validationDf and keep "
                                 "the best epoch's weights; 0: off",
                                 typeConverter=TypeConverters.toInt)
    earlyStoppingMetric: Param = Param(Params._dummy(), "earlyStoppingMetric",
                                       "the validation method early stopping watches (loss, logloss, auc, "
                                       "top1, mae, ...); \"\": the first that validation computes",
                                       typeConverter=TypeConverters.toString)

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(featuresCol="features", featuresCols=[], featureSize=[], labelCol="label",
                         predictionCol="prediction", probabilityCol="probability", seed=1, model="mlp",
                         hidden=[1000], loss="auto", numWorkers=1, epochs=10, batchSize=128, optimMethod="sgd",
                         momentum=0.0, weightDecay=0.0, strategy="allreduce", averageEvery=0,
                         checkpointDir="", maxAttempts=3, runDir="", commTimeout=120.0, labelBase=0,
                         earlyStopping=0, earlyStoppingMetric="")


def param_setters(cls: type) -> type:
    """Adds setX/getX for every Param of ``cls`` that lacks them (Spark ML's naming)."""
    for name in dir(cls):
        if isinstance(getattr(cls, name), Param):
            upper = name[0].upper() + name[1:]
            if not hasattr(cls, "set" + upper):
                setattr(cls, "set" + upper, lambda self, value, _n=name: self._set(**{_n: value}))
            if not hasattr(cls, "get" + upper):
                setattr(cls, "get" + upper, lambda self, _n=name: self.getOrDefault(_n))
    return cls
