#include "metrics/process_metrics.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "metrics/proc_files.hpp"
#include "metrics/registry.hpp"
#include "metrics/text_exposition.hpp"

namespace chatd::metrics {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(ProcessMetrics, ReportsPlausibleValuesForThisProcess) {
  const double rss = read_resident_memory_bytes();
  const double vsize = read_virtual_memory_bytes();
  EXPECT_GT(rss, 0);
  EXPECT_GE(vsize, rss);
  EXPECT_GT(read_open_fds(), 0);  // at least stdin, stdout, stderr
  EXPECT_GT(read_max_fds(), 0);
  EXPECT_GE(read_cpu_seconds(), 0);
  const double start = read_start_time_seconds();
  EXPECT_LE(start, now_seconds() + 1);
  EXPECT_GT(start, now_seconds() - 600);  // this test binary started moments ago
}

TEST(ProcessMetrics, OpenFdsFollowsDescriptorsOpenedAndClosed) {
  const double before = read_open_fds();
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(read_open_fds(), before + 1);
  ::close(fd);
  EXPECT_EQ(read_open_fds(), before);
}

TEST(ProcessMetrics, RegistersTheStandardNamesWithTheirTypes) {
  registry reg;
  add_process_metrics(reg);
  const std::string text = render_text(reg);
  for (const char* line : {"# TYPE process_resident_memory_bytes gauge\n",
                           "# TYPE process_virtual_memory_bytes gauge\n",
                           "# TYPE process_open_fds gauge\n", "# TYPE process_max_fds gauge\n",
                           "# TYPE process_cpu_seconds_total counter\n",
                           "# TYPE process_start_time_seconds gauge\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(text.find("NaN"), std::string::npos) << text;
  EXPECT_THROW(add_process_metrics(reg), std::invalid_argument);  // names are taken
}

TEST(ProcessMetricsParsing, ReadsStatFieldsAfterACommandWithSpacesAndParentheses) {
  // Fields 3..24 after the command: state ppid pgrp session tty tpgid flags minflt cminflt
  // majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss
  const std::string line =
      "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 "
      "250 50 0 0 20 0 1 0 987654 123456789 321 18446744073709551615 1 1 0 0\n";
  const auto stat = parse_proc_stat(line);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->utime_ticks, 250u);
  EXPECT_EQ(stat->stime_ticks, 50u);
  EXPECT_EQ(stat->starttime_ticks, 987654u);
  EXPECT_EQ(stat->vsize_bytes, 123456789u);
  EXPECT_EQ(stat->rss_pages, 321);
}

TEST(ProcessMetricsParsing, RejectsTruncatedOrGarbledStat) {
  EXPECT_FALSE(parse_proc_stat(""));
  EXPECT_FALSE(parse_proc_stat("1234 (cmd) S 1 2 3"));
  EXPECT_FALSE(parse_proc_stat("1234 cmd S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 "
                               "1 0 987654 123456789 321"));
  EXPECT_FALSE(parse_proc_stat("1 (c) S 1 1 1 0 -1 0 0 0 0 0 x 50 0 0 20 0 1 0 9 9 9"));
}

TEST(ProcessMetricsParsing, ReadsStatmSizes) {
  const auto statm = parse_proc_statm("5000 1200 300 10 0 900 0\n");
  ASSERT_TRUE(statm);
  EXPECT_EQ(statm->size_pages, 5000u);
  EXPECT_EQ(statm->resident_pages, 1200u);
  EXPECT_FALSE(parse_proc_statm("5000"));
}

TEST(ProcessMetricsParsing, FindsBootTimeInProcStat) {
  const std::string text =
      "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 12345\nctxt 99\nbtime 1700000000\nprocesses 42\n";
  EXPECT_EQ(parse_boot_time(text), 1700000000u);
  EXPECT_FALSE(parse_boot_time("cpu 1 2 3\nctxt 5\n"));
}

TEST(ProcessMetricsParsing, ReadsTheSoftLimitOnOpenFiles) {
  const std::string limits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 1048576              files     \n"
      "Max locked memory         8388608              8388608              bytes     \n";
  EXPECT_EQ(parse_max_open_files(limits), 1024);
  EXPECT_EQ(parse_max_open_files("Max open files            unlimited            unlimited "
                                 "           files\n"),
            std::numeric_limits<double>::infinity());
  EXPECT_FALSE(parse_max_open_files("Max cpu time unlimited unlimited seconds\n"));
}

TEST(ProcessMetricsParsing, ReadProcFileReadsUntilEofAndReportsMissingFiles) {
  const auto text = read_proc_file("/proc/self/status");
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("Name:"), std::string::npos);
  EXPECT_FALSE(read_proc_file("/proc/self/no-such-file"));
}

}  // namespace
}  // namespace chatd::metrics
