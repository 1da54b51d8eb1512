// Optimiser state: N steps, save, restore into a fresh instance, M steps equals N + M steps bit for bit.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "optim/test_problems.hpp"
#include "shoal/error.hpp"
#include "shoal/optim/adam.hpp"
#include "shoal/optim/lbfgs.hpp"
#include "shoal/optim/sgd.hpp"

namespace shoal {
namespace {

using optim::Adam;
using optim::LBFGS;
using optim::OptimMethod;
using optim::OptimState;
using optim::SGD;
using Factory = std::function<std::unique_ptr<OptimMethod>()>;
using Objective = std::function<double(const Tensor&, Tensor&)>;

struct Problem {
  Tensor x0;
  Objective f;
};

// The problem of the PyTorch fixtures: 6 parameters, a quadratic bowl (plus a quartic term for L-BFGS).
Problem quartic(const std::string& fixtureName = "optim_sgd.json") {
  nlohmann::json fixture = testing::loadFixture(fixtureName);
  auto problem = std::make_shared<testing::QuarticProblem>(
      testing::QuarticProblem{testing::tensorFromJson(fixture.at("A")), testing::tensorFromJson(fixture.at("b")),
                              fixture.at("cases").at(0).at("quartic").get<double>()});
  return {testing::tensorFromJson(fixture.at("cases").at(0).at("x0")),
          [problem](const Tensor& x, Tensor& g) { return problem->evaluate(x, g); }};
}

Problem rosenbrock() { return {Tensor::fromVector({2}, {-1.2f, 1.0f}), testing::rosenbrock}; }

void run(OptimMethod& method, Tensor& params, const Objective& f, int steps) {
  Tensor grads(params.shape());
  optim::Closure closure = [&] {
    grads.fill(0.0f);
    return static_cast<float>(f(params, grads));
  };
  for (int s = 0; s < steps; ++s) method.step(params, grads, closure);
}

struct Resumed {
  std::unique_ptr<OptimMethod> uninterrupted, resumed;
};

// Runs n + m steps in one go, and n steps, save, restore into a fresh instance, m steps; the
// parameters must agree bit for bit. The saved scalars go through JSON text, as in a file.
Resumed expectExactResume(const Factory& make, const Problem& p, int n, int m) {
  Tensor full = p.x0.clone();
  Resumed r{make(), make()};
  run(*r.uninterrupted, full, p.f, n + m);

  Tensor params = p.x0.clone();
  OptimState state;
  {
    std::unique_ptr<OptimMethod> first = make();
    run(*first, params, p.f, n);
    state = first->saveState();
  }  // the state must not depend on the instance it came from
  state.scalars = nlohmann::json::parse(state.scalars.dump());
  std::vector<float> atN = params.toVector();
  Tensor cold = params.clone();
  r.resumed->restoreState(state);
  run(*r.resumed, params, p.f, m);
  EXPECT_EQ(params.toVector(), full.toVector()) << "resumed after " << n << " steps";
  EXPECT_NE(params.toVector(), atN) << "the last " << m << " steps must move the parameters";
  EXPECT_EQ(r.resumed->iteration(), n + m);
  if (n > 0) {
    // Without the state the continuation differs: the test above depends on it.
    std::unique_ptr<OptimMethod> fresh = make();
    run(*fresh, cold, p.f, m);
    EXPECT_NE(cold.toVector(), full.toVector()) << "a fresh instance must not match without the state";
  }
  return r;
}

std::vector<float> stateValues(const OptimState& state, const std::string& name) {
  for (const auto& [n, t] : state.tensors)
    if (n == name) return t.toVector();
  ADD_FAILURE() << "no tensor " << name;
  return {};
}

TEST(OptimState, SgdWithMomentumResumesExactly) {
  Factory make = [] { return std::make_unique<SGD>(SGD::Options{.lr = 0.05, .momentum = 0.9, .dampening = 0.1}); };
  expectExactResume(make, quartic(), 3, 4);
  expectExactResume(make, quartic(), 0, 4);
}

TEST(OptimState, SgdWithNesterovAndScheduleResumesExactly) {
  Factory make = [] {
    return std::make_unique<SGD>(SGD::Options{.lr = 0.05, .momentum = 0.9, .nesterov = true, .weightDecay = 0.01},
                                 std::make_shared<optim::ExponentialSchedule>(2, 0.5));
  };
  expectExactResume(make, quartic(), 3, 4);
  expectExactResume(make, quartic(), 0, 4);
}

TEST(OptimState, PlainSgdKeepsOnlyItsCounters) {
  Factory make = [] {
    return std::make_unique<SGD>(SGD::Options{.lr = 0.1}, std::make_shared<optim::StepSchedule>(2, 0.5, false));
  };
  OptimState state = expectExactResume(make, quartic(), 3, 2).resumed->saveState();
  EXPECT_TRUE(state.tensors.empty());
  EXPECT_EQ(state.scalars.at("method"), "SGD");
  EXPECT_EQ(state.scalars.at("iteration"), 5);
}

TEST(OptimState, AdamResumesExactly) {
  Factory make = [] { return std::make_unique<Adam>(Adam::Options{.lr = 0.05, .weightDecay = 0.01}); };
  Resumed r = expectExactResume(make, quartic(), 3, 4);
  OptimState a = r.uninterrupted->saveState(), b = r.resumed->saveState();
  EXPECT_EQ(stateValues(a, "first_moment"), stateValues(b, "first_moment"));
  EXPECT_EQ(stateValues(a, "second_moment"), stateValues(b, "second_moment"));
  expectExactResume(make, quartic(), 0, 4);
}

TEST(OptimState, SavedTensorsAreCopies) {
  Adam adam({.lr = 0.05});
  Problem p = quartic();
  Tensor params = p.x0.clone();
  run(adam, params, p.f, 1);
  OptimState state = adam.saveState();
  std::vector<float> saved = stateValues(state, "first_moment");
  run(adam, params, p.f, 1);
  EXPECT_EQ(stateValues(state, "first_moment"), saved);
  EXPECT_NE(stateValues(adam.saveState(), "first_moment"), saved);
}

void expectLbfgsResume(LBFGS::Options o, const Problem& p, int n, int m) {
  Factory make = [o] { return std::make_unique<LBFGS>(o); };
  Resumed r = expectExactResume(make, p, n, m);
  auto& full = dynamic_cast<LBFGS&>(*r.uninterrupted);
  auto& resumed = dynamic_cast<LBFGS&>(*r.resumed);
  EXPECT_EQ(resumed.functionEvaluations(), full.functionEvaluations());
  EXPECT_EQ(resumed.innerIterations(), full.innerIterations());
  OptimState a = full.saveState(), b = resumed.saveState();
  EXPECT_EQ(a.scalars, b.scalars);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].first, b.tensors[i].first);
    EXPECT_EQ(a.tensors[i].second.toVector(), b.tensors[i].second.toVector()) << a.tensors[i].first;
  }
}

TEST(OptimState, LbfgsWithoutLineSearchResumesExactly) {
  // A history of 2 pairs wraps around the ring buffer several times.
  LBFGS::Options o{.lr = 0.5, .maxIter = 3, .historySize = 2};
  expectLbfgsResume(o, quartic("optim_lbfgs.json"), 2, 3);
  expectLbfgsResume(o, rosenbrock(), 3, 3);
  expectLbfgsResume(o, rosenbrock(), 0, 3);
}

TEST(OptimState, LbfgsWithStrongWolfeResumesExactly) {
  LBFGS::Options o{.maxIter = 4, .historySize = 3, .lineSearch = LBFGS::LineSearch::StrongWolfe};
  expectLbfgsResume(o, quartic("optim_lbfgs.json"), 1, 2);
  expectLbfgsResume(o, rosenbrock(), 3, 4);
  expectLbfgsResume(o, rosenbrock(), 0, 4);
}

TEST(OptimState, RestoringAnEarlyStateResetsAUsedInstance) {
  Problem p = rosenbrock();
  LBFGS::Options o{.maxIter = 4, .historySize = 3, .lineSearch = LBFGS::LineSearch::StrongWolfe};
  LBFGS reference(o), used(o);
  OptimState initial = used.saveState();
  Tensor scratch = p.x0.clone();
  run(used, scratch, p.f, 3);
  used.restoreState(initial);
  Tensor a = p.x0.clone(), b = p.x0.clone();
  run(reference, a, p.f, 3);
  run(used, b, p.f, 3);
  EXPECT_EQ(a.toVector(), b.toVector());
  EXPECT_EQ(used.functionEvaluations(), reference.functionEvaluations());
}

template <class F>
void expectInputError(F&& f, const std::string& piece) {
  try {
    f();
    ADD_FAILURE() << "expected an InputError containing \"" << piece << "\"";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(piece), std::string::npos) << e.what();
  }
}

TEST(OptimState, MismatchedStatesAreRefused) {
  Problem p = quartic();
  Tensor params = p.x0.clone();
  Adam adam({.lr = 0.05});
  run(adam, params, p.f, 2);
  SGD sgd({.lr = 0.1, .momentum = 0.9});
  run(sgd, params, p.f, 2);
  LBFGS lbfgs({.maxIter = 3, .historySize = 3, .lineSearch = LBFGS::LineSearch::StrongWolfe});
  Tensor point = rosenbrock().x0;
  run(lbfgs, point, testing::rosenbrock, 3);

  expectInputError([&] { SGD({.lr = 0.1}).restoreState(adam.saveState()); }, "holds state of Adam, not SGD");
  expectInputError([&] { Adam({}).restoreState(lbfgs.saveState()); }, "holds state of LBFGS, not Adam");
  expectInputError([&] { LBFGS({}).restoreState(sgd.saveState()); }, "holds state of SGD, not LBFGS");
  expectInputError([&] { SGD({}).restoreState(OptimState{}); }, "not SGD");

  OptimState missing = adam.saveState();
  missing.tensors.pop_back();
  expectInputError([&] { Adam({}).restoreState(missing); }, "\"second_moment\" is missing");

  OptimState wrongSize = sgd.saveState();
  wrongSize.tensors.at(0).second = Tensor(Shape{5});
  expectInputError([&] { SGD({.momentum = 0.9}).restoreState(wrongSize); }, "holds 5 values, expected 6");

  OptimState noCounter = sgd.saveState();
  noCounter.scalars.erase("iteration");
  expectInputError([&] { SGD({.momentum = 0.9}).restoreState(noCounter); }, "\"iteration\"");

  // A full history of 3 curvature pairs does not fit a history of 2.
  ASSERT_EQ(lbfgs.saveState().scalars.at("history_count"), 3);
  expectInputError([&] { LBFGS({.historySize = 2}).restoreState(lbfgs.saveState()); }, "historySize 2");
  OptimState missingPair = lbfgs.saveState();
  std::erase_if(missingPair.tensors, [](const auto& t) { return t.first == "history_y.2"; });
  expectInputError([&] { LBFGS({.historySize = 3}).restoreState(missingPair); }, "\"history_y.2\" is missing");
}

}  // namespace
}  // namespace shoal
