#include "metrics/text_exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "metrics/registry.hpp"

namespace chatd::metrics {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

TEST(TextExposition, ContentTypeIsPrometheusTextVersion004) {
  EXPECT_EQ(text_content_type, "text/plain; version=0.0.4; charset=utf-8");
}

TEST(TextExposition, RendersCountersGaugesAndLabelsAsGoldenText) {
  registry reg;
  reg.add_counter("chatd_connections_accepted_total", "Connections accepted.").add({}).inc(7);
  auto& disconnects =
      reg.add_counter("chatd_disconnects_total", "Connections ended, by reason.", {"reason"});
  disconnects.add({{"reason", "quit"}}).inc(2);
  disconnects.add({{"reason", "idle-timeout"}}).inc();
  reg.add_gauge("chatd_connections_active", "Connections open now.").add({}).set(3);
  reg.add_gauge("chatd_build_info", "Build version.", {"version"})
      .add({{"version", "0.1.0"}})
      .set(1);

  EXPECT_EQ(render_text(reg),
            "# HELP chatd_connections_accepted_total Connections accepted.\n"
            "# TYPE chatd_connections_accepted_total counter\n"
            "chatd_connections_accepted_total 7\n"
            "# HELP chatd_disconnects_total Connections ended, by reason.\n"
            "# TYPE chatd_disconnects_total counter\n"
            "chatd_disconnects_total{reason=\"idle-timeout\"} 1\n"
            "chatd_disconnects_total{reason=\"quit\"} 2\n"
            "# HELP chatd_connections_active Connections open now.\n"
            "# TYPE chatd_connections_active gauge\n"
            "chatd_connections_active 3\n"
            "# HELP chatd_build_info Build version.\n"
            "# TYPE chatd_build_info gauge\n"
            "chatd_build_info{version=\"0.1.0\"} 1\n");
}

TEST(TextExposition, RendersHistogramBucketsCumulativelyWithInfSumAndCount) {
  registry reg;
  auto& fam = reg.add_histogram("chatd_fanout_seconds", "Arrival to hand-off.", {"kind"});
  histogram& h = fam.add({{"kind", "room"}}, std::vector<double>{0.25, 0.5, 1});
  for (double v : {0.125, 0.25, 0.375, 2.0}) h.observe(v);
  fam.add({{"kind", "private"}}, std::vector<double>{0.5});

  EXPECT_EQ(render_text(reg),
            "# HELP chatd_fanout_seconds Arrival to hand-off.\n"
            "# TYPE chatd_fanout_seconds histogram\n"
            "chatd_fanout_seconds_bucket{kind=\"private\",le=\"0.5\"} 0\n"
            "chatd_fanout_seconds_bucket{kind=\"private\",le=\"+Inf\"} 0\n"
            "chatd_fanout_seconds_sum{kind=\"private\"} 0\n"
            "chatd_fanout_seconds_count{kind=\"private\"} 0\n"
            "chatd_fanout_seconds_bucket{kind=\"room\",le=\"0.25\"} 2\n"
            "chatd_fanout_seconds_bucket{kind=\"room\",le=\"0.5\"} 3\n"
            "chatd_fanout_seconds_bucket{kind=\"room\",le=\"1\"} 3\n"
            "chatd_fanout_seconds_bucket{kind=\"room\",le=\"+Inf\"} 4\n"
            "chatd_fanout_seconds_sum{kind=\"room\"} 2.75\n"
            "chatd_fanout_seconds_count{kind=\"room\"} 4\n");
}

TEST(TextExposition, RendersAnUnlabelledHistogramWithOnlyTheLeLabel) {
  registry reg;
  histogram& lag = reg.add_histogram("chatd_event_loop_lag_seconds", "Timer lateness.")
                       .add({}, std::vector<double>{0.001, 0.01});
  lag.observe(0.0005);
  lag.observe(0.5);
  EXPECT_EQ(render_text(reg),
            "# HELP chatd_event_loop_lag_seconds Timer lateness.\n"
            "# TYPE chatd_event_loop_lag_seconds histogram\n"
            "chatd_event_loop_lag_seconds_bucket{le=\"0.001\"} 1\n"
            "chatd_event_loop_lag_seconds_bucket{le=\"0.01\"} 1\n"
            "chatd_event_loop_lag_seconds_bucket{le=\"+Inf\"} 2\n"
            "chatd_event_loop_lag_seconds_sum 0.5005\n"
            "chatd_event_loop_lag_seconds_count 2\n");
}

TEST(TextExposition, EscapesBackslashQuoteAndNewlineInLabelValues) {
  registry reg;
  reg.add_counter("odd_total", "Odd labels.", {"v"})
      .add({{"v", "a\\b\"c\nd"}})
      .inc();
  EXPECT_EQ(render_text(reg),
            "# HELP odd_total Odd labels.\n"
            "# TYPE odd_total counter\n"
            "odd_total{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(TextExposition, EscapesBackslashAndNewlineButNotQuotesInHelp) {
  registry reg;
  reg.add_gauge("g", "Path C:\\tmp\nsecond \"line\"").add({});
  EXPECT_EQ(render_text(reg),
            "# HELP g Path C:\\\\tmp\\nsecond \"line\"\n"
            "# TYPE g gauge\n"
            "g 0\n");
}

TEST(TextExposition, LeavesOutHelpWhenEmptyAndUtf8Untouched) {
  std::vector<family_snapshot> families{
      {"g", "", metric_type::gauge, {series_snapshot{{{"room", "café ☕"}}, 1, {}, 0, 0}}}};
  EXPECT_EQ(render_text(families), "# TYPE g gauge\ng{room=\"café ☕\"} 1\n");
}

TEST(TextExposition, EscapeHelpersCoverEachSpecialCharacter) {
  EXPECT_EQ(escape_help("a\\b\nc\"d"), "a\\\\b\\nc\"d");
  EXPECT_EQ(escape_label_value("a\\b\nc\"d"), "a\\\\b\\nc\\\"d");
  EXPECT_EQ(escape_label_value("plain"), "plain");
}

TEST(TextExposition, FormatsValuesAsPrometheusParsesThem) {
  struct row {
    double value;
    const char* text;
  };
  const row rows[] = {
      {0, "0"},
      {-0.0, "0"},
      {42, "42"},
      {-3, "-3"},
      {1e6, "1000000"},
      {9007199254740993.0, "9007199254740992"},  // 2^53 + 1 is not a double; 2^53 is
      {1e18, "1000000000000000000"},
      {1e19, "1e+19"},
      {0.25, "0.25"},
      {0.1, "0.1"},
      {2.5, "2.5"},
      {1.5e-7, "1.5e-07"},
      {-0.001, "-0.001"},
      {inf, "+Inf"},
      {-inf, "-Inf"},
      {std::numeric_limits<double>::quiet_NaN(), "NaN"},
  };
  for (const row& r : rows) EXPECT_EQ(format_value(r.value), r.text) << r.text;
}

TEST(TextExposition, RendersSpecialValuesInSamples) {
  std::vector<family_snapshot> families{
      {"g", "G.", metric_type::gauge,
       {series_snapshot{{{"k", "nan"}}, std::nan(""), {}, 0, 0},
        series_snapshot{{{"k", "inf"}}, inf, {}, 0, 0}}}};
  EXPECT_EQ(render_text(families),
            "# HELP g G.\n# TYPE g gauge\ng{k=\"nan\"} NaN\ng{k=\"inf\"} +Inf\n");
}

TEST(TextExposition, RendersNothingForAnEmptyRegistry) {
  registry reg;
  reg.add_counter("unused_total", "No series.", {"x"});
  EXPECT_EQ(render_text(reg), "");
}

}  // namespace
}  // namespace chatd::metrics
