#include "idle_run.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "clock.hpp"
#include "payload.hpp"

namespace chatbench {

namespace {

std::string room_name(const options& o, std::size_t r) { return o.room_prefix + std::to_string(r); }

}  // namespace

idle_run::idle_run(const options& opts)
    : opts_(opts), fleet_(io_, opts, *this), phase_timer_(io_), deadline_(io_) {
  const std::string tag = std::to_string(::getpid() % 100000);
  for (std::size_t i = 0; i < opts_.idle; ++i)
    fleet_.add(identity{"i" + tag + "x" + std::to_string(i), {room_name(opts_, i % opts_.rooms)}, false});
  subscribers_ = opts_.idle;
  got_.assign(subscribers_, 0);
}

idle_result idle_run::run() {
  result_.nofile_limit = raise_nofile_limit();
  result_.connections = subscribers_;
  if (opts_.server_pid) result_.rss_before_kib = process_rss_kib(*opts_.server_pid);
  setup_start_ns_ = steady_ns();
  cpu_start_ = self_cpu();
  const double bound = opts_.setup_timeout + opts_.settle + opts_.hold + opts_.drain + 30;
  deadline_.expires_after(seconds(bound));
  deadline_.async_wait([this](const std::error_code& ec) {
    if (ec || finished_) return;
    fail("timed out: " + std::to_string(fleet_.ready()) + " of " + std::to_string(fleet_.size()) +
         " connections ready");
  });
  phase_timer_.expires_after(seconds(opts_.setup_timeout));
  phase_timer_.async_wait([this](const std::error_code& ec) {
    if (ec || finished_ || ready_ns_) return;
    fail("setup timed out: " + std::to_string(fleet_.ready()) + " of " +
         std::to_string(subscribers_) + " connections ready after " +
         std::to_string(opts_.setup_timeout) + " s");
  });
  fleet_.start();
  if (subscribers_ == 0) all_ready();
  io_.run();

  result_.ok = first_error_.empty();
  result_.error = first_error_;
  result_.ready = std::min(fleet_.ready(), subscribers_);
  result_.fanout_delivered = fanout_delivered_;
  result_.fanout_latency = summarize(fanout_latency_);
  return result_;
}

void idle_run::on_ready(connection& c, std::uint64_t) {
  fleet_.note_ready();
  if (c.id() == publisher_id_) return publish_fanout();
  if (!ready_ns_ && fleet_.ready() == subscribers_) all_ready();
}

void idle_run::all_ready() {
  ready_ns_ = steady_ns();
  phase_timer_.cancel();
  result_.setup_s = (ready_ns_ - setup_start_ns_) / 1e9;
  const cpu_times cpu = self_cpu();
  result_.setup_usage.wall_s = result_.setup_s;
  result_.setup_usage.cpu_s = cpu.total() - cpu_start_.total();
  result_.setup_usage.share =
      result_.setup_s > 0 ? result_.setup_usage.cpu_s / result_.setup_s : 0;
  result_.setup_usage.saturated = result_.setup_usage.share >= opts_.saturation;
  std::fprintf(stderr, "chatbench: %zu connections ready in %.2f s\n", subscribers_,
               result_.setup_s);
  after(opts_.settle, &idle_run::settled);
}

void idle_run::settled() {
  if (opts_.server_pid) {
    result_.rss_ready_kib = process_rss_kib(*opts_.server_pid);
    if (result_.rss_before_kib && result_.rss_ready_kib && subscribers_ > 0) {
      result_.bytes_per_connection =
          (static_cast<double>(*result_.rss_ready_kib) - static_cast<double>(*result_.rss_before_kib)) *
          1024.0 / static_cast<double>(subscribers_);
    }
  }
  if (!opts_.ready_file.empty()) {
    std::ofstream f(opts_.ready_file);
    f << subscribers_ << " ready\n";
  }
  hold_start_ns_ = steady_ns();
  after(opts_.hold, &idle_run::held);
}

void idle_run::held() {
  result_.held_s = (steady_ns() - hold_start_ns_) / 1e9;
  if (opts_.server_pid) {
    result_.rss_end_kib = process_rss_kib(*opts_.server_pid);
    if (result_.rss_before_kib && result_.rss_end_kib && subscribers_ > 0) {
      result_.bytes_per_connection_end =
          (static_cast<double>(*result_.rss_end_kib) - static_cast<double>(*result_.rss_before_kib)) *
          1024.0 / static_cast<double>(subscribers_);
    }
  }
  if (!opts_.verify_fanout || subscribers_ == 0) return finish();
  // One publisher in every room; ready once registered and joined (chatd) or connected.
  std::vector<std::string> rooms;
  for (std::size_t r = 0; r < opts_.rooms && r < subscribers_; ++r) rooms.push_back(room_name(opts_, r));
  const std::string tag = std::to_string(::getpid() % 100000);
  publisher_id_ = fleet_.add(identity{"v" + tag, std::move(rooms), true});
  result_.fanout_checked = true;
  fleet_.start();
}

void idle_run::publish_fanout() {
  connection& c = fleet_.at(publisher_id_);
  payload_writer writer(opts_.size);
  const std::uint64_t now = steady_ns();
  const std::size_t rooms = std::min(opts_.rooms, subscribers_);
  for (std::size_t r = 0; r < rooms; ++r)
    c.proto().publish(c.out(), r, writer.make(payload_fields{now, 0, r + 1}));
  c.proto().end_batch(c.out());
  c.flush();
  fanout_expected_ = subscribers_;
  result_.fanout_expected = fanout_expected_;
  fanout_end_ns_ = now + static_cast<std::uint64_t>(opts_.drain * 1e9);
  check_fanout();
}

void idle_run::check_fanout() {
  if (fanout_delivered_ >= fanout_expected_ || steady_ns() >= fanout_end_ns_) {
    if (fanout_delivered_ < fanout_expected_) {
      std::fprintf(stderr, "chatbench: fan-out reached %llu of %llu connections\n",
                   static_cast<unsigned long long>(fanout_delivered_),
                   static_cast<unsigned long long>(fanout_expected_));
    }
    return finish();
  }
  after(0.01, &idle_run::check_fanout);
}

void idle_run::on_delivery(connection& c, std::string_view payload, std::uint64_t,
                           std::uint64_t now_ns) {
  if (c.id() >= subscribers_) return;
  payload_fields f;
  if (!read_payload(payload, f) || !result_.fanout_checked) return;
  if (got_[c.id()]++ == 0) {
    ++fanout_delivered_;
    fanout_latency_.record(now_ns > f.sent_ns ? now_ns - f.sent_ns : 0);
  }
}

void idle_run::after(double secs, void (idle_run::*step)()) {
  phase_timer_.expires_after(seconds(secs));
  phase_timer_.async_wait([this, step](const std::error_code& ec) {
    if (!ec && !finished_) (this->*step)();
  });
}

void idle_run::finish() {
  if (finished_) return;
  finished_ = true;
  phase_timer_.cancel();
  deadline_.cancel();
  fleet_.close_all();
  io_.stop();
}

void idle_run::fail(const std::string& what) {
  if (finished_) return;
  if (first_error_.empty()) first_error_ = what;
  finish();
}

void idle_run::on_fail(connection& c, const std::string& what) {
  fail("connection " + std::to_string(c.id()) + ": " + what);
}

}  // namespace chatbench
