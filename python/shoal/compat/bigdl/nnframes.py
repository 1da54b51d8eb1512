"""bigdl.dllib.nnframes over shoal.spark: NNClassifier and NNClassifierModel, BigDL's Spark ML
classifier, as ShoalClassifier and ShoalModel with BigDL's constructor and setters.

Labels and predictions count classes from shoal.compat.bigdl's label base (0 by default; 1, BigDL's
convention, after ``import shoal.compat.bigdl.one_based_labels``).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from shoal.compat.bigdl import label_base
from shoal.spark import ShoalClassifier, ShoalModel

NNClassifierModel = ShoalModel


class NNClassifier(ShoalClassifier):
    """NNClassifier(model, criterion, feature_size): trains ``model`` (a shoal.nn / compat layer
    tree) with ``criterion`` (ClassNLLCriterion or CrossEntropyCriterion) on rows whose features
    have ``feature_size`` values."""

    def __init__(self, model: Any, criterion: Any = None, feature_size: Optional[Sequence[int]] = None) -> None:
        loss = "auto"
        if criterion is not None:
            loss = {"ClassNLLCriterion": "nll", "CrossEntropyCriterion": "ce"}.get(type(criterion).__name__)
            if loss is None:
                raise ValueError(f"NNClassifier: {type(criterion).__name__} cannot train a classifier here; "
                                 "use ClassNLLCriterion or CrossEntropyCriterion")
        super().__init__(model=model, loss=loss, featureSize=list(feature_size or []), labelBase=label_base())

    def setMaxEpoch(self, value: int) -> "NNClassifier":
        return self._set(epochs=value)

    def setOptimMethod(self, method: Any) -> "NNClassifier":
        """A shoal.compat.bigdl.optim.optimizer method (SGD, Adam, ...): its method and settings."""
        config = method.config()
        self._set(optimMethod=config["method"])
        for key, param in (("lr", "learningRate"), ("momentum", "momentum"), ("weight_decay", "weightDecay")):
            if key in config and config[key] is not None:
                self._set(**{param: config[key]})
        return self
