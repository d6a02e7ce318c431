#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace chatd::metrics {
namespace {

const family_snapshot& find(const std::vector<family_snapshot>& families, const std::string& name) {
  for (const auto& f : families)
    if (f.name == name) return f;
  throw std::runtime_error("no family " + name);
}

TEST(MetricsRegistry, CounterStartsAtZeroAndOnlyGoesUp) {
  registry reg;
  counter& c = reg.add_counter("events_total", "Events.").add({});
  EXPECT_EQ(c.value(), 0);
  c.inc();
  c.inc(2.5);
  c.inc(-10);  // ignored: counters never go down
  EXPECT_EQ(c.value(), 3.5);
}

TEST(MetricsRegistry, GaugeSetsIncrementsAndDecrements) {
  registry reg;
  gauge& g = reg.add_gauge("level", "Level.").add({});
  g.set(10);
  g.inc();
  g.dec(4);
  EXPECT_EQ(g.value(), 7);
  g.dec(20);
  EXPECT_EQ(g.value(), -13);
}

TEST(MetricsRegistry, AddWithTheSameLabelsReturnsTheSameSeries) {
  registry reg;
  auto& fam = reg.add_counter("disconnects_total", "Disconnects.", {"reason"});
  counter& quit = fam.add({{"reason", "quit"}});
  counter& again = fam.add({{"reason", "quit"}});
  counter& reset = fam.add({{"reason", "reset"}});
  EXPECT_EQ(&quit, &again);
  EXPECT_NE(&quit, &reset);
  EXPECT_EQ(fam.size(), 2u);
}

TEST(MetricsRegistry, SeriesReferencesStayValidAsMoreSeriesAndFamiliesAreAdded) {
  registry reg;
  auto& fam = reg.add_counter("commands_total", "Commands.", {"command"});
  counter& first = fam.add({{"command", "a"}});
  first.inc();
  for (int i = 0; i < 1000; ++i) fam.add({{"command", "c" + std::to_string(i)}}).inc();
  for (int i = 0; i < 100; ++i) reg.add_gauge("g" + std::to_string(i), "G.");
  first.inc();
  EXPECT_EQ(&fam.add({{"command", "a"}}), &first);
  EXPECT_EQ(first.value(), 2);
}

TEST(MetricsRegistry, MovingTheRegistryKeepsReferencesValid) {
  registry reg;
  counter& c = reg.add_counter("moved_total", "Moved.").add({});
  registry moved = std::move(reg);
  c.inc(5);
  EXPECT_EQ(moved.collect().at(0).series.at(0).value, 5);
}

TEST(MetricsRegistry, AddRejectsLabelsThatDoNotMatchTheFamily) {
  registry reg;
  auto& fam = reg.add_counter("errors_total", "Errors.", {"code"});
  EXPECT_THROW(fam.add({}), std::invalid_argument);
  EXPECT_THROW(fam.add({{"kode", "x"}}), std::invalid_argument);
  EXPECT_THROW(fam.add({{"code", "x"}, {"extra", "y"}}), std::invalid_argument);
  auto& plain = reg.add_gauge("plain", "Plain.");
  EXPECT_THROW(plain.add({{"code", "x"}}), std::invalid_argument);
}

TEST(MetricsRegistry, RejectsInvalidOrDuplicateFamilies) {
  registry reg;
  reg.add_counter("a_total", "A.");
  reg.add_histogram("lat_seconds", "Latency.");
  EXPECT_THROW(reg.add_counter("a_total", "Again."), std::invalid_argument);
  EXPECT_THROW(reg.add_gauge("a_total", "Same name, other type."), std::invalid_argument);
  EXPECT_THROW(reg.add_gauge("lat_seconds_count", "Clashes with the histogram."),
               std::invalid_argument);
  EXPECT_THROW(reg.add_counter("no_suffix", "Counter without _total."), std::invalid_argument);
  EXPECT_THROW(reg.add_gauge("1bad", "Starts with a digit."), std::invalid_argument);
  EXPECT_THROW(reg.add_gauge("bad-name", "Dash."), std::invalid_argument);
  EXPECT_THROW(reg.add_gauge("g", "Bad label.", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(reg.add_gauge("g2", "Reserved label.", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(reg.add_gauge("g3", "Repeated label.", {"x", "x"}), std::invalid_argument);
  EXPECT_THROW(reg.add_histogram("h", "le is the bucket label.", {"le"}), std::invalid_argument);
  EXPECT_EQ(reg.size(), 2u);
}

TEST(MetricsRegistry, AcceptsColonsInMetricNamesAndUnderscoresInLabels) {
  registry reg;
  EXPECT_NO_THROW(reg.add_gauge("job:rate:sum", "Recording-rule style name.", {"_a", "b_2"}));
}

TEST(MetricsRegistry, CollectsFamiliesInRegistrationOrderAndSkipsEmptyOnes) {
  registry reg;
  reg.add_gauge("zeta", "Z.").add({});
  reg.add_counter("unused_total", "No series yet.", {"x"});
  reg.add_gauge("alpha", "A.").add({});
  const auto families = reg.collect();
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "zeta");
  EXPECT_EQ(families[1].name, "alpha");
}

TEST(MetricsRegistry, CollectsSeriesInLabelValueOrderWithLabelsInDeclaredOrder) {
  registry reg;
  auto& fam = reg.add_counter("req_total", "Requests.", {"path", "code"});
  fam.add({{"path", "/b"}, {"code", "200"}}).inc();
  fam.add({{"code", "404"}, {"path", "/a"}}).inc(2);
  const auto f = find(reg.collect(), "req_total");
  ASSERT_EQ(f.series.size(), 2u);
  EXPECT_EQ(f.type, metric_type::counter);
  EXPECT_EQ(f.series[0].labels, (label_pairs{{"path", "/a"}, {"code", "404"}}));
  EXPECT_EQ(f.series[0].value, 2);
  EXPECT_EQ(f.series[1].labels, (label_pairs{{"path", "/b"}, {"code", "200"}}));
}

TEST(MetricsRegistry, CallbackSeriesAreEvaluatedAtEveryCollect) {
  registry reg;
  double rooms = 3;
  reg.add_callback_gauge("rooms", "Rooms.").add({}, [&] { return rooms; });
  double cpu = 1.5;
  reg.add_callback_counter("cpu_total", "CPU.").add({}, [&] { return cpu; });
  auto first = reg.collect();
  EXPECT_EQ(find(first, "rooms").series[0].value, 3);
  EXPECT_EQ(find(first, "rooms").type, metric_type::gauge);
  EXPECT_EQ(find(first, "cpu_total").type, metric_type::counter);
  rooms = 5;
  cpu = 2;
  auto second = reg.collect();
  EXPECT_EQ(find(second, "rooms").series[0].value, 5);
  EXPECT_EQ(find(second, "cpu_total").series[0].value, 2);
}

TEST(MetricsRegistry, CallbackSeriesNeedAFunction) {
  registry reg;
  auto& fam = reg.add_callback_gauge("cb", "Callback.");
  EXPECT_THROW(fam.add({}, value_function{}), std::invalid_argument);
}

TEST(MetricsHistogram, CountsEachObservationInTheFirstBucketItFitsAndCumulatesOnCollect) {
  histogram h({0.25, 0.5, 1});
  for (double v : {0.125, 0.25, 0.375, 2.0}) h.observe(v);  // 0.25 is "<= 0.25": first bucket
  series_snapshot s;
  h.collect(s);
  ASSERT_EQ(s.buckets.size(), 4u);
  EXPECT_EQ(s.buckets[0].upper_bound, 0.25);
  EXPECT_EQ(s.buckets[0].cumulative_count, 2u);
  EXPECT_EQ(s.buckets[1].cumulative_count, 3u);
  EXPECT_EQ(s.buckets[2].cumulative_count, 3u);
  EXPECT_EQ(s.buckets[3].upper_bound, std::numeric_limits<double>::infinity());
  EXPECT_EQ(s.buckets[3].cumulative_count, 4u);
  EXPECT_EQ(s.count, 4u);
  EXPECT_EQ(s.sum, 2.75);
}

TEST(MetricsHistogram, PutsNaNAndValuesAboveTheLastBoundInTheInfBucketOnly) {
  histogram h({1, 2});
  h.observe(std::numeric_limits<double>::quiet_NaN());
  h.observe(1e9);
  h.observe(-5);  // below every bound: first bucket
  series_snapshot s;
  h.collect(s);
  EXPECT_EQ(s.buckets[0].cumulative_count, 1u);
  EXPECT_EQ(s.buckets[1].cumulative_count, 1u);
  EXPECT_EQ(s.buckets[2].cumulative_count, 3u);
  EXPECT_TRUE(std::isnan(s.sum));
}

TEST(MetricsHistogram, AcceptsATrailingInfBoundAndRejectsBadBounds) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(histogram({1, 2, inf}).upper_bounds(), (std::vector<double>{1, 2}));
  EXPECT_NO_THROW(histogram(std::vector<double>{}));
  EXPECT_THROW(histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(histogram({1, std::nan("")}), std::invalid_argument);
  EXPECT_THROW(histogram({-inf, 1}), std::invalid_argument);
}

TEST(MetricsHistogram, FamilySeriesTakeTheirBoundsWhenFirstAdded) {
  registry reg;
  auto& fam = reg.add_histogram("fanout_seconds", "Fan-out.", {"room"});
  histogram& h = fam.add({{"room", "lobby"}}, std::vector<double>{0.001, 0.01});
  EXPECT_EQ(h.upper_bounds().size(), 2u);
  EXPECT_EQ(&fam.add({{"room", "lobby"}}, default_buckets()), &h);  // existing: bounds ignored
  EXPECT_EQ(h.upper_bounds().size(), 2u);
}

TEST(MetricsHistogram, BucketHelpersBuildTheExpectedBounds) {
  EXPECT_EQ(exponential_buckets(0.25, 2, 4), (std::vector<double>{0.25, 0.5, 1, 2}));
  EXPECT_EQ(linear_buckets(1, 2, 3), (std::vector<double>{1, 3, 5}));
  EXPECT_EQ(default_buckets().front(), 0.005);
  EXPECT_EQ(default_buckets().back(), 10);
  EXPECT_THROW(exponential_buckets(0, 2, 3), std::invalid_argument);
  EXPECT_THROW(exponential_buckets(1, 1, 3), std::invalid_argument);
  EXPECT_THROW(linear_buckets(0, 0, 3), std::invalid_argument);
}

}  // namespace
}  // namespace chatd::metrics
