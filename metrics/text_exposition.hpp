// Prometheus text exposition format 0.0.4: a pure rendering of collected values.
// https://prometheus.io/docs/instrumenting/exposition_formats/
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/snapshot.hpp"

namespace chatd::metrics {

class registry;

// The Content-Type a /metrics response must carry for Prometheus to read it as this format.
inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";

// `# HELP`, `# TYPE` and the samples of each family, in the order given; series in the order
// given. Histograms write name_bucket{...,le="..."} (cumulative, ending with le="+Inf"),
// name_sum and name_count. Every line ends with "\n".
std::string render_text(const std::vector<family_snapshot>& families);
// Collects `reg` (running its callbacks) and renders the result.
std::string render_text(const registry& reg);

// A sample value as Prometheus parses it: integral values up to 2^63 without exponent or
// fraction ("42", "-3"), others in shortest round-trip form ("0.25", "1.5e-07"), and the
// specials spelled "+Inf", "-Inf", "NaN".
std::string format_value(double value);
// Help text with `\` and newline escaped (`\\`, `\n`).
std::string escape_help(std::string_view help);
// A label value with `\`, `"` and newline escaped (`\\`, `\"`, `\n`).
std::string escape_label_value(std::string_view value);

}  // namespace chatd::metrics
