// The synthetic credit table: per-row seeded draws, a logistic default probability, CSV written in parallel chunks.
#include "shoal/data/synthetic_risk.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>

#include <nlohmann/json.hpp>

#include "shoal/error.hpp"
#include "shoal/train/binary_metrics.hpp"

namespace shoal::data {
namespace {

// splitmix64: a stream of 64-bit values from one 64-bit state.
struct Draws {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {
    const double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
  }
  bool chance(double p) { return uniform() < p; }
  int64_t poisson(double mean) {  // Knuth's product of uniforms (means here are small)
    const double limit = std::exp(-mean);
    int64_t k = 0;
    for (double product = uniform(); product > limit; product *= uniform()) ++k;
    return k;
  }
  template <size_t N>
  int pick(const std::array<double, N>& weights) {  // an index with the given weights (summing to 1)
    double u = uniform();
    for (size_t i = 0; i + 1 < N; ++i) {
      if (u < weights[i]) return static_cast<int>(i);
      u -= weights[i];
    }
    return static_cast<int>(N - 1);
  }
};

// Every row's draws start from the seed, the part (train 0, test 1, calibration 2) and its index.
Draws drawsFor(uint64_t seed, uint64_t part, uint64_t row) {
  Draws d{seed * 0xD1B54A32D192ED03ull ^ (part << 56) ^ row};
  d.next();
  return d;
}

// A fixed N(0, 1) effect for value `index` of a high-cardinality column (`salt` names the column).
double valueEffect(uint64_t seed, uint64_t salt, int64_t index) {
  Draws d{seed ^ (salt * 0x9E3779B97F4A7C15ull) ^ (static_cast<uint64_t>(index) << 20)};
  d.next();
  return d.normal();
}

const std::array<const char*, 4> homeOwnership{"RENT", "MORTGAGE", "OWN", "OTHER"};
const std::array<const char*, 4> maritalStatus{"single", "married", "divorced", "widowed"};
const std::array<const char*, 8> jobTypes{"salaried", "self_employed", "public_sector", "freelance",
                                          "unemployed", "military", "student", "retired"};
const std::array<const char*, 8> purposes{"debt_consolidation", "credit_card", "home_improvement", "car",
                                          "medical", "business", "education", "other"};
const std::array<const char*, 7> grades{"A", "B", "C", "D", "E", "F", "G"};
const std::array<const char*, 5> educations{"high_school", "bachelor", "master", "doctorate", "other"};
const std::array<const char*, 3> channels{"branch", "online", "broker"};
constexpr int64_t regions = 800, employers = 5000, branches = 300;

// One loan: what is written, plus the true default probability's logit (without the intercept).
struct Loan {
  double age, income, employmentYears, amount, term, rate, installment, dti, score, historyYears;
  double openAccounts, delinquencies, monthsSinceDelinquency, utilisation, inquiries, assets, savings;
  double monthlyDebt, dependents, residenceYears, month, noise[4];
  bool incomeMissing, employmentMissing, dtiMissing, delinquencyMissing, assetsMissing, savingsMissing;
  int home, marital, job, purpose, grade, education, channel;
  int64_t region, employer, branch;
  bool guarantor, existingCustomer, phone, car;
  double logit;
};

Loan drawLoan(uint64_t seed, uint64_t part, uint64_t row) {
  Draws d = drawsFor(seed, part, row);
  Loan l{};
  l.grade = d.pick(std::array<double, 7>{.18, .27, .24, .15, .09, .05, .02});
  l.score = std::clamp(std::round(740 - 35.0 * l.grade + 40 * d.normal()), 300.0, 850.0);
  l.age = std::clamp(std::round(42 + 12 * d.normal()), 21.0, 75.0);
  if (l.age < 25 && d.chance(0.3)) l.job = 6;
  else if (l.age > 62 && d.chance(0.5)) l.job = 7;
  else l.job = d.pick(std::array<double, 8>{.55, .12, .12, .07, .05, .03, .03, .03});
  const std::array<double, 8> jobIncome{0, .2, .1, 0, -1.2, 0, -1.0, -.3};
  const double logIncome = 10.8 + 0.5 * d.normal() + jobIncome[l.job] + 0.01 * (l.age - 40);
  l.income = std::round(std::exp(logIncome) / 100) * 100;
  l.employmentYears = (l.job == 4 || l.job == 6) ? 0 : std::round(std::min(l.age - 18, -7 * std::log(1 - d.uniform())) * 10) / 10;
  l.home = d.pick(std::array<double, 4>{.4, .35, .2, .05});
  l.marital = d.pick(std::array<double, 4>{.38, .45, .13, .04});
  l.education = d.pick(std::array<double, 5>{.35, .38, .18, .04, .05});
  l.purpose = d.pick(std::array<double, 8>{.35, .2, .1, .1, .05, .07, .05, .08});
  l.channel = d.pick(std::array<double, 3>{.35, .5, .15});
  l.amount = std::round(std::exp(9.3 + 0.6 * d.normal()) / 50) * 50;
  l.term = d.chance(0.7) ? 36 : 60;
  l.rate = std::round(std::clamp(6 + 2.8 * l.grade + d.normal(), 3.0, 30.0) * 100) / 100;
  const double monthly = l.rate / 1200;
  l.installment = std::round(l.amount * monthly / (1 - std::pow(1 + monthly, -l.term)) * 100) / 100;
  l.dti = std::round(std::clamp(std::exp(std::log(18.0) + 0.5 * d.normal()), 0.0, 120.0) * 100) / 100;
  l.utilisation = std::round(1.2 / (1 + std::exp(-(1.2 * d.normal() + 0.15 * l.grade - 0.3))) * 1000) / 1000;
  l.delinquencies = static_cast<double>(d.poisson(0.15 + 0.1 * l.grade));
  l.delinquencyMissing = false;
  if (l.delinquencies > 0) l.monthsSinceDelinquency = std::floor(1 + 24 * d.uniform());
  else if (d.chance(0.4)) l.monthsSinceDelinquency = std::floor(25 + 96 * d.uniform());
  else l.delinquencyMissing = true;  // never delinquent: the cell is empty
  l.historyYears = std::round(d.uniform() * (l.age - 18) * 10) / 10;
  l.openAccounts = static_cast<double>(d.poisson(8));
  l.inquiries = static_cast<double>(d.poisson(0.8 + 0.2 * l.grade));
  l.assets = std::round(std::exp(10.5 + 0.8 * d.normal() + (l.home == 1 || l.home == 2 ? 1.0 : 0.0)));
  l.savings = std::round(std::exp(8 + 1.3 * d.normal()));
  l.monthlyDebt = std::round(l.dti / 100 * l.income / 12 * 100) / 100;
  l.dependents = static_cast<double>(d.poisson(0.9));
  l.residenceYears = std::round(-6 * std::log(1 - d.uniform()) * 10) / 10;
  l.month = std::floor(1 + 12 * d.uniform());
  l.noise[0] = d.normal();
  l.noise[1] = 10 + 3 * d.normal();
  l.noise[2] = std::exp(d.normal());
  l.noise[3] = d.uniform();
  l.region = static_cast<int64_t>(regions * std::pow(d.uniform(), 2.0));
  l.employer = static_cast<int64_t>(employers * std::pow(d.uniform(), 2.5));
  l.branch = static_cast<int64_t>(branches * std::pow(d.uniform(), 1.5));
  l.guarantor = d.chance(0.12);
  l.existingCustomer = d.chance(0.4);
  l.phone = d.chance(0.92);
  l.car = d.chance(0.55);
  l.incomeMissing = d.chance(0.05);
  l.employmentMissing = d.chance(0.06);
  l.dtiMissing = d.chance(0.03);
  l.assetsMissing = d.chance(0.10);
  l.savingsMissing = d.chance(0.08);

  const std::array<double, 7> gradeEffect{-.6, -.3, 0, .2, .4, .6, .8};
  const std::array<double, 8> jobEffect{0, .25, -.3, .2, .8, -.2, .4, .1};
  const std::array<double, 4> homeEffect{.1, -.3, -.2, .3};
  const std::array<double, 8> purposeEffect{.1, 0, -.1, -.15, .25, .35, 0, 0};
  const double dtiZ = (l.dti - 18) / 8, utilZ = (l.utilisation - 0.45) / 0.25;
  l.logit = -0.9 * (l.score - 700) / 60 + 0.55 * dtiZ + 0.5 * utilZ + 0.35 * l.delinquencies -
            0.4 * (logIncome - 10.8) / 0.5 + 0.25 * (l.rate - 14) / 5 + gradeEffect[l.grade] + jobEffect[l.job] +
            homeEffect[l.home] + purposeEffect[l.purpose] - 0.3 * l.guarantor + 0.3 * l.incomeMissing +
            0.35 * valueEffect(seed, 1, l.region) + 0.5 * valueEffect(seed, 2, l.employer) +
            0.35 * dtiZ * utilZ + 0.5 * (l.age < 25 && l.job == 6) +
            0.3 * (l.amount / l.income > 0.35 && l.employmentYears < 2) + 0.15 * (l.term == 60);
  return l;
}

double sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

// The intercept that makes the mean default probability 8% (bisection over 200,000 draws).
double interceptFor(uint64_t seed) {
  std::vector<double> logits(200'000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = drawLoan(seed, 2, i).logit;
  double lo = -10, hi = 5;
  for (int step = 0; step < 60; ++step) {
    const double mid = (lo + hi) / 2;
    double mean = 0;
    for (double z : logits) mean += sigmoid(z + mid);
    (mean / static_cast<double>(logits.size()) < 0.08 ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

void put(std::string& out, double v, int decimals) {
  char buf[48];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  out.append(buf, end);
  out += ',';
}
void putMaybe(std::string& out, double v, int decimals, bool missing) {
  if (missing) out += ',';
  else put(out, v, decimals);
}
void putCode(std::string& out, char prefix, int64_t v, int width) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%c%0*lld,", prefix, width, static_cast<long long>(v));
  out += buf;
}

// One CSV line for `l`, whose default was drawn as `bad`.
void appendLine(std::string& out, const Loan& l, bool bad) {
  put(out, l.age, 0);
  putMaybe(out, l.income, 0, l.incomeMissing);
  putMaybe(out, l.employmentYears, 1, l.employmentMissing);
  put(out, l.amount, 0);
  put(out, l.term, 0);
  put(out, l.rate, 2);
  put(out, l.installment, 2);
  putMaybe(out, l.dti, 2, l.dtiMissing);
  put(out, l.score, 0);
  put(out, l.historyYears, 1);
  put(out, l.openAccounts, 0);
  put(out, l.delinquencies, 0);
  putMaybe(out, l.monthsSinceDelinquency, 0, l.delinquencyMissing);
  put(out, l.utilisation, 3);
  put(out, l.inquiries, 0);
  putMaybe(out, l.assets, 0, l.assetsMissing);
  putMaybe(out, l.savings, 0, l.savingsMissing);
  put(out, l.monthlyDebt, 2);
  put(out, l.dependents, 0);
  put(out, l.residenceYears, 1);
  put(out, l.month, 0);
  for (double v : l.noise) put(out, v, 4);
  for (const char* s : {homeOwnership[l.home], maritalStatus[l.marital], jobTypes[l.job], purposes[l.purpose],
                        grades[l.grade], educations[l.education], channels[l.channel]})
    out.append(s).push_back(',');
  putCode(out, 'R', l.region, 4);
  putCode(out, 'E', l.employer, 5);
  putCode(out, 'B', l.branch, 3);
  for (bool b : {l.guarantor, l.existingCustomer, l.phone, l.car}) out.append(b ? "true," : "false,");
  out.append(bad ? "bad\n" : "good\n");
}

std::string headerLine() {
  std::string h;
  for (const RiskColumn& c : riskColumns()) h += (h.empty() ? "" : ",") + c.name;
  return h + "\n";
}

struct PartFigures {
  double positiveShare = 0, bayesAuc = 0;
};

// Writes `rows` loans of `part` to `path` in chunks drawn in parallel and written in order.
PartFigures writePart(const std::string& path, uint64_t seed, uint64_t part, int64_t rows, double intercept) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw OutputError(path + ": cannot create the file");
  const std::string header = headerLine();
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  constexpr int64_t chunkRows = 32'768, chunksPerRound = 16;
  const int64_t chunks = (rows + chunkRows - 1) / chunkRows;
  std::vector<double> probabilities(static_cast<size_t>(rows));
  std::vector<uint8_t> bad(static_cast<size_t>(rows));
  std::vector<std::string> text(chunksPerRound);
  for (int64_t first = 0; first < chunks; first += chunksPerRound) {
    const int64_t last = std::min(chunks, first + chunksPerRound);
#pragma omp parallel for schedule(dynamic)
    for (int64_t c = first; c < last; ++c) {
      std::string& s = text[c - first];
      s.clear();
      for (int64_t r = c * chunkRows; r < std::min(rows, (c + 1) * chunkRows); ++r) {
        const Loan l = drawLoan(seed, part, static_cast<uint64_t>(r));
        const double p = sigmoid(l.logit + intercept);
        Draws outcome = drawsFor(seed ^ 0xA5A5A5A5ull, part, static_cast<uint64_t>(r));
        probabilities[r] = p;
        bad[r] = outcome.uniform() < p;
        appendLine(s, l, bad[r]);
      }
    }
    for (int64_t c = first; c < last; ++c) out.write(text[c - first].data(), static_cast<std::streamsize>(text[c - first].size()));
    if (!out) throw OutputError(path + ": write failed (disk full?)");
  }
  out.close();
  if (!out) throw OutputError(path + ": write failed (disk full?)");
  PartFigures f;
  for (uint8_t b : bad) f.positiveShare += b;
  f.positiveShare /= static_cast<double>(std::max<int64_t>(rows, 1));
  if (f.positiveShare > 0 && f.positiveShare < 1) f.bayesAuc = train::metrics::rocAuc(probabilities, bad);
  return f;
}

}  // namespace

const std::vector<RiskColumn>& riskColumns() {
  static const std::vector<RiskColumn> columns{
      {"age", "numeric"}, {"annual_income", "numeric", 0.05}, {"employment_years", "numeric", 0.06},
      {"loan_amount", "numeric"}, {"loan_term_months", "numeric"}, {"interest_rate", "numeric"},
      {"installment", "numeric"}, {"debt_to_income", "numeric", 0.03}, {"credit_score", "numeric"},
      {"credit_history_years", "numeric"}, {"num_open_accounts", "numeric"}, {"num_delinquencies_2y", "numeric"},
      {"months_since_last_delinquency", "numeric", 0.43}, {"revolving_utilization", "numeric"},
      {"num_inquiries_6m", "numeric"}, {"total_assets", "numeric", 0.10}, {"savings_balance", "numeric", 0.08},
      {"monthly_debt", "numeric"}, {"num_dependents", "numeric"}, {"residence_years", "numeric"},
      {"application_month", "numeric"}, {"noise_normal", "numeric"}, {"noise_shifted", "numeric"},
      {"noise_lognormal", "numeric"}, {"noise_uniform", "numeric"},
      {"home_ownership", "categorical", 0, 4}, {"marital_status", "categorical", 0, 4},
      {"job_type", "categorical", 0, 8}, {"loan_purpose", "categorical", 0, 8}, {"grade", "categorical", 0, 7},
      {"education", "categorical", 0, 5}, {"channel", "categorical", 0, 3},
      {"region", "categorical", 0, regions}, {"employer_code", "categorical", 0, employers},
      {"branch_id", "categorical", 0, branches},
      {"has_guarantor", "boolean"}, {"existing_customer", "boolean"}, {"has_phone", "boolean"}, {"owns_car", "boolean"},
      {"default", "label", 0, 2}};
  return columns;
}

RiskTableSummary writeRiskTable(const RiskTableOptions& o) {
  if (o.trainRows < 1 || o.testRows < 0)
    throw UsageError("make-data risk: --rows must be positive and --test-rows not negative");
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(o.outDir, ec);
  if (ec) throw OutputError(o.outDir + ": cannot create the directory (" + ec.message() + ")");
  const double intercept = interceptFor(o.seed);
  const PartFigures train = writePart(o.outDir + "/train.csv", o.seed, 0, o.trainRows, intercept);
  const PartFigures test = o.testRows > 0 ? writePart(o.outDir + "/test.csv", o.seed, 1, o.testRows, intercept)
                                          : PartFigures{};
  RiskTableSummary s{o.trainRows, o.testRows, train.positiveShare, test.positiveShare, train.bayesAuc,
                     test.bayesAuc, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  nlohmann::json columns = nlohmann::json::array();
  for (const RiskColumn& c : riskColumns())
    columns.push_back({{"name", c.name}, {"type", c.type}, {"missing_share", c.missingShare}, {"categories", c.categories}});
  nlohmann::json truth{{"generator", "shoal make-data risk"}, {"seed", o.seed}, {"train_rows", s.trainRows},
                       {"test_rows", s.testRows}, {"label", "default"}, {"positive", "bad"},
                       {"train_positive_share", s.trainPositiveShare}, {"test_positive_share", s.testPositiveShare},
                       {"train_bayes_auc", s.trainBayesAuc}, {"test_bayes_auc", s.testBayesAuc},
                       {"intercept", intercept}, {"columns", columns}};
  std::ofstream t(o.outDir + "/truth.json");
  t << truth.dump(2) << "\n";
  if (!t) throw OutputError(o.outDir + "/truth.json: write failed");
  return s;
}

}  // namespace shoal::data
