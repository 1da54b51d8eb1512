"""bigdl.nn.criterion over shoal."""

from shoal.nn import ClassNLLCriterion, CrossEntropyCriterion, Criterion, MSECriterion  # noqa: F401

__all__ = ["Criterion", "ClassNLLCriterion", "CrossEntropyCriterion", "MSECriterion"]
