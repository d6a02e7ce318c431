#include "metrics/text_exposition.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "metrics/registry.hpp"

namespace chatd::metrics {

namespace {

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::trunc(value) && std::fabs(value) < 9.2e18) {
    // Counts and byte totals are integral; writing them as integers keeps "1e+06" out of the
    // text for values people read. 9.2e18 stays inside int64_t.
    char buffer[24];
    const auto result =
        std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(value));
    out.append(buffer, result.ptr);
  } else {
    // Shortest form that parses back to the same double (Go's ParseFloat reads "1.5e-07").
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
  }
}

void append_count(std::string& out, std::uint64_t count) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, count);
  out.append(buffer, result.ptr);
}

void append_escaped(std::string& out, std::string_view text, bool escape_quote) {
  for (const char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '"':
        if (escape_quote) {
          out += "\\\"";
          break;
        }
        [[fallthrough]];
      default: out += c;
    }
  }
}

// {a="x",b="y"} plus an optional `le` last; nothing when there are no labels at all.
void append_labels(std::string& out, const label_pairs& labels, const double* le) {
  if (labels.empty() && le == nullptr) return;
  out += '{';
  bool first = true;
  for (const label_pair& label : labels) {
    if (!first) out += ',';
    first = false;
    out += label.name;
    out += "=\"";
    append_escaped(out, label.value, true);
    out += '"';
  }
  if (le != nullptr) {
    if (!first) out += ',';
    out += "le=\"";
    append_value(out, *le);
    out += '"';
  }
  out += '}';
}

void append_header(std::string& out, const family_snapshot& family) {
  if (!family.help.empty()) {
    out += "# HELP ";
    out += family.name;
    out += ' ';
    append_escaped(out, family.help, false);
    out += '\n';
  }
  out += "# TYPE ";
  out += family.name;
  out += ' ';
  out += to_string(family.type);
  out += '\n';
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix,
                   const label_pairs& labels, const double* le) {
  out += name;
  out += suffix;
  append_labels(out, labels, le);
  out += ' ';
}

void append_histogram(std::string& out, const family_snapshot& family,
                      const series_snapshot& series) {
  for (const bucket_snapshot& bucket : series.buckets) {
    append_sample(out, family.name, "_bucket", series.labels, &bucket.upper_bound);
    append_count(out, bucket.cumulative_count);
    out += '\n';
  }
  append_sample(out, family.name, "_sum", series.labels, nullptr);
  append_value(out, series.sum);
  out += '\n';
  append_sample(out, family.name, "_count", series.labels, nullptr);
  append_count(out, series.count);
  out += '\n';
}

}  // namespace

std::string render_text(const std::vector<family_snapshot>& families) {
  std::string out;
  out.reserve(families.size() * 160);  // a guess that saves most regrowth for small series sets
  for (const family_snapshot& family : families) {
    append_header(out, family);
    for (const series_snapshot& series : family.series) {
      if (family.type == metric_type::histogram) {
        append_histogram(out, family, series);
      } else {
        append_sample(out, family.name, "", series.labels, nullptr);
        append_value(out, series.value);
        out += '\n';
      }
    }
  }
  return out;
}

std::string render_text(const registry& reg) { return render_text(reg.collect()); }

std::string format_value(double value) {
  std::string out;
  append_value(out, value);
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  append_escaped(out, help, false);
  return out;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  append_escaped(out, value, true);
  return out;
}

}  // namespace chatd::metrics
