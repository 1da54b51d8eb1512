"""Validation methods (BigDL's): what validation and evaluation compute."""

from __future__ import annotations


class ValidationMethod:
    """A metric computed over a data set; ``name`` is the engine's name for it."""

    name = ""

    def __repr__(self) -> str:
        return f"{self.name}()"


class Top1Accuracy(ValidationMethod):
    """The share of samples whose highest-scoring class is the label."""

    name = "Top1Accuracy"


class Top5Accuracy(ValidationMethod):
    """The share of samples whose label is among the five highest-scoring classes."""

    name = "Top5Accuracy"


class Loss(ValidationMethod):
    """The criterion's mean loss."""

    name = "Loss"


class MAE(ValidationMethod):
    """The mean absolute error of numeric targets over all outputs (regression, loss mse)."""

    name = "MAE"


class AUC(ValidationMethod):
    """Area under the ROC curve of P(class 1) (scikit-learn's roc_auc_score); with more than two
    classes the mean over classes of one class against the rest."""

    name = "AUC"


class PrAUC(ValidationMethod):
    """Average precision, the area under the precision-recall curve (scikit-learn's
    average_precision_score); per class against the rest for more than two classes."""

    name = "PR_AUC"


class LogLoss(ValidationMethod):
    """Mean negative log-probability of the label under the softmax of the output."""

    name = "LogLoss"


class _Thresholded(ValidationMethod):
    """A count-based metric of class 1 where P(class 1) >= ``threshold`` (two classes); with more
    classes the mean over classes of the most probable class against the rest."""

    def __init__(self, threshold: float = 0.5):
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        self.threshold = float(threshold)

    @property
    def engine_name(self) -> str:
        return f"{self.name}@{self.threshold!r}"

    def __repr__(self) -> str:
        return f"{self.name}(threshold={self.threshold})"


class Precision(_Thresholded):
    """True positives over predicted positives."""

    name = "Precision"


class Recall(_Thresholded):
    """True positives over actual positives."""

    name = "Recall"


class F1(_Thresholded):
    """The harmonic mean of precision and recall."""

    name = "F1"


def method_names(methods) -> list[str]:
    """Engine names for a list of validation methods (or names, or Keras' "accuracy"/"loss")."""
    aliases = {"accuracy": "Top1Accuracy", "acc": "Top1Accuracy", "loss": "Loss"}
    names = []
    for m in methods:
        if isinstance(m, _Thresholded):
            names.append(m.engine_name)
        elif isinstance(m, ValidationMethod):
            names.append(m.name)
        elif isinstance(m, type) and issubclass(m, ValidationMethod):
            names.append(m.name)
        else:
            names.append(aliases.get(str(m), str(m)))
    return names
