// RunConfig's JSON form and checks: defaults, a round trip, and errors that name the key path.
#include <gtest/gtest.h>

#include "shoal/error.hpp"
#include "shoal/train/run_config.hpp"

using shoal::train::RunConfig;
using nlohmann::json;

namespace {

std::string errorFor(const json& j) {
  try {
    RunConfig::fromJson(j);
  } catch (const shoal::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(RunConfig, AnEmptyObjectGivesTheDefaults) {
  EXPECT_EQ(RunConfig::fromJson(json::object()).toJson(), RunConfig().toJson());
  RunConfig c;
  EXPECT_EQ(c.model.name, "mlp");
  EXPECT_EQ(c.model.hidden, std::vector<int64_t>{1000});
  EXPECT_EQ(c.end.epochs, 10);
  EXPECT_EQ(c.batch, 128);
  EXPECT_EQ(c.optim.method, "sgd");
  EXPECT_FALSE(c.optim.lr.has_value());
  EXPECT_EQ(c.dist.strategy, "allreduce");
  EXPECT_EQ(c.checkpoint.keep, 3);
  EXPECT_EQ(c.toJson()["optim"]["lr"], nullptr);
}

TEST(RunConfig, RoundTripsThroughJson) {
  RunConfig c;
  c.model.name = "lenet5";
  c.model.hidden = {512, 256};
  c.data.trainCsv = "train.csv";
  c.data.preprocessing = "standardize";
  c.optim.method = "adam";
  c.optim.lr = 0.003;
  c.optim.beta2 = 0.98;
  c.optim.schedule = "step:2:0.5";
  c.end.iterations = 50;
  c.seed = 7;
  c.shuffle = false;
  c.dist.sharedMemory = false;
  c.dist.commTimeout = 2.5;
  c.checkpoint.every = "100";
  c.output.report = true;
  c.data.table = true;
  c.data.categorical = {"home", "3"};
  c.data.missing = {"", "?"};
  c.data.impute = "median";
  c.data.holdout = 0.1;
  c.data.cache = "cache";
  json j = c.toJson();
  RunConfig back = RunConfig::fromJson(json::parse(j.dump()));
  EXPECT_EQ(back.toJson(), j);
  EXPECT_EQ(back.optim.lr, 0.003);
  EXPECT_EQ(back.optim.beta2, 0.98);
  EXPECT_EQ(back.model.hidden, (std::vector<int64_t>{512, 256}));
  EXPECT_FALSE(back.shuffle);
  EXPECT_EQ(back.data.categorical, (std::vector<std::string>{"home", "3"}));
  EXPECT_EQ(back.data.missing, (std::vector<std::string>{"", "?"}));
}

TEST(RunConfig, RejectsAnUnknownKeyNamingItsPath) {
  std::string e = errorFor({{"optim", {{"lr_rate", 0.1}}}});
  EXPECT_NE(e.find("unknown key \"optim.lr_rate\" (expected one of "), std::string::npos) << e;
  EXPECT_NE(e.find("lr,"), std::string::npos) << e;
  e = errorFor({{"epochs", 3}});
  EXPECT_NE(e.find("unknown key \"epochs\""), std::string::npos) << e;
}

TEST(RunConfig, RejectsAWrongTypeNamingTheKeyAndTheValue) {
  EXPECT_EQ(errorFor({{"optim", {{"lr", "fast"}}}}),
            "run config: \"optim.lr\": expected a number or null, got \"fast\"");
  EXPECT_EQ(errorFor({{"batch", 1.5}}), "run config: \"batch\": expected an integer, got 1.5");
  EXPECT_EQ(errorFor({{"model", {{"hidden", {1, "x"}}}}}),
            "run config: \"model.hidden\": expected a list of integers, got [1,\"x\"]");
  EXPECT_EQ(errorFor({{"dist", 3}}), "run config: \"dist\": expected an object, got 3");
  EXPECT_EQ(errorFor({{"data", {{"categorical", "home"}}}}),
            "run config: \"data.categorical\": expected a list of strings, got \"home\"");
  EXPECT_EQ(errorFor({{"shuffle", "yes"}}), "run config: \"shuffle\": expected true or false, got \"yes\"");
}

TEST(RunConfig, CheckNamesTheKeyOfAnInvalidValueOrCombination) {
  RunConfig c;
  c.dist.strategy = "lbfgs";
  try {
    c.check();
    FAIL() << "no error";
  } catch (const shoal::ConfigError& e) {
    EXPECT_EQ(e.key(), "dist.strategy");
    EXPECT_EQ(std::string(e.what()),
              "run config: \"dist.strategy\" lbfgs runs full-batch L-BFGS: give \"optim.method\" lbfgs");
  }
  c = RunConfig();
  c.checkpoint.every = "often";
  EXPECT_THROW(c.check(), shoal::ConfigError);
  c = RunConfig();
  c.batch = 0;
  EXPECT_THROW(c.check(), shoal::ConfigError);
  c = RunConfig();
  c.precision = "half";
  try {
    c.check();
    FAIL() << "no error";
  } catch (const shoal::ConfigError& e) {
    EXPECT_EQ(e.key(), "precision");
  }
  c = RunConfig();
  c.optim.method = "adam";
  c.optim.beta1 = 1.0;
  try {
    c.check();
    FAIL() << "no error";
  } catch (const shoal::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "run config: \"optim.beta1\" must be in [0, 1)");
  }
  c.optim.beta1 = 0.9;
  c.optim.epsilon = 0;
  EXPECT_THROW(c.check(), shoal::ConfigError);
  c = RunConfig();
  c.dist.hierarchical = "sometimes";
  try {
    c.check();
    FAIL() << "no error";
  } catch (const shoal::ConfigError& e) {
    EXPECT_EQ(e.key(), "dist.hierarchical");
  }
  c = RunConfig();
  c.data.holdout = 1;
  try {
    c.check();
    FAIL() << "no error";
  } catch (const shoal::ConfigError& e) {
    EXPECT_EQ(e.key(), "data.holdout");
  }
  c = RunConfig();
  c.data.typeErrors = "ignore";
  EXPECT_THROW(c.check(), shoal::ConfigError);
  c = RunConfig();
  c.dist.shard = "local";
  EXPECT_NO_THROW(c.check());
  c.validation.split = 0.2;
  try {
    c.check();
    FAIL() << "no error";
  } catch (const shoal::ConfigError& e) {
    EXPECT_EQ(e.key(), "validation.split");
  }
  EXPECT_NO_THROW(RunConfig().check());
}

namespace {

// The key a failing check() names ("" when the configuration passes).
std::string failingKey(const RunConfig& c) {
  try {
    c.check();
  } catch (const shoal::ConfigError& e) {
    return e.key();
  }
  return "";
}

}  // namespace

TEST(RunConfig, MseTakesNoClassWeightsAndOnlyLossOrMaeValidation) {
  RunConfig c;
  c.loss = "mse";
  EXPECT_EQ(failingKey(c), "validation.methods");  // the default top1 needs class labels
  c.validation.methods = {"loss", "mae"};
  EXPECT_EQ(failingKey(c), "");
  c.classWeight = "balanced";
  EXPECT_EQ(failingKey(c), "class_weight");
  c.classWeight = "none";
  c.loss = "l1";
  EXPECT_EQ(failingKey(c), "loss");
}

TEST(RunConfig, RefusesLocalShardsOfATable) {
  RunConfig c;
  c.data.trainCsv = "rows.csv";
  c.model.name = "tabular";
  c.dist.shard = "local";
  try {
    c.check();
    FAIL() << "no error";
  } catch (const shoal::ConfigError& e) {
    EXPECT_EQ(e.key(), "dist.shard");
    EXPECT_NE(std::string(e.what()).find("split among the ranks by byte range"), std::string::npos) << e.what();
  }
  c.model.name = "mlp";  // a CSV read whole (no table): each rank's file is its own
  EXPECT_EQ(failingKey(c), "");
  c.data.table = true;
  EXPECT_EQ(failingKey(c), "dist.shard");
  c.dist.shard = "contiguous";
  EXPECT_EQ(failingKey(c), "");
}
