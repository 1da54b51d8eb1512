// Which communicator a job gets: the options, then the environment (torchrun's names accepted).
#include "shoal/dist/connect.hpp"

#include <cstdlib>
#include <fstream>

#include "shoal/error.hpp"

namespace shoal::dist {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int intFromEnv(const char* name, const std::string& key) {
  const char* v = env(name);
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n < 0 || n > 1 << 20)
    throw ConfigError(key, std::string("environment variable ") + name + ": expected a whole number, got \"" + v + "\"");
  return static_cast<int>(n);
}

// The first of `names` that is set, as a number; `fallback` when none is.
int firstIntFromEnv(std::initializer_list<const char*> names, const std::string& key, int fallback) {
  for (const char* name : names)
    if (env(name)) return intFromEnv(name, key);
  return fallback;
}

std::string readSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot read the job secret file (\"dist.job_secret_file\")");
  std::string secret;
  std::getline(in, secret);
  if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  if (secret.empty()) throw InputError(path + ":1: the job secret file's first line is empty");
  return secret;
}

}  // namespace

ConnectOptions resolveFromEnvironment(ConnectOptions o) {
  if (o.comm != "auto" && o.comm != "mpi" && o.comm != "gloo")
    throw ConfigError("dist.comm", "\"dist.comm\": expected auto, mpi or gloo, got \"" + o.comm + "\"");
  if (o.rendezvous.empty()) {
    if (const char* v = env("SHOAL_RENDEZVOUS")) o.rendezvous = v;
    else if (env("MASTER_ADDR") && env("MASTER_PORT"))
      o.rendezvous = std::string(env("MASTER_ADDR")) + ":" + env("MASTER_PORT");
  }
  const bool mpirun = launchedByMpirun();
  if (o.worldSize <= 0)
    o.worldSize = firstIntFromEnv({"SHOAL_WORLD_SIZE", "WORLD_SIZE"}, "dist.world_size",
                                  mpirun ? firstIntFromEnv({"OMPI_COMM_WORLD_SIZE"}, "dist.world_size", 0) : 0);
  if (o.rank < 0)
    o.rank = firstIntFromEnv({"SHOAL_RANK", "RANK"}, "dist.rank",
                             mpirun ? firstIntFromEnv({"OMPI_COMM_WORLD_RANK"}, "dist.rank", -1) : -1);
  if (o.jobSecret.empty() && !o.jobSecretFile.empty()) o.jobSecret = readSecretFile(o.jobSecretFile);
  if (o.jobSecret.empty())
    if (const char* v = env("SHOAL_JOB_SECRET")) o.jobSecret = v;
  if (o.attempt.empty()) o.attempt = env("SHOAL_ATTEMPT") ? env("SHOAL_ATTEMPT") : "0";
  return o;
}

std::unique_ptr<Communicator> connect(const ConnectOptions& given) {
  if (given.timeoutSeconds < 0)
    throw ConfigError("dist.comm_timeout", given.timeoutName + " must not be negative");
  const ConnectOptions o = resolveFromEnvironment(given);
  const bool gloo = o.comm == "gloo" || (o.comm == "auto" && !launchedByMpirun() && !o.rendezvous.empty());
  if (!gloo) return connect(o.timeoutSeconds, o.sharedMemory, o.timeoutName, o.hierarchy);
  if (o.rendezvous.empty())
    throw ConfigError("dist.rendezvous", "\"dist.comm\" gloo needs \"dist.rendezvous\" (HOST:PORT of rank 0, or "
                                         "file:DIR), or SHOAL_RENDEZVOUS, or MASTER_ADDR and MASTER_PORT");
  if (o.worldSize < 1)
    throw ConfigError("dist.world_size", "\"dist.comm\" gloo needs \"dist.world_size\" (or SHOAL_WORLD_SIZE, WORLD_SIZE)");
  if (o.rank < 0)
    throw ConfigError("dist.rank", "\"dist.comm\" gloo needs \"dist.rank\" (or SHOAL_RANK, RANK)");
  if (o.rank >= o.worldSize)
    throw ConfigError("dist.rank", "\"dist.rank\" " + std::to_string(o.rank) + " is out of range for \"dist.world_size\" " +
                                       std::to_string(o.worldSize) + " (ranks 0-" + std::to_string(o.worldSize - 1) + ")");
  if (o.jobSecret.empty())
    throw ConfigError("dist.job_secret_file", "the rendezvous needs the job's secret: give \"dist.job_secret_file\" "
                                              "or set SHOAL_JOB_SECRET (the same on every rank)");
  return connectGloo(o);
}

}  // namespace shoal::dist
