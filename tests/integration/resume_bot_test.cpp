// The README's resuming bot, run as a user would run it: bash, the real nc and jq against the
// real server. Its connection is cut by the server's idle timeout (a flaky link, for the bot);
// messages said while it is away reach it on its next connection, each exactly once, in order.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "integration/chat_helpers.hpp"
#include "integration/child_process.hpp"
#include "integration/metrics_helpers.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;

namespace {

const std::string script_path = std::string(CHATD_SOURCE_DIR) + "/docs/examples/resume-bot.sh";

// The "#SEQ from: text" lines the bot printed, in order.
std::vector<std::string> printed(const std::string& output) {
  std::vector<std::string> lines;
  static const std::regex line(R"(#\d+ [^\n]*)");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), line);
       it != std::sregex_iterator(); ++it)
    lines.push_back(it->str());
  return lines;
}

}  // namespace

TEST(ResumeBot, TheReadmeExampleIsTheScriptTested) {
  const std::string script = read_file_text(script_path);
  const std::string readme = read_file_text(std::string(CHATD_SOURCE_DIR) + "/README.md");
  // From the loop on: the README shows the whole loop as the file has it.
  const std::string loop = script.substr(script.find("[ -s dev.state ]"));
  EXPECT_NE(readme.find(loop), std::string::npos)
      << "README.md must show docs/examples/resume-bot.sh as it is";
}

TEST(ResumeBot, SeesEveryMessageOnceAcrossDisconnects) {
  const std::string nc = find_on_path("nc");
  const std::string jq = find_on_path("jq");
  if (nc.empty() || jq.empty()) GTEST_SKIP() << "needs nc (netcat-openbsd) and jq";

  // The bot only reads, so the idle timeout cuts it every second: a link that keeps dropping.
  auto args = metrics_listen_args();
  server_process server(
      "limits:\n  idle_timeout: 1s\n  rate: 10000\n  burst: 10000\nrooms:\n  default: \"\"\n", args);
  const std::uint16_t metrics = metrics_port(server);
  test_client alice = json_client(server, "alice", "");
  alice.send_line("/join dev");
  alice.expect_ok("join");

  temp_dir dir("chatd-resume-bot");
  spawn_options options;
  options.env = {"PORT=" + std::to_string(server.port()), "HOST=127.0.0.1"};
  options.stop_grace = 0ms;
  child_process bot({"bash", "-c", "cd '" + dir.file("") + "' && exec bash '" + script_path + "'"},
                    options);
  // Alice's answers, past the joins and quits of the bot coming and going.
  const auto answer = [&] {
    for (;;) {
      json line = alice.read_json();
      if (line["type"] != "join" && line["type"] != "quit") return line;
    }
  };
  // Alice keeps her own connection alive while waiting (a ping answers at once).
  const auto wait_until = [&](const std::function<bool()>& done, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < until) {
      alice.send_line("/ping");
      EXPECT_EQ(answer()["type"], "pong");
      std::this_thread::sleep_for(50ms);
    }
    return done();
  };
  const auto say = [&](int from, int to) {
    for (int i = from; i <= to; ++i) alice.send_line("m" + std::to_string(i));
    for (int i = from; i <= to; ++i) EXPECT_EQ(answer()["seq"], i);
  };
  const auto bot_has_seen = [&](std::size_t n) {
    return [&bot, n] { return printed(bot.output()).size() >= n; };
  };
  const auto disconnects = [&] {
    return scrape(metrics).find("chatd_disconnects_total", {{"reason", "idle-timeout"}}).value_or(0);
  };

  ASSERT_TRUE(wait_until([&] { return server.log().find("nick=resumer") != std::string::npos; }, 10s))
      << bot.output();
  say(1, 3);
  ASSERT_TRUE(wait_until(bot_has_seen(3), 10s)) << bot.output();
  // Cut off: the 30 that follow are said while the bot is away.
  const double cut_before = disconnects();
  ASSERT_TRUE(wait_until([&] { return disconnects() > cut_before; }, 10s));
  say(4, 33);
  ASSERT_TRUE(wait_until(bot_has_seen(33), 15s)) << bot.output();
  say(34, 34);  // and live again (or on the next resume: either way once)
  ASSERT_TRUE(wait_until(bot_has_seen(34), 15s)) << bot.output();

  const std::vector<std::string> lines = printed(bot.output());
  ASSERT_EQ(lines.size(), 34u) << bot.output();
  for (int i = 1; i <= 34; ++i) {
    EXPECT_EQ(lines[static_cast<std::size_t>(i - 1)],
              "#" + std::to_string(i) + " alice: m" + std::to_string(i));
  }
  // It came back by resuming: the joins with since were complete each time.
  const metrics_text m = scrape(metrics);
  EXPECT_GE(m.find("chatd_recoveries_total", {{"complete", "true"}}).value_or(0), 2);
  EXPECT_EQ(m.find("chatd_recoveries_total", {{"complete", "false"}}).value_or(-1), 0);
}
