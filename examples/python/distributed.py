# Data-parallel training from Python: mpirun -np 2 python3 examples/python/distributed.py [STRATEGY]
# Every rank reads the data, trains on its shard (by rank) and keeps its replica consistent with the
# others (allreduce, average or lbfgs); only rank 0 prints the log and writes files.
import sys

import shoal
from shoal.nn import zoo
from shoal.optim import SGD, MaxEpoch, Optimizer

strategy = sys.argv[1] if len(sys.argv) > 1 else "allreduce"
rank, size = shoal.init()
(x, y), (x_test, y_test) = shoal.data.fashion_mnist()
shoal.manual_seed(1)
model = zoo.mlp(hidden=(256,))
optimizer = Optimizer(model, (x[:20000], y[:20000]), end_trigger=MaxEpoch(2), optim_method=SGD(lr=0.05),
                      batch_size=64)
optimizer.set_validation(val_set=(x_test, y_test)).set_strategy(strategy)
optimizer.optimize()
if rank == 0:
    print(f"{size} ranks, strategy {strategy}: validation {optimizer.summary['validation']}")
