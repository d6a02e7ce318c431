// The wire protocol, byte for byte: one scripted conversation between four real TCP clients and
// the real chatd, run once with every client in the human format and once in JSON, compared with
// the transcripts in tests/integration/golden/. Every command, reply, event and error code of
// docs/protocol.md appears in it, so any change to what travels on the wire fails here.
//
// The transcript files: '#' lines and blank lines are comments. Every other line is
//   NAME connects | NAME closes | NAME > SENT      an action of the script, in order
//   NAME < RECEIVED | NAME closed by the server    what that action made the server send
// A received line stands for its bytes followed by "\r\n". Bytes are written as they are, except
// a backslash (written "\\"), a control byte ("\xNN": a CR or LF that is not part of a CRLF line
// end shows this way), a blank at the end of a line ("\x20", as editors strip trailing blanks)
// and a last line without its CRLF (followed by "\$"). That writing is one-to-one, so comparing
// the written lines compares the exact bytes. Before comparing, and only then, the timestamps
// are replaced: the value of every "ts":"YYYY-MM-DDThh:mm:ss.mmmZ" becomes "<ts>" and the
// "hh:mm " after the room of a replayed human message becomes "<hh:mm> " (both are also checked
// to be the current UTC time, give or take a few minutes), and each room epoch, random by
// design, becomes "<epoch-N>", numbered in the order the epochs first appear: one room keeps
// one number, and a room made anew gets the next. A sent line shows LF as \n.
//
// After an intended change of the protocol, regenerate the files with
//   CHATD_GOLDEN_RECORD=1 ./build/tests/integration_tests --gtest_filter='GoldenTranscript.*'
// (the run then fails on purpose) and read the `git diff` against docs/protocol.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "integration/metrics_helpers.hpp"
#include "integration/server_process.hpp"
#include "integration/test_client.hpp"

using namespace chatd::integration;
using namespace std::chrono_literals;

namespace {

// The clients of the conversation, in the order their lines appear within one step.
const std::vector<std::string> cast = {"alice", "bob", "carol", "dave"};

// Small limits so that every limit error is cheap to reach; no flood control.
constexpr const char* golden_config =
    "limits:\n"
    "  max_line_bytes: 64\n"
    "  max_rooms_per_client: 3\n"
    "  rate: 100000\n"
    "  burst: 100000\n"
    "rooms:\n"
    "  default: lobby\n"
    "  history: 5\n"
    "  history_replay: 3\n";

// ---------------------------------------------------------------------------------------------
// Writing bytes as transcript text

std::string escaped(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Splits what the server sent into CRLF-terminated lines (written without the CRLF); a last
// piece without its CRLF is written with "\$" after it.
std::vector<std::string> split_received(std::string_view bytes) {
  std::vector<std::string> lines;
  while (!bytes.empty()) {
    const auto end = bytes.find("\r\n");
    if (end == std::string_view::npos) {
      lines.push_back(escaped(bytes) + "\\$");
      break;
    }
    std::string line = escaped(bytes.substr(0, end));
    // A blank at the end is written \x20: editors strip trailing blanks from files.
    std::size_t blanks = 0;
    while (blanks < line.size() && line[line.size() - 1 - blanks] == ' ') ++blanks;
    line.resize(line.size() - blanks);
    for (std::size_t k = 0; k < blanks; ++k) line += "\\x20";
    lines.push_back(std::move(line));
    bytes.remove_prefix(end + 2);
  }
  return lines;
}

// How a sent line is shown: LF as \n (several lines in one write), long runs of one character
// as "(N x 'c')". The final LF is left out, unless the line would then end in a blank (which
// editors strip) or be empty.
std::string shown_sent(std::string_view bytes) {
  const bool keep_lf = bytes.size() < 2 || bytes[bytes.size() - 2] == ' ';
  if (!keep_lf && bytes.back() == '\n') bytes.remove_suffix(1);
  std::string out;
  for (std::size_t i = 0; i < bytes.size();) {
    std::size_t run = 1;
    while (i + run < bytes.size() && bytes[i + run] == bytes[i]) ++run;
    if (run >= 16) {
      out += "(" + std::to_string(run) + " x '" + escaped(bytes.substr(i, 1)) + "')";
    } else if (bytes[i] == '\n') {
      for (std::size_t k = 0; k < run; ++k) out += "\\n";
    } else {
      out += escaped(bytes.substr(i, run));
    }
    i += run;
  }
  return out;
}

std::string padded(const std::string& name) {
  std::string out = name;
  out.resize(5, ' ');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Timestamps

// Minutes since midnight UTC now.
int utc_minute_of_day() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  return utc.tm_hour * 60 + utc.tm_min;
}

// Replaces the timestamps and epochs of one received line (see the top of the file). Each
// time replaced must be the current UTC time within a few minutes; otherwise a failure is
// added. `epochs` numbers the epochs seen so far in this run.
std::string normalised(const std::string& line, std::map<std::string, int>& epochs) {
  static const std::regex json_ts(
      R"re("ts":"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{3}Z")re");
  static const std::regex human_history(R"(^(\[[a-z0-9_-]{1,32}\] )(\d{2}):(\d{2}) )");
  std::smatch m;
  for (auto it = std::sregex_iterator(line.begin(), line.end(), json_ts);
       it != std::sregex_iterator(); ++it) {
    std::tm when{};
    when.tm_year = std::stoi((*it)[1]) - 1900;
    when.tm_mon = std::stoi((*it)[2]) - 1;
    when.tm_mday = std::stoi((*it)[3]);
    when.tm_hour = std::stoi((*it)[4]);
    when.tm_min = std::stoi((*it)[5]);
    when.tm_sec = std::stoi((*it)[6]);
    const double off = std::difftime(::timegm(&when), std::time(nullptr));
    EXPECT_LT(std::abs(off), 300.0) << "a ts that is not the current UTC time: " << line;
  }
  std::string out = std::regex_replace(line, json_ts, R"("ts":"<ts>")");
  if (std::regex_search(out, m, human_history)) {
    const int minute = std::stoi(m[2]) * 60 + std::stoi(m[3]);
    const int off = std::abs(minute - utc_minute_of_day());
    EXPECT_LE(std::min(off, 1440 - off), 5) << "a replay time that is not UTC now: " << line;
    out = m[1].str() + "<hh:mm> " + m.suffix().str();
  }
  static const std::regex json_epoch(R"re("epoch":"([A-Za-z0-9_-]{1,32})")re");
  if (std::regex_search(out, m, json_epoch)) {
    const auto [it, added] = epochs.emplace(m[1].str(), static_cast<int>(epochs.size()) + 1);
    out = m.prefix().str() + "\"epoch\":\"<epoch-" + std::to_string(it->second) + ">\"" +
          m.suffix().str();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The script

struct action {
  enum class kind { section, connect, send, close };
  kind what;
  std::string who;
  std::string bytes;  // send: exactly what is written; section: the title

  std::string text() const {
    switch (what) {
      case kind::section:
        return "# " + bytes;
      case kind::connect:
        return padded(who) + " connects";
      case kind::close:
        return padded(who) + " closes";
      case kind::send:
        break;
    }
    return padded(who) + " > " + shown_sent(bytes);
  }
};

class script {
 public:
  void section(std::string title) {
    actions_.push_back({action::kind::section, "", std::move(title)});
  }
  void connect(const std::string& who) { actions_.push_back({action::kind::connect, who, ""}); }
  void close(const std::string& who) { actions_.push_back({action::kind::close, who, ""}); }
  void line(const std::string& who, const std::string& text) { raw(who, text + "\n"); }
  void raw(const std::string& who, std::string bytes) {
    actions_.push_back({action::kind::send, who, std::move(bytes)});
  }
  const std::vector<action>& actions() const { return actions_; }

 private:
  std::vector<action> actions_;
};

// The conversation. `format` is "human" or "json": every client switches to it first.
script conversation(const std::string& format) {
  script s;
  const auto arrive = [&](const std::string& who) {
    s.connect(who);
    s.line(who, "/format " + format);
  };

  s.section("Unregistered (4.1, 4.2): only /nick, /format, /help, /ping, /quit");
  arrive("alice");
  s.line("alice", "/join dev");
  s.line("alice", "/join");
  s.line("alice", "/ping");
  s.line("alice", "/help");
  s.line("alice", "9lives");
  s.line("alice", "/nick a b");
  s.line("alice", "/nick");
  s.line("alice", "/foo");
  s.section("Registration by a plain line, the automatic join of the default room (4.3)");
  s.line("alice", "  alice  ");
  arrive("bob");
  s.line("bob", "/nick ALICE");
  s.line("bob", "/nick bob");

  s.section("Chat lines in the lobby: text, /me, the // escape, /say ROOM (5, 7)");
  s.line("alice", "hello bob");
  s.line("alice", "/me waves");
  s.line("bob", "//slash text");
  s.line("bob", "/say lobby fourth");
  s.section("History replay on the automatic join: the last 3 of 4 (7.3)");
  arrive("carol");
  s.line("carol", "carol");

  s.section("A new room, its topic, history replay on /join (5.3, 7.3)");
  s.line("alice", "/JOIN #Dev");
  s.line("alice", "/topic");
  s.line("alice", "/topic   Release planning");
  s.line("alice", "dev one");
  s.line("alice", "/me stretches");
  // In the human format the two lines above have no answer: the pong proves they were handled
  // before bob joins (answers keep the order of the lines, 6.3).
  s.line("alice", "/ping dev");
  s.line("bob", "/join dev");
  s.line("bob", "/topic");
  s.line("bob", "/topic   Friday drinks");
  s.section("/topic with only blanks shows the topic: it cannot be cleared (5.3)");
  s.line("bob", "/topic   ");
  s.section("Re-joining a room: a full join ok, no event, no history (5.3)");
  s.line("bob", "/join lobby");
  s.line("bob", "/rooms");
  s.line("bob", "/who");
  s.line("bob", "/who dev");
  s.line("carol", "/who dev");
  s.line("bob", "/say dev in dev");
  s.section("History on request: /history [ROOM] [N], members only (7.4)");
  s.line("alice", "/history");
  s.line("alice", "/history lobby 2");
  s.line("carol", "/history dev");
  s.line("carol", "/history 0");
  s.section("Resuming: /join ROOM since SEQ [EPOCH] on a room already joined tells no one (7.5)");
  s.line("alice", "/join dev since 1");
  s.line("alice", "/join dev since 3");
  s.line("alice", "/join dev since 99");
  s.line("alice", "/join dev since 1 0ther-epoch");
  s.line("alice", "/join dev since");
  s.line("alice", "/join dev since 1 bad.epoch");
  s.section("Pipelined lines are answered in order; an empty line gets nothing (3, 6)");
  s.raw("bob", "one\n/ping a\n/foo\nagain\n");
  s.raw("bob", "\n");

  s.section("Private messages (5.3)");
  s.line("alice", "/msg CAROL psst");
  s.line("alice", "/msg alice note to self");
  s.line("alice", "/msg zed hi");

  s.section("Errors (10)");
  s.line("carol", "/join");
  s.line("carol", "/say");
  s.line("carol", "/say lobby");
  s.line("carol", "/me");
  s.line("carol", "/msg bob");
  s.line("carol", "/format xml");
  s.line("carol", "/join bad room!");
  s.line("carol", "/part #");
  s.line("carol", "/who nosuch");
  s.line("carol", "/say dev hi");
  s.line("carol", "/part dev");
  s.line("carol", std::string(65, 'x'));
  s.line("carol", "after the long line");
  s.section("max_rooms_per_client 3, the lobby included; /part of the current room (4.4)");
  s.line("carol", "/join r2");
  s.line("carol", "/join r3");
  s.line("carol", "/join r4");
  s.section("Leaving the current room makes the last joined of the others current (4.4)");
  s.line("carol", "/part");
  s.line("carol", "/part");

  s.section("Nick changes: one event per peer, however many rooms are shared (8)");
  s.line("bob", "/nick bob");
  s.line("bob", "/nick bobby");
  s.section("Part events (8)");
  s.line("bob", "/part dev");

  s.section("No current room (4.3, 10)");
  arrive("dave");
  s.line("dave", "/nick dave");
  s.line("dave", "/part");
  s.line("dave", "hello?");
  s.line("dave", "/me waves");
  s.line("dave", "/topic");
  s.line("dave", "/part");
  s.line("dave", "/who");
  s.line("dave", "/history");

  s.section("Leaving: bye to the quitter, one quit event to each peer (13)");
  s.line("bob", "/ping 42");
  s.line("bob", "/quit see you");
  s.line("alice", "/quit");
  s.line("dave", "/rooms");
  s.line("dave", "/join lobby");
  s.section("A client that just closes: its peers get quit with the reason closed (13.1)");
  s.close("carol");
  s.section("Emptied rooms are kept for rooms.keep_empty: same epoch, seq and history (7.5)");
  s.line("dave", "/part");
  s.line("dave", "/rooms");
  s.line("dave", "/join dev since 2");
  s.line("dave", "/quit");
  return s;
}

// ---------------------------------------------------------------------------------------------
// The transcript files

std::string golden_path(const std::string& format) {
  return std::string(CHATD_GOLDEN_DIR) + "/conversation." + format + ".txt";
}

// One action of a transcript file and the lines after it.
struct recorded_step {
  std::string action;
  std::vector<std::string> received;  // "NAME < ..." and "NAME closed by the server" lines
};

std::vector<recorded_step> read_transcript(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<recorded_step> steps;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    const bool received = line.size() > 6 && (line.compare(6, 2, "< ") == 0 ||
                                              line.compare(6, std::string::npos,
                                                           "closed by the server") == 0);
    if (received) {
      if (steps.empty()) {
        throw std::runtime_error(path + ":" + std::to_string(number) + ": no action before it");
      }
      steps.back().received.push_back(line);
    } else {
      steps.push_back({line, {}});
    }
  }
  return steps;
}

// The name a transcript line is about.
std::string name_of(const std::string& line) {
  const auto end = line.find(' ');
  return line.substr(0, end);
}

// ---------------------------------------------------------------------------------------------
// Running it

class conversation_run {
 public:
  explicit conversation_run(const server_process& server) : server_(server) {}

  void perform(const action& a) {
    switch (a.what) {
      case action::kind::section:
        return;
      case action::kind::connect:
        clients_[a.who] = test_client(server_.port(), a.who);
        return;
      case action::kind::close:
        clients_.at(a.who).close();
        return;
      case action::kind::send:
        clients_.at(a.who).send_raw(a.bytes);
        return;
    }
  }

  // The transcript lines of what `who` received: `lines` CRLF lines (and, if `closed`, the close
  // and nothing after it), or whatever came before the wait gave up.
  std::vector<std::string> expect(const std::string& who, std::size_t lines, bool closed) {
    test_client& client = clients_.at(who);
    std::string bytes = client.read_raw_lines(lines);
    if (closed) {
      client.wait_closed();
      bytes += client.read_raw_until_quiet(0ms);
    }
    auto out = transcript_lines(who, bytes, client.peer_closed() && !reported_closed_[who]);
    if (client.peer_closed()) client.close();  // as a client does after the server's close
    return out;
  }

  // What `who` received without being waited for: bytes already there, then (in record mode)
  // whatever comes until it has been quiet for `quiet`.
  std::vector<std::string> take(const std::string& who, std::chrono::milliseconds quiet) {
    auto it = clients_.find(who);
    if (it == clients_.end()) return {};
    const std::string bytes = it->second.read_raw_until_quiet(quiet);
    return transcript_lines(who, bytes, it->second.peer_closed() && !reported_closed_[who]);
  }

  bool has(const std::string& who) const { return clients_.count(who) != 0; }

 private:
  std::vector<std::string> transcript_lines(const std::string& who, const std::string& bytes,
                                            bool newly_closed) {
    std::vector<std::string> out;
    for (const auto& line : split_received(bytes)) {
      out.push_back(padded(who) + " < " + normalised(line, epochs_));
    }
    if (newly_closed) {
      out.push_back(padded(who) + " closed by the server");
      reported_closed_[who] = true;
    }
    return out;
  }

  std::map<std::string, int> epochs_;  // each epoch seen, by its number in the transcript
  const server_process& server_;
  std::map<std::string, test_client> clients_;
  std::map<std::string, bool> reported_closed_;
};

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += "\n    " + line;
  return out.empty() ? "\n    (nothing)" : out;
}

// Records the transcript of `format` into its file (CHATD_GOLDEN_RECORD=1).
void record(const std::string& format) {
  server_process server(golden_config);
  conversation_run run(server);
  std::ostringstream out;
  out << "# The golden transcript of tests/integration/golden_transcript_test.cpp, " << format
      << " format.\n"
      << "# Recorded from the real chatd with CHATD_GOLDEN_RECORD=1; the format of this file is\n"
      << "# described at the top of that test. Read it against docs/protocol.md.\n";
  const script conversation_script = conversation(format);
  for (const auto& a : conversation_script.actions()) {
    if (a.what == action::kind::section) {
      out << "\n" << a.text() << "\n";
      continue;
    }
    run.perform(a);
    out << a.text() << "\n";
    // The actor first, given time to be answered; then everyone else.
    std::vector<std::string> lines = run.take(a.who, 300ms);
    for (const auto& name : cast) {
      if (name == a.who) continue;
      for (auto& l : run.take(name, 50ms)) lines.push_back(std::move(l));
    }
    std::stable_sort(lines.begin(), lines.end(), [](const std::string& x, const std::string& y) {
      const auto rank = [](const std::string& l) {
        return std::find(cast.begin(), cast.end(), name_of(l)) - cast.begin();
      };
      return rank(x) < rank(y);
    });
    for (const auto& l : lines) out << l << "\n";
  }
  std::ofstream file(golden_path(format));
  file << out.str();
  ASSERT_TRUE(file.flush()) << "cannot write " << golden_path(format);
  FAIL() << "recorded " << golden_path(format)
         << "; read the git diff, then run again without CHATD_GOLDEN_RECORD";
}

void check(const std::string& format) {
  const std::vector<recorded_step> golden = read_transcript(golden_path(format));
  server_process server(golden_config, metrics_listen_args());
  conversation_run run(server);
  std::size_t step = 0;
  std::vector<std::string> context;  // the last few actions, for failure messages
  const script conversation_script = conversation(format);
  for (const auto& a : conversation_script.actions()) {
    if (a.what == action::kind::section) continue;
    ASSERT_LT(step, golden.size()) << "the script goes on after the end of " << golden_path(format);
    const recorded_step& expected = golden[step++];
    ASSERT_EQ(a.text(), expected.action)
        << "the script and " << golden_path(format) << " differ at action " << step
        << "; regenerate the file (see the top of golden_transcript_test.cpp)";
    run.perform(a);
    context.push_back(expected.action);
    if (context.size() > 4) context.erase(context.begin());

    std::vector<std::string> actual;
    for (const auto& name : cast) {
      std::size_t lines = 0;
      bool closed = false;
      for (const auto& l : expected.received) {
        if (name_of(l) != name) continue;
        if (l.compare(6, 2, "< ") == 0) ++lines;
        else closed = true;
      }
      auto got = lines > 0 || closed ? run.expect(name, lines, closed) : run.take(name, 0ms);
      actual.insert(actual.end(), got.begin(), got.end());
    }
    ASSERT_TRUE(actual == expected.received)
        << "at action " << step << " of " << golden_path(format)
        << ", after:" << join_lines(context) << "\n  expected:" << join_lines(expected.received)
        << "\n  received:" << join_lines(actual);
  }
  EXPECT_EQ(step, golden.size()) << golden_path(format) << " has actions the script lacks";
  // Every client has left: none is still counted.
  EXPECT_TRUE(wait_connections_active(server, 0));
}

void golden_transcript(const std::string& format) {
  const char* record_env = std::getenv("CHATD_GOLDEN_RECORD");
  if (record_env != nullptr && std::string(record_env) == "1") {
    record(format);
  } else {
    check(format);
  }
}

}  // namespace

TEST(GoldenTranscript, HumanFormat) { golden_transcript("human"); }

TEST(GoldenTranscript, JsonFormat) { golden_transcript("json"); }
