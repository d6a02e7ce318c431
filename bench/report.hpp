// Output: one JSON line on stdout (for scripts) and a short human summary on stderr.
#pragma once

#include "options.hpp"
#include "results.hpp"

namespace chatbench {

void report_load(const options& o, const load_result& r);
void report_idle(const options& o, const idle_result& r);
void report_kept(const options& o, const kept_result& r);

}  // namespace chatbench
