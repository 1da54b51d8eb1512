"""bigdl.dllib.nnframes over shoal.spark: NNEstimator / NNModel (any criterion shoal trains: MSE for
regression) and NNClassifier / NNClassifierModel, BigDL's Spark ML estimators, as ShoalEstimator,
ShoalClassifier and ShoalModel with BigDL's constructors and setters.

Labels and predictions count classes from shoal.compat.bigdl's label base (0 by default; 1, BigDL's
convention, after ``import shoal.compat.bigdl.one_based_labels``).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from shoal.compat.bigdl import label_base
from shoal.spark import ShoalClassifier, ShoalEstimator, ShoalModel

NNModel = ShoalModel
NNClassifierModel = ShoalModel

LOSSES = {"ClassNLLCriterion": "nll", "CrossEntropyCriterion": "ce", "MSECriterion": "mse"}


class _BigDLSetters:
    """BigDL's setters that differ from shoal.spark's Param names."""

    def setMaxEpoch(self, value: int) -> Any:
        return self._set(epochs=value)

    def setOptimMethod(self, method: Any) -> Any:
        """A shoal.compat.bigdl.optim.optimizer method (SGD, Adam, ...): its method and settings."""
        config = method.config()
        self._set(optimMethod=config["method"])
        for key, param in (("lr", "learningRate"), ("momentum", "momentum"), ("weight_decay", "weightDecay")):
            if key in config and config[key] is not None:
                self._set(**{param: config[key]})
        return self


class NNEstimator(_BigDLSetters, ShoalEstimator):
    """NNEstimator(model, criterion, feature_size, label_size): trains ``model`` with ``criterion``
    (MSECriterion: numeric labels, regression; ClassNLLCriterion or CrossEntropyCriterion: class
    labels); its NNModel's transform adds the model's outputs as ``prediction`` (for MSE the value,
    a double, or an array for several). BigDL's ``label_size`` is accepted for its scripts but not
    needed: the targets' length is read from the data (and must equal the model's outputs)."""

    def __init__(self, model: Any, criterion: Any, feature_size: Optional[Sequence[int]] = None,
                 label_size: Optional[Sequence[int]] = None) -> None:
        loss = LOSSES.get(type(criterion).__name__)
        if loss is None:
            raise ValueError(f"NNEstimator: {type(criterion).__name__} is not a criterion shoal trains "
                             f"(use one of {', '.join(LOSSES)})")
        super().__init__(model=model, loss=loss, featureSize=list(feature_size or []), labelBase=label_base())


class NNClassifier(_BigDLSetters, ShoalClassifier):
    """NNClassifier(model, criterion, feature_size): trains ``model`` (a shoal.nn / compat layer
    tree) with ``criterion`` (ClassNLLCriterion or CrossEntropyCriterion) on rows whose features
    have ``feature_size`` values."""

    def __init__(self, model: Any, criterion: Any = None, feature_size: Optional[Sequence[int]] = None) -> None:
        loss = "auto"
        if criterion is not None:
            loss = LOSSES.get(type(criterion).__name__)
            if loss in (None, "mse"):
                raise ValueError(f"NNClassifier: {type(criterion).__name__} cannot train a classifier here; "
                                 "use ClassNLLCriterion or CrossEntropyCriterion (NNEstimator takes MSECriterion)")
        super().__init__(model=model, loss=loss, featureSize=list(feature_size or []), labelBase=label_base())
