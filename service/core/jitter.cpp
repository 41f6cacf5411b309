#include "core/jitter.hpp"

#include <random>

namespace supportd::core {

double random_unit() {
  thread_local std::minstd_rand generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

std::chrono::milliseconds jittered(std::chrono::milliseconds base, double low, double high) {
  const double factor = low + (high - low) * random_unit();
  return std::chrono::milliseconds(
      static_cast<std::chrono::milliseconds::rep>(static_cast<double>(base.count()) * factor));
}

}  // namespace supportd::core
