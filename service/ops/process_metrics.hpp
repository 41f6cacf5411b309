// The process's own gauges: memory, descriptors, threads, read from /proc at each scrape.
#pragma once

#include "metrics/registry.hpp"

namespace supportd::ops {

void register_process_metrics(metrics::registry& registry);

}  // namespace supportd::ops
