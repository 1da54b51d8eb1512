# BigDL's NNClassifier example (nnframes: a Spark ML Pipeline of VectorAssembler and NNClassifier
# on a small 2-class DataFrame), run on shoal.spark: only the imports differ from the BigDL original
# (bigdl_nnclassifier.bigdl.py; diff in docs/spark.md).
from pyspark.ml import Pipeline
from pyspark.ml.feature import VectorAssembler
from pyspark.sql import SparkSession
from shoal.compat.bigdl.nncontext import *
from shoal.compat.bigdl.nn.layer import *
from shoal.compat.bigdl.nn.criterion import *
from shoal.compat.bigdl.optim.optimizer import *
from shoal.compat.bigdl.nnframes import *
import shoal.compat.bigdl.one_based_labels  # BigDL's labels count from 1

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
