// End to end with the real netcat (netcat-openbsd): a user pipes three lines into nc.
#include <gtest/gtest.h>

#include <sstream>

#include "integration/chat_helpers.hpp"
#include "integration/child_process.hpp"

using namespace chatd::integration;

namespace {

std::vector<std::string> split_crlf_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find("\r\n", start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));  // unterminated tail (a failure for the caller)
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

}  // namespace

TEST(NetcatEndToEnd, PipedNcSessionRegistersChatsAndQuits) {
  const std::string nc = find_on_path("nc");
  if (nc.empty()) GTEST_SKIP() << "nc (netcat-openbsd) is not installed; apt-get install netcat-openbsd";

  server_process server;
  test_client bob = json_client(server, "bob");

  // The user's three lines come from a file, as from `printf ... | nc`: nc reads them, sends
  // them and sees the end of its input at once. -q 1: quit one second after stdin ends at the
  // latest; the server's close usually ends it sooner. Killed by its PID after 15 s.
  temp_dir dir("chatd-nc");
  write_file_text(dir.file("input.txt"), "alice\nhello from nc\n/quit off to lunch\n");
  spawn_options input;
  input.stdin_path = dir.file("input.txt");
  const program_result run = run_program(
      {nc, "-q", "1", "127.0.0.1", std::to_string(server.port())}, std::chrono::seconds(15), input);
  ASSERT_TRUE(run.exit_code.has_value()) << "nc did not finish; output:\n" << printable(run.output);
  EXPECT_EQ(*run.exit_code, 0) << printable(run.output);

  json join = bob.expect_json("join");
  EXPECT_EQ(join["room"], "lobby");
  EXPECT_EQ(join["nick"], "alice");
  check_msg(bob.expect_json("msg"), "lobby", "alice", "hello from nc");
  json quit = bob.expect_json("quit");
  EXPECT_EQ(quit["nick"], "alice");
  EXPECT_EQ(quit["reason"], "off to lunch");
  bob.expect_quiet_json();

  // What the nc user saw: the welcome first, the goodbye last, every line a CRLF-terminated
  // human line, and no message echoed back.
  ASSERT_GE(run.output.size(), 2u);
  EXPECT_EQ(run.output.substr(run.output.size() - 2), "\r\n") << printable(run.output);
  auto lines = split_crlf_lines(run.output);
  ASSERT_GE(lines.size(), 2u) << printable(run.output);
  EXPECT_EQ(lines.front().rfind("* ", 0), 0u) << printable(lines.front());
  EXPECT_NE(lines.front().find("chatd"), std::string::npos) << printable(lines.front());
  EXPECT_EQ(lines.back().rfind("* ", 0), 0u) << printable(lines.back());
  EXPECT_TRUE(lines.back().find("bye") != std::string::npos ||
              lines.back().find("Bye") != std::string::npos)
      << "the last line should be the goodbye: " << printable(lines.back());
  for (const auto& line : lines) {
    EXPECT_EQ(line.rfind("* ", 0), 0u) << printable(line);
    EXPECT_EQ(line.find("hello from nc"), std::string::npos) << printable(line);
  }
}
