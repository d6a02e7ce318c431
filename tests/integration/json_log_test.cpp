// log.format json on the real server: every line it writes is one JSON object, and connection
// lines carry their fields.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "integration/chat_helpers.hpp"

using namespace chatd::integration;

namespace {

std::vector<json> log_objects(const std::string& log) {
  std::vector<json> out;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    json object = json::parse(line, nullptr, false);
    EXPECT_TRUE(object.is_object()) << "not a JSON object: " << printable(line);
    if (!object.is_object()) continue;
    EXPECT_TRUE(object.contains("time") && is_iso8601(object["time"])) << line;
    EXPECT_TRUE(object.contains("level") && object["level"].is_string()) << line;
    EXPECT_TRUE(object.contains("msg") && object["msg"].is_string()) << line;
    out.push_back(std::move(object));
  }
  return out;
}

TEST(JsonLog, EveryLineIsAnObjectAndConnectionLinesCarryTheirFields) {
  server_process server("", {"--log-format", "json"});
  {
    test_client alice = json_client(server, "alice");
    alice.send_line("/quit lunch");
    EXPECT_TRUE(alice.wait_closed());
  }
  ASSERT_TRUE(server.wait_for_log("reason=quit")) << server.log();
  const std::string log = server.log();
  ASSERT_FALSE(log.empty());
  ASSERT_EQ(log.back(), '\n');
  const auto objects = log_objects(log);

  const json* open = nullptr;
  const json* closed = nullptr;
  for (const auto& o : objects) {
    const std::string msg = o["msg"];
    if (msg.rfind("conn ", 0) == 0 && msg.find(" open ") != std::string::npos) open = &o;
    if (msg.rfind("conn ", 0) == 0 && msg.find(" closed ") != std::string::npos) closed = &o;
  }
  ASSERT_NE(open, nullptr) << log;
  ASSERT_NE(closed, nullptr) << log;
  EXPECT_EQ((*open)["level"], "info");
  EXPECT_TRUE((*open)["conn"].is_number_unsigned()) << open->dump();
  EXPECT_EQ((*open)["peer"].get<std::string>().rfind("127.0.0.1:", 0), 0u) << open->dump();
  EXPECT_EQ((*closed)["conn"], (*open)["conn"]);
  EXPECT_EQ((*closed)["peer"], (*open)["peer"]);
  EXPECT_EQ((*closed)["nick"], "alice");
  EXPECT_EQ((*closed)["reason"], "quit");
}

}  // namespace
