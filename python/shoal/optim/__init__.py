"""shoal.optim: optimisation methods, schedules, triggers, validation methods, callbacks and BigDL's Optimizer."""

from shoal._training import Callback, EarlyStopping
from shoal.optim.methods import LBFGS, SGD, Adam, EpochStep, Exponential, LearningRateSchedule, OptimMethod, Poly
from shoal.optim.optimizer import Optimizer, TrainSummary, ValidationSummary
from shoal.optim.triggers import EveryEpoch, MaxEpoch, MaxIteration, MinLoss, SeveralIteration, Trigger
from shoal.optim.validation import (AUC, F1, MAE, Loss, LogLoss, Precision, PrAUC, Recall, Top1Accuracy, Top5Accuracy,
                                   ValidationMethod)

__all__ = ["OptimMethod", "SGD", "Adam", "LBFGS", "LearningRateSchedule", "EpochStep", "Exponential", "Poly",
           "Trigger", "MaxEpoch", "MaxIteration", "MinLoss", "EveryEpoch", "SeveralIteration",
           "ValidationMethod", "Top1Accuracy", "Top5Accuracy", "Loss", "MAE", "AUC", "PrAUC", "LogLoss",
           "Precision", "Recall", "F1", "Callback", "EarlyStopping",
           "Optimizer", "TrainSummary", "ValidationSummary"]
