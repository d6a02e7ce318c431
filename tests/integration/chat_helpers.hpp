// Small helpers shared by the integration tests (header-only; the test target compiles only
// *_test.cpp, test_client.cpp and server_process.cpp).
#pragma once

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/server_process.hpp"
#include "integration/test_client.hpp"

namespace chatd::integration {

using nlohmann::json;

// Connects and registers a JSON client (see test_client::register_json).
inline test_client json_client(const server_process& server, std::string_view nick,
                               std::string_view auto_join_room = "lobby") {
  test_client client(server.port(), std::string(nick));
  client.register_json(nick, auto_join_room);
  return client;
}

// Connects a human-format client and reads the welcome (at least one "* " line, read up to a
// /ping round-trip). Returns the welcome lines.
inline std::vector<std::string> read_human_welcome(test_client& client) {
  auto lines = client.sync_human();
  if (lines.empty()) throw protocol_failure(client.label() + ": no welcome line");
  for (const auto& line : lines) {
    if (line.rfind("* ", 0) != 0) {
      throw protocol_failure(client.label() + ": welcome line without '* ': " + printable(line));
    }
  }
  return lines;
}

// Connects a human-format client and registers it as `nick`; the welcome, the nick notice and
// its automatic join are read up to a /ping round-trip, so nothing is pending. Returns the
// lines after the nick in `after_nick`, if given.
inline test_client human_client(const server_process& server, const std::string& nick,
                                std::vector<std::string>* after_nick = nullptr) {
  test_client client(server.port(), nick);
  read_human_welcome(client);
  client.send_line("/nick " + nick);
  auto lines = client.sync_human();
  if (after_nick) *after_nick = std::move(lines);
  return client;
}

// The "members" array of a join ok or who reply, as a set (the order is not specified).
inline std::set<std::string> member_set(const json& reply) {
  std::set<std::string> out;
  for (const auto& m : reply.at("members")) out.insert(m.get<std::string>());
  return out;
}

// ISO 8601 date and time with a zone, e.g. "2026-11-22T01:56:35.123Z".
inline bool is_iso8601(const json& value) {
  static const std::regex pattern(
      R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2}))");
  return value.is_string() && std::regex_match(value.get<std::string>(), pattern);
}

// Checks a live (not replayed) room message.
inline void check_msg(const json& msg, std::string_view room, std::string_view from,
                      std::string_view text, bool action = false) {
  EXPECT_EQ(msg.value("type", ""), "msg") << msg.dump();
  EXPECT_EQ(msg.value("room", ""), room) << msg.dump();
  EXPECT_EQ(msg.value("from", ""), from) << msg.dump();
  EXPECT_EQ(msg.value("text", ""), text) << msg.dump();
  EXPECT_TRUE(msg.contains("seq") && msg["seq"].is_number_unsigned()) << msg.dump();
  EXPECT_TRUE(msg.contains("ts") && is_iso8601(msg["ts"])) << msg.dump();
  EXPECT_TRUE(msg.contains("action") && msg["action"].is_boolean()) << msg.dump();
  EXPECT_EQ(msg.value("action", !action), action) << msg.dump();
  EXPECT_FALSE(msg.value("history", false)) << "live message marked as history: " << msg.dump();
}

// Limits that keep flood control (a later issue) out of tests that send many lines quickly.
inline constexpr std::string_view fast_limits_yaml =
    "limits:\n"
    "  rate: 100000\n"
    "  burst: 100000\n"
    "  max_outbound_bytes: 64MiB\n";

}  // namespace chatd::integration
