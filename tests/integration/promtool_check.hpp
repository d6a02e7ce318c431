// `promtool check metrics` (Debian package prometheus) on a scrape: the exposition format as
// Prometheus's own linter reads it. A missing promtool fails, as a test package should.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "integration/child_process.hpp"

namespace chatd::integration {

inline ::testing::AssertionResult promtool_accepts(const std::string& exposition) {
  const std::string promtool = find_on_path("promtool");
  if (promtool.empty()) {
    return ::testing::AssertionFailure()
           << "promtool is not installed: the tests need the Debian package prometheus "
              "(deploy/quickstart.sh test installs it)";
  }
  temp_dir dir("chatd-promtool");
  write_file_text(dir.file("scrape.txt"), exposition);
  spawn_options input;
  input.stdin_path = dir.file("scrape.txt");
  const program_result check =
      run_program({promtool, "check", "metrics"}, std::chrono::seconds(30), input);
  if (!check.exit_code) return ::testing::AssertionFailure() << "promtool did not finish";
  if (*check.exit_code != 0 || !check.output.empty()) {
    return ::testing::AssertionFailure()
           << "promtool check metrics exited " << *check.exit_code << ": " << check.output;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace chatd::integration
