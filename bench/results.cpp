#include "results.hpp"

namespace chatbench {

latency_summary summarize(const histogram& h) {
  latency_summary s;
  s.count = h.count();
  if (s.count == 0) return s;
  s.min_ns = h.min();
  s.p50_ns = h.quantile(0.50);
  s.p99_ns = h.quantile(0.99);
  s.p999_ns = h.quantile(0.999);
  s.max_ns = h.max();
  s.mean_ns = h.mean();
  return s;
}

}  // namespace chatbench
