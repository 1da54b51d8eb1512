// TrainPosition's JSON form, the trainer's part of a checkpoint.
#include "shoal/error.hpp"
#include "shoal/train/optimizer.hpp"

namespace shoal::train {

nlohmann::json TrainPosition::toJson() const {
  return {{"epoch", epoch},
          {"batch", batch},
          {"iteration", iteration},
          {"loss_sum", lossSum},
          {"loss_count", lossCount},
          {"epoch_samples", epochSamples},
          {"epoch_seconds", epochSeconds},
          {"train_seconds", trainSeconds},
          {"trained_samples", trainedSamples},
          {"elapsed_seconds", elapsedSeconds},
          {"seed", seed}};
}

TrainPosition TrainPosition::fromJson(const nlohmann::json& j) {
  try {
    TrainPosition p;
    p.epoch = j.at("epoch").get<int64_t>();
    p.batch = j.at("batch").get<int64_t>();
    p.iteration = j.at("iteration").get<int64_t>();
    p.lossSum = j.at("loss_sum").get<double>();
    p.lossCount = j.at("loss_count").get<int64_t>();
    p.epochSamples = j.at("epoch_samples").get<int64_t>();
    p.epochSeconds = j.at("epoch_seconds").get<double>();
    p.trainSeconds = j.at("train_seconds").get<double>();
    p.trainedSamples = j.at("trained_samples").get<int64_t>();
    p.elapsedSeconds = j.at("elapsed_seconds").get<double>();
    p.seed = j.at("seed").get<uint64_t>();
    if (p.epoch < 1 || p.batch < 0 || p.iteration < 0) throw Error("negative position");
    return p;
  } catch (const std::exception& e) {
    throw InputError(std::string("checkpoint: invalid trainer position: ") + e.what());
  }
}

}  // namespace shoal::train
