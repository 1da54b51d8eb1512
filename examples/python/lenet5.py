# LeNet-5 on Fashion-MNIST, BigDL's way: Optimizer with validation every epoch and checkpoints.
import sys

import shoal
from shoal.nn import ClassNLLCriterion, zoo
from shoal.optim import SGD, EveryEpoch, Loss, MaxEpoch, Optimizer, Top1Accuracy

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
out = sys.argv[2] if len(sys.argv) > 2 else "runs/python-lenet5"
(x, y), (x_test, y_test) = shoal.data.fashion_mnist()
shoal.manual_seed(1)
model = zoo.lenet5()
print(model.summary())
optimizer = Optimizer(model=model, training_set=(x, y), criterion=ClassNLLCriterion(),
                      end_trigger=MaxEpoch(epochs), optim_method=SGD(lr=0.02, momentum=0.9), batch_size=64)
optimizer.set_validation(batch_size=64, val_set=(x_test, y_test), trigger=EveryEpoch(),
                         methods=[Top1Accuracy(), Loss()])
optimizer.set_checkpoint(EveryEpoch(), out + "/checkpoints")
optimizer.set_train_summary(shoal.optim.TrainSummary(log_dir="runs", app_name="python-lenet5"))
optimizer.optimize()
print("validation:", optimizer.summary["validation"], " run directory:", optimizer.summary["run_dir"])
