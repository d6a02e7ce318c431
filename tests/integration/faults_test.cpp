// Faults a server on the open internet meets: resets, half-closes, clients that vanish, bursts of
// connects and disconnects, garbage bytes, invalid UTF-8, telnet negotiation and terminal escape
// sequences. The offender is dealt with; everyone else keeps chatting.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <random>
#include <thread>

#include "integration/abuse_helpers.hpp"
#include "integration/chat_helpers.hpp"
#include "integration/metrics_helpers.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;
using namespace std::string_view_literals;

namespace {

using clock_type = std::chrono::steady_clock;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Resets, half-close, vanishing

TEST(Faults, ResetMidLineGivesOthersOneQuitEventAndTheServerKeepsServing) {
  server_process server({}, metrics_listen_args());
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  test_client carol = json_client(server, "carol");
  alice.sync_json();
  bob.sync_json();

  alice.send_raw("this line never ends");
  alice.reset();
  for (test_client* c : {&bob, &carol}) {
    SCOPED_TRACE(c->label());
    json ev = c->expect_json("quit");
    EXPECT_EQ(ev["nick"], "alice");
    EXPECT_TRUE(ev["reason"] == "reset" || ev["reason"] == "closed") << ev.dump();
    c->expect_quiet_json();
  }
  EXPECT_TRUE(server.wait_for_log("nick=alice reason=")) << server.log();
  EXPECT_TRUE(server.log().find("nick=alice reason=reset") != std::string::npos ||
              server.log().find("nick=alice reason=closed") != std::string::npos)
      << server.log();

  // The partial line went nowhere; the others go on; newcomers are served.
  bob.send_line("still here");
  EXPECT_EQ(bob.expect_ok("say")["seq"], 1);
  check_msg(carol.expect_json("msg"), "lobby", "bob", "still here");
  test_client dave = json_client(server, "dave");
  EXPECT_EQ(bob.expect_json("join")["nick"], "dave");
  EXPECT_TRUE(no_connections_after_closing(server, {&alice, &bob, &carol, &dave}));
}

TEST(Faults, HalfClosedClientGetsEveryReplyThenTheClose) {
  server_process server(std::string{fast_limits_yaml}, metrics_listen_args());
  test_client alice = json_client(server, "alice");
  test_client bob = json_client(server, "bob");
  alice.sync_json();

  alice.send_raw("/ping one\nfirst words\n/who\n/ping two\nlast words\n");
  alice.shutdown_write();

  EXPECT_EQ(alice.expect_json("pong")["token"], "one");
  EXPECT_EQ(alice.expect_ok("say")["seq"], 1);
  EXPECT_EQ(member_set(alice.expect_json("who")), (std::set<std::string>{"alice", "bob"}));
  EXPECT_EQ(alice.expect_json("pong")["token"], "two");
  auto rest = lines_until_closed(alice);
  ASSERT_GE(rest.size(), 1u) << "the reply to the last line before the half-close is missing";
  json last_ok = json::parse(rest[0]);
  EXPECT_EQ(last_ok["type"], "ok") << last_ok.dump();
  EXPECT_EQ(last_ok["seq"], 2) << last_ok.dump();
  EXPECT_EQ(rest.size(), 1u) << "nothing after the replies (no bye for a client that closed)";

  // bob: both messages, in order, then alice's quit.
  std::vector<json> seen;
  for (int i = 0; i < 3; ++i) seen.push_back(bob.read_json());
  bob.expect_quiet_json();
  ASSERT_EQ(seen.size(), 3u);
  check_msg(seen[0], "lobby", "alice", "first words");
  check_msg(seen[1], "lobby", "alice", "last words");
  EXPECT_EQ(seen[2], (json{{"type", "quit"}, {"nick", "alice"}, {"reason", "closed"}}));
  EXPECT_TRUE(no_connections_after_closing(server, {&alice, &bob}));
}

TEST(Faults, ClientThatVanishesWithoutFinIsEndedByIdleTimeout) {
  // A client whose host went away sends nothing and reads nothing; no FIN or reset arrives.
  server_process server("limits:\n  idle_timeout: 1s\n", metrics_listen_args());
  test_client ghost = json_client(server, "ghost");
  test_client bob = json_client(server, "bob");
  test_client carol = json_client(server, "carol");
  const auto start = clock_type::now();
  ghost.sync_json();  // ghost's last words; from now on its socket is left alone
  bob.sync_json();    // carol's join

  // bob keeps chatting (so he is not idle); carol reads along.
  std::vector<json> bob_saw;
  std::uint64_t sent = 0;
  bool ghost_gone = false;
  // One round: bob says a tick, carol reads it (and pings, or she would be idle too); ghost's
  // quit comes in between. Polled every 100 ms: that is bob "typing".
  const auto round = [&] {
    bob.send_line("tick " + std::to_string(++sent));
    for (;;) {
      json j = bob.read_json();
      if (j["type"] == "ok") break;
      bob_saw.push_back(j);
    }
    auto note = [&](const json& j) {
      EXPECT_EQ(j, (json{{"type", "quit"}, {"nick", "ghost"}, {"reason", "idle-timeout"}}));
      ghost_gone = true;
    };
    for (;;) {
      json j = carol.read_json();
      if (j["type"] != "msg") {
        note(j);
        continue;
      }
      EXPECT_EQ(j["seq"], sent) << j.dump();
      break;
    }
    for (auto& j : carol.sync_json()) note(j);
    return ghost_gone;
  };
  ASSERT_TRUE(wait_until(round, 6s, "the vanished client to be ended by its idle timeout", 100ms));
  const double took = std::chrono::duration<double>(clock_type::now() - start).count();
  EXPECT_GE(took, 0.9);
  EXPECT_LT(took, 6.0);
  ASSERT_EQ(bob_saw.size(), 1u);
  EXPECT_EQ(bob_saw[0], (json{{"type", "quit"}, {"nick", "ghost"}, {"reason", "idle-timeout"}}));
  EXPECT_TRUE(server.wait_for_log("nick=ghost reason=idle-timeout")) << server.log();
  // What reached ghost's socket: bob's ticks, then the bye.
  auto lines = lines_until_closed(ghost);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(json::parse(lines.back()), (json{{"type", "bye"}, {"reason", "idle-timeout"}}));
  EXPECT_TRUE(wait_connections_active(server, 2)) << "the timed-out connection is still counted";
  EXPECT_TRUE(no_connections_after_closing(server, {&ghost, &bob, &carol}));
}

TEST(Faults, BurstsOfConnectsAndDisconnectsDoNotDisturbAChattingClient) {
  server_process server(std::string{fast_limits_yaml} + "rooms:\n  default: \"\"\n",
                        metrics_listen_args());
  test_client alice(server.port(), "alice");
  alice.register_json("alice", "");
  test_client bob(server.port(), "bob");
  bob.register_json("bob", "");
  for (test_client* c : {&alice, &bob}) {
    c->send_line("/join den");
    c->expect_ok("join");
  }
  alice.sync_json();
  const std::size_t baseline_fds = open_fds(server.pid()).size();

  constexpr int threads = 4;
  constexpr int cycles_per_thread = 80;  // 320 connections in all
  std::atomic<int> done{0};
  std::atomic<int> failures{0};
  std::vector<std::string> errors(threads);
  std::vector<std::thread> churn;
  join_on_exit join_churn{churn};
  for (int t = 0; t < threads; ++t) {
    churn.emplace_back([&, t] {
      for (int i = 0; i < cycles_per_thread; ++i) {
        try {
          test_client c(server.port(), "churn");
          const std::string nick = "churn" + std::to_string(t) + "x" + std::to_string(i);
          switch (i % 5) {
            case 0:  // connect and go
              c.close();
              break;
            case 1:  // half a nick, then close
              c.send_raw("/nick chu");
              c.close();
              break;
            case 2:  // half a line, then reset
              c.send_raw("/nick churn-");
              c.reset();
              break;
            case 3:  // register, join alice's room, close
              c.send_line("/nick " + nick);
              c.send_line("/join den");
              c.send_line("/ping joined");
              for (int k = 0; k < 20; ++k) {
                auto line = c.read_line();
                if (!line || line->find("joined") != std::string::npos) break;
              }
              c.close();
              break;
            default:  // register and quit politely, waiting for the close
              c.send_line("/nick " + nick);
              c.send_line("/quit");
              c.wait_closed();
              break;
          }
        } catch (const std::exception& e) {
          ++failures;
          errors[t] = e.what();
        }
      }
      ++done;
    });
  }

  // Meanwhile alice chats and bob gets every seq, in order, promptly. Churners joining den show
  // up as join and quit events among bob's lines.
  std::uint64_t seq = 0;
  std::size_t joins = 0, quits = 0;
  const auto chat_round = [&] {
    alice.send_line("msg " + std::to_string(seq + 1));
    for (;;) {
      json j = alice.read_json();
      if (j["type"] == "ok") {
        ASSERT_EQ(j["seq"], seq + 1);
        break;
      }
    }
    ++seq;
    for (;;) {
      json j = bob.read_json();
      if (j["type"] == "join") {
        ++joins;
        continue;
      }
      if (j["type"] == "quit") {
        ++quits;
        continue;
      }
      ASSERT_EQ(j["type"], "msg") << j.dump();
      ASSERT_EQ(j["seq"], seq) << "gap or reorder in what bob received";
      ASSERT_EQ(j["text"], "msg " + std::to_string(seq));
      break;
    }
  };
  // Rounds back to back (each is a round trip) until the churn is over and 200 went through.
  EXPECT_TRUE(wait_until(
      [&] {
        if (done == threads && seq >= 200) return true;
        chat_round();
        return HasFatalFailure();
      },
      60s, "the churn threads to finish while alice chats", 0ms))
      << done.load() << " of " << threads << " threads done, " << seq << " messages";
  if (HasFatalFailure()) return;
  for (auto& th : churn) th.join();
  ASSERT_EQ(done.load(), threads);
  EXPECT_EQ(failures.load(), 0) << errors[0] << errors[1] << errors[2] << errors[3];
  for (auto& j : bob.sync_json()) {
    if (j["type"] == "join") ++joins;
    if (j["type"] == "quit") ++quits;
  }
  std::cout << "[ measure  ] " << threads * cycles_per_thread << " churn connections while " << seq
            << " messages went through\n";
  EXPECT_EQ(joins, quits) << "every churner that joined must have left";
  EXPECT_EQ(joins, static_cast<std::size_t>(threads * cycles_per_thread / 5));

  // Nothing leaked: the server's descriptors return to what they were.
  EXPECT_TRUE(wait_until([&] { return open_fds(server.pid()).size() == baseline_fds; }, 5s,
                         "the server's descriptors to return to their count before the churn"))
      << "server holds " << open_fds(server.pid()).size() << " fds, was " << baseline_fds;
  alice.send_line("after the storm");
  alice.expect_ok("say");
  check_msg(bob.expect_json("msg"), "den", "alice", "after the storm");
  EXPECT_TRUE(no_connections_after_closing(server, {&alice, &bob}));
}

// ---------------------------------------------------------------------------------------------
// Bad bytes

TEST(Faults, BinaryGarbageReachesOthersOnlySanitisedAndTheServerStaysUp) {
  server_process server(std::string{fast_limits_yaml}, metrics_listen_args());
  test_client mallory = json_client(server, "mallory");
  test_client carol = json_client(server, "carol");
  test_client bob = human_client(server, "bob");
  mallory.sync_json();
  carol.sync_json();

  std::mt19937 random(20240601);  // fixed: the same garbage every run
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(1, 200);
  std::string garbage;
  constexpr int lines = 100;
  for (int i = 0; i < lines; ++i) {
    const int n = length(random);
    for (int k = 0; k < n; ++k) {
      char c = static_cast<char>(byte(random));
      if (c == '\n' || c == '/') c = '\0';  // lines are ours to cut; no commands by chance
      garbage += c;
    }
    garbage += '\n';
  }
  // Make sure the hardest bytes are there.
  // NULs, IAC IAC, a telnet option, a CSI, an 8-bit CSI, DEL, CR and BS; TAB stays.
  garbage += "\0\0\xff\xff\xff\xfb\x01\x1b[31m\xc2\x9b" "1m\x7f\r\x08" "end\t!\n"sv;
  mallory.send_raw(garbage);

  // mallory's replies: oks (and maybe errors for lines that sanitised into something odd).
  std::vector<json> replies = mallory.sync_json(10s);
  std::size_t oks = 0;
  for (const auto& j : replies) {
    if (j["type"] == "ok") ++oks;
  }
  ASSERT_GT(oks, 50u) << "most garbage lines should survive as (sanitised) text";

  // carol (JSON) gets one msg per ok, each valid UTF-8 (read_json would fail otherwise) and
  // terminal-safe.
  std::vector<json> carol_saw = carol.sync_json(10s);
  ASSERT_EQ(carol_saw.size(), oks);
  for (const auto& j : carol_saw) {
    ASSERT_EQ(j["type"], "msg") << j.dump();
    const std::string text = j["text"];
    EXPECT_FALSE(text.empty());
    EXPECT_TRUE(valid_utf8(text)) << printable(text);
    EXPECT_TRUE(terminal_safe(text)) << printable(text);
  }
  EXPECT_EQ(carol_saw.back()["text"], "end\t!");

  // bob (human) gets the same as lines a terminal shows harmlessly.
  std::vector<std::string> bob_saw = bob.sync_human(10s);
  ASSERT_EQ(bob_saw.size(), oks);
  for (const auto& line : bob_saw) {
    EXPECT_EQ(line.rfind("[lobby] mallory: ", 0), 0u) << printable(line);
    EXPECT_TRUE(valid_utf8(line)) << printable(line);
    EXPECT_TRUE(terminal_safe(line)) << printable(line);
  }

  // Everyone is still served.
  mallory.send_line("sorry");
  mallory.expect_ok("say");
  check_msg(carol.expect_json("msg"), "lobby", "mallory", "sorry");
  test_client dave = json_client(server, "dave");
  EXPECT_EQ(carol.expect_json("join")["nick"], "dave");
  EXPECT_TRUE(no_connections_after_closing(server, {&mallory, &carol, &bob, &dave}));
}

TEST(Faults, InvalidUtf8BecomesReplacementCharacters) {
  server_process server({}, metrics_listen_args());
  test_client mallory = json_client(server, "mallory");
  test_client carol = json_client(server, "carol");
  test_client bob = human_client(server, "bob");
  mallory.sync_json();
  carol.sync_json();

  // A truncated 2-byte and 3-byte sequence, an overlong '/', a surrogate, a lone continuation.
  mallory.send_line("caf\xc3 ok \xe2\x82 x \xc0\xaf y \xed\xa0\x80 z \x80!");
  mallory.expect_ok("say");
  const std::string fffd = "\xef\xbf\xbd";
  const std::string expected = "caf" + fffd + " ok " + fffd + " x " + fffd + fffd + " y " +
                               fffd + fffd + fffd + " z " + fffd + "!";
  EXPECT_EQ(carol.expect_json("msg")["text"], expected);
  EXPECT_EQ(bob.expect_line(), "[lobby] mallory: " + expected);
  // Valid multi-byte text is untouched.
  mallory.send_line("na\xc3\xafve \xe2\x82\xac \xf0\x9f\x98\x80");
  mallory.expect_ok("say");
  EXPECT_EQ(carol.expect_json("msg")["text"], "na\xc3\xafve \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(bob.expect_line(), "[lobby] mallory: na\xc3\xafve \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_TRUE(no_connections_after_closing(server, {&mallory, &carol, &bob}));
}

TEST(Faults, TelnetNegotiationIsStrippedFromCommandsAndText) {
  server_process server({}, metrics_listen_args());
  test_client carol = json_client(server, "carol");

  // A telnet client opens with option negotiation, in front of the first line it sends.
  test_client tel(server.port(), "tel");
  read_human_welcome(tel);
  tel.send_raw("\xff\xfd\x03\xff\xfb\x18\xff\xfb\x1f\xff\xfa\x18\x00xterm\xff\xf0"
               "tel\r\n"sv);  // a plain line before registration is the nickname
  tel.sync_human();
  EXPECT_EQ(carol.expect_json("join")["nick"], "tel");

  tel.send_raw("\xff\xfb\x01hel\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0lo\xff\xf1 there\xff\xff!\r\n"sv);
  check_msg(carol.expect_json("msg"), "lobby", "tel", "hello there!");
  tel.sync_human();  // whatever the human reply to a message is
  tel.send_raw("\xff\xf4\xff\xfd\x06\r\n");  // interrupt + timing mark alone: an empty line
  tel.send_line("/format json");
  tel.expect_ok("format");
  tel.expect_quiet_json();
  carol.expect_quiet_json();
  EXPECT_TRUE(no_connections_after_closing(server, {&carol, &tel}));
}

TEST(Faults, TerminalEscapeSequencesAreRemovedBeforeOthersSeeThem) {
  server_process server({}, metrics_listen_args());
  test_client mallory = json_client(server, "mallory");
  test_client carol = json_client(server, "carol");
  test_client bob = human_client(server, "bob");
  mallory.sync_json();
  carol.sync_json();

  // Clear screen, colours, a window title (OSC ... BEL), 8-bit CSI, a charset switch, reset.
  mallory.send_line("\x1b[2J\x1b[31mred\x1b[0m \x1b]0;pwned\x07plain \xc2\x9b" "31mC1 \x1b(Bend\x1b" "c");
  mallory.expect_ok("say");
  EXPECT_EQ(carol.expect_json("msg")["text"], "red plain C1 end");
  EXPECT_EQ(bob.expect_line(), "[lobby] mallory: red plain C1 end");

  // In a nickname and a topic too (commands are sanitised before parsing).
  mallory.send_line("/nick \x1b[5mmal\x1b[0mlory2");
  EXPECT_EQ(mallory.expect_ok("nick")["nick"], "mallory2");
  mallory.send_line("/topic \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ text");
  mallory.expect_ok("topic");
  EXPECT_EQ(carol.expect_json("nick"), (json{{"type", "nick"}, {"old", "mallory"}, {"new", "mallory2"}}));
  EXPECT_EQ(carol.expect_json("topic")["topic"], "link text");
  for (const auto& line : bob.sync_human()) {
    EXPECT_TRUE(terminal_safe(line)) << printable(line);
  }
  // Only text, then: the server is fine, and so is everyone's terminal.
  carol.expect_quiet_json();
  EXPECT_TRUE(no_connections_after_closing(server, {&mallory, &carol, &bob}));
}
