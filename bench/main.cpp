// chatbench: fan-out load generator and connection holder for chatd, Redis and NATS.
// Exit status: 0 done, 1 usage, 2 the run failed (server error, refused, timeout),
// 3 capacity check incomplete (not every connection received the fan-out message).

#include <csignal>
#include <cstdio>

#include "idle_run.hpp"
#include "kept_run.hpp"
#include "load_run.hpp"
#include "options.hpp"
#include "proc_stats.hpp"
#include "report.hpp"

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto opts = chatbench::parse_options(argc, argv, exit_code);
  if (!opts) return exit_code;
  std::signal(SIGPIPE, SIG_IGN);
  chatbench::raise_nofile_limit();
  try {
    if (opts->kept_rooms > 0) {
      chatbench::kept_run run(*opts);
      const auto r = run.run();
      chatbench::report_kept(*opts, r);
      return r.ok ? 0 : 2;
    }
    if (opts->idle > 0) {
      chatbench::idle_run run(*opts);
      const auto r = run.run();
      chatbench::report_idle(*opts, r);
      if (!r.ok) return 2;
      if (r.fanout_checked && r.fanout_delivered != r.fanout_expected) return 3;
      return 0;
    }
    chatbench::load_run run(*opts);
    const auto r = run.run();
    chatbench::report_load(*opts, r);
    return r.ok ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chatbench: %s\n", e.what());
    return 2;
  }
}
