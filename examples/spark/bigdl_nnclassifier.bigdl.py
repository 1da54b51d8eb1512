# BigDL's NNClassifier example (nnframes: a Spark ML Pipeline of VectorAssembler and NNClassifier
# on a small 2-class DataFrame), as written for BigDL; bigdl_nnclassifier.py runs it on shoal with
# its imports changed.
from pyspark.ml import Pipeline
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession
from bigdl.dllib.nncontext import *
from bigdl.dllib.nn.layer import *
from bigdl.dllib.nn.criterion import *
from bigdl.dllib.optim.optimizer import *
from bigdl.dllib.nnframes import *

sc = init_nncontext("NNClassifier example")
spark = SparkSession(sc)

# two features; BigDL's class labels count from 1
data = [(2.0, 1.0, 1.0), (1.0, 2.0, 2.0), (2.0, 1.0, 1.0), (1.0, 2.0, 2.0)] * 25
df = spark.createDataFrame(data, ["f1", "f2", "label"])

assembler = VectorAssembler(inputCols=["f1", "f2"], outputCol="features")
model = Sequential().add(Linear(2, 2)).add(LogSoftMax())
criterion = ClassNLLCriterion()
classifier = NNClassifier(model, criterion, [2]) \
    .setOptimMethod(SGD(learningrate=0.1)) \
    .setBatchSize(4) \
    .setMaxEpoch(20)
pipeline = Pipeline(stages=[assembler, classifier])

nn_model = pipeline.fit(df)
scored = nn_model.transform(df)
scored.select("f1", "f2", "label", "prediction").show(4)
correct = scored.filter("label = prediction").count()
print("accuracy: %.4f" % (correct / float(scored.count())))
