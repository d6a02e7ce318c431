// Reads a Prometheus text exposition (format 0.0.4) into samples, so that tests can look values
// up by name and labels (header-only; the test target compiles only *_test.cpp, test_client.cpp
// and server_process.cpp).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace chatd::integration {

using metric_labels = std::map<std::string, std::string>;

struct metric_sample {
  std::string name;  // with its suffix: "chatd_fanout_seconds_bucket", "..._total"
  metric_labels labels;
  double value = 0;
};

// The samples of one scrape. Comment lines (# HELP, # TYPE) and blank lines are skipped; any
// other line that is not `name[{label="value",...}] value` throws std::runtime_error, so a
// malformed exposition fails the test that reads it.
class metrics_text {
 public:
  explicit metrics_text(std::string_view text) {
    std::size_t line_no = 0;
    while (!text.empty()) {
      const auto end = text.find('\n');
      const std::string_view line = text.substr(0, end);
      text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
      ++line_no;
      if (line.empty() || line.front() == '#') continue;
      samples_.push_back(parse_line(line, line_no));
    }
  }

  const std::vector<metric_sample>& samples() const noexcept { return samples_; }

  // The value of the sample with exactly this name and these labels, or nullopt.
  std::optional<double> find(std::string_view name, const metric_labels& labels = {}) const {
    for (const auto& s : samples_)
      if (s.name == name && s.labels == labels) return s.value;
    return std::nullopt;
  }

  // Like find, but a missing sample throws (naming it).
  double value(std::string_view name, const metric_labels& labels = {}) const {
    if (const auto v = find(name, labels)) return *v;
    std::string what = "no sample " + std::string(name) + "{";
    for (const auto& [k, v] : labels) what += k + "=\"" + v + "\",";
    throw std::runtime_error(what + "} in the scrape");
  }

  // Every sample called `name`, by the value of its label `label` (e.g. reason -> count).
  std::map<std::string, double> by_label(std::string_view name, const std::string& label) const {
    std::map<std::string, double> out;
    for (const auto& s : samples_) {
      if (s.name != name) continue;
      const auto it = s.labels.find(label);
      if (it != s.labels.end()) out[it->second] = s.value;
    }
    return out;
  }

 private:
  [[noreturn]] static void fail(std::size_t line_no, std::string_view line, const char* why) {
    throw std::runtime_error("metrics line " + std::to_string(line_no) + ": " + why + ": " +
                             std::string(line));
  }

  static bool name_char(char c, bool first) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    return alpha || (!first && c >= '0' && c <= '9');
  }

  static metric_sample parse_line(std::string_view line, std::size_t line_no) {
    metric_sample sample;
    std::size_t i = 0;
    while (i < line.size() && name_char(line[i], i == 0)) ++i;
    if (i == 0) fail(line_no, line, "no metric name");
    sample.name = std::string(line.substr(0, i));
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const std::size_t key_start = i;
        while (i < line.size() && name_char(line[i], i == key_start)) ++i;
        const std::string key(line.substr(key_start, i - key_start));
        if (key.empty() || line.substr(i, 2) != "=\"") fail(line_no, line, "bad label");
        i += 2;
        std::string value;
        for (;; ++i) {
          if (i >= line.size()) fail(line_no, line, "unterminated label value");
          const char c = line[i];
          if (c == '"') break;
          if (c == '\\') {
            if (++i >= line.size()) fail(line_no, line, "unterminated escape");
            const char e = line[i];
            if (e == 'n') {
              value += '\n';
            } else if (e == '\\' || e == '"') {
              value += e;
            } else {
              fail(line_no, line, "bad escape in label value");
            }
          } else {
            value += c;
          }
        }
        ++i;  // the closing quote
        if (!sample.labels.emplace(key, std::move(value)).second)
          fail(line_no, line, "repeated label");
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) fail(line_no, line, "unterminated label set");
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') fail(line_no, line, "no space before the value");
    const std::string rest(line.substr(i + 1));
    std::istringstream in(rest);
    std::string number, timestamp;
    in >> number >> timestamp;
    if (number == "+Inf") {
      sample.value = std::numeric_limits<double>::infinity();
    } else if (number == "-Inf") {
      sample.value = -std::numeric_limits<double>::infinity();
    } else if (number == "NaN") {
      sample.value = std::numeric_limits<double>::quiet_NaN();
    } else {
      std::size_t used = 0;
      try {
        sample.value = std::stod(number, &used);
      } catch (const std::exception&) {
        fail(line_no, line, "bad value");
      }
      if (used != number.size()) fail(line_no, line, "bad value");
    }
    return sample;
  }

  std::vector<metric_sample> samples_;
};

}  // namespace chatd::integration
