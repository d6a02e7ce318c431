#include "load_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "clock.hpp"

namespace chatbench {

namespace {

std::string nick_for(char role, std::size_t index) {
  return std::string(1, role) + std::to_string(::getpid() % 100000) + "x" + std::to_string(index);
}

asio::steady_timer::time_point at_ns(std::uint64_t ns) {
  return asio::steady_timer::time_point(std::chrono::nanoseconds(ns));
}

}  // namespace

load_run::load_run(const options& opts)
    : opts_(opts),
      fleet_(io_, opts, *this),
      writer_(opts.size),
      phase_timer_(io_),
      deadline_(io_),
      node_delivered_(opts.ports.size(), 0) {
  // Subscribers and publishers each go round-robin over the nodes, counted over all rooms: a
  // room's members are split over them, and with one publisher per room the rooms' publishers
  // alternate between nodes.
  for (std::size_t r = 0; r < opts_.rooms; ++r) {
    const std::string room = opts_.room_prefix + std::to_string(r);
    for (std::size_t s = 0; s < opts_.subscribers; ++s) {
      fleet_.add(identity{nick_for('s', members_.size()), {room}, false}, r * opts_.subscribers + s);
      member m;
      m.room = r;
      m.last_payload_seq.assign(opts_.publishers, 0);
      members_.push_back(std::move(m));
    }
  }
  for (std::size_t r = 0; r < opts_.rooms; ++r) {
    const std::string room = opts_.room_prefix + std::to_string(r);
    for (std::size_t p = 0; p < opts_.publishers; ++p) {
      const auto pub_id = static_cast<std::uint32_t>(r * opts_.publishers + p);
      const std::size_t id =
          fleet_.add(identity{nick_for('p', members_.size()), {room}, true}, pub_id);
      member m;
      m.publisher = true;
      m.room = r;
      m.pub_id = pub_id;
      m.timer = std::make_unique<asio::steady_timer>(io_);
      members_.push_back(std::move(m));
      publishers_.push_back(id);
    }
  }
}

load_run::~load_run() = default;

load_result load_run::run() {
  setup_start_ns_ = steady_ns();
  deadline_.expires_after(seconds(opts_.setup_timeout));
  deadline_.async_wait([this](const std::error_code& ec) {
    if (ec || finished_) return;
    if (!fleet_.all_ready()) {
      fail("setup timed out: " + std::to_string(fleet_.ready()) + " of " +
           std::to_string(fleet_.size()) + " connections ready after " +
           std::to_string(opts_.setup_timeout) + " s");
    } else {
      fail("the run went past its time bound");
    }
  });
  fleet_.start();
  if (fleet_.size() == 0) begin_load();
  io_.run();

  load_result r;
  r.ok = first_error_.empty();
  r.error = first_error_;
  r.connections = fleet_.size();
  r.setup_s = load_start_ns_ ? (load_start_ns_ - setup_start_ns_) / 1e9 : 0;
  if (m_end_.t_ns > m_start_.t_ns) {
    const double dt = (m_end_.t_ns - m_start_.t_ns) / 1e9;
    r.measured_s = dt;
    r.delivered = m_end_.delivered - m_start_.delivered;
    r.published = m_end_.acked - m_start_.acked;
    r.deliveries_per_s = r.delivered / dt;
    r.published_per_s = r.published / dt;
    r.subscriber_bytes = m_end_.subscriber_bytes - m_start_.subscriber_bytes;
    if (r.delivered > 0) r.bytes_per_delivery = static_cast<double>(r.subscriber_bytes) / r.delivered;
    r.pipeline.publishes = m_end_.sent - m_start_.sent;
    r.pipeline.writes = m_end_.publisher_writes - m_start_.publisher_writes;
    r.pipeline.reads = m_end_.publisher_reads - m_start_.publisher_reads;
    r.pipeline.refills = refills_;
    r.pipeline.refilled = refilled_;
    r.pipeline.inflight_at_refill = inflight_at_refill_;
    if (!publishers_.empty())
      r.pipeline.mean_in_flight = inflight_ns_ / (dt * 1e9) / static_cast<double>(publishers_.size());
    r.usage.wall_s = dt;
    r.usage.cpu_s = m_end_.cpu.total() - m_start_.cpu.total();
    r.usage.share = r.usage.cpu_s / dt;
    r.usage.saturated = r.usage.share >= opts_.saturation;
    if (m_start_.server_cpu && m_end_.server_cpu)
      r.usage.server_share = (*m_end_.server_cpu - *m_start_.server_cpu) / dt;
    if (m_start_.wait && m_end_.wait) r.usage.wait_share = (*m_end_.wait - *m_start_.wait) / dt;
    if (m_start_.server_wait && m_end_.server_wait)
      r.usage.server_wait_share = (*m_end_.server_wait - *m_start_.server_wait) / dt;
  }
  r.latency = summarize(latency_);
  r.total_sent = sent_;
  r.total_acked = acked_;
  r.total_delivered = delivered_;
  r.expected_deliveries = sent_ * opts_.subscribers;
  r.lost = r.expected_deliveries > delivered_ ? r.expected_deliveries - delivered_ : 0;
  r.publisher_deliveries = pub_deliveries_;
  if (opts_.server == target::chatd) {
    r.gaps = gaps_;
    r.reorders = reorders_;
  } else {
    r.gaps = payload_gaps_;
    r.reorders = payload_reorders_;
  }
  r.payload_gaps = payload_gaps_;
  r.payload_reorders = payload_reorders_;
  r.foreign = foreign_;
  r.errors = errors_;
  for (std::size_t id = 0; id < members_.size(); ++id)
    if (!members_[id].publisher) r.subscriber_reads += fleet_.at(id).reads();
  if (opts_.server_pid) r.server_rss_kib = process_rss_kib(*opts_.server_pid);
  const double dt = r.measured_s;
  const auto over_window = [dt](const std::optional<double>& a, const std::optional<double>& b,
                                std::optional<double>& total, std::optional<double>& share) {
    if (!a || !b || dt <= 0) return;
    total = *b - *a;
    share = *total / dt;
  };
  for (std::size_t n = 0; n < opts_.ports.size(); ++n) {
    node_usage u;
    u.port = opts_.ports[n];
    if (n < opts_.server_pids.size()) u.pid = opts_.server_pids[n];
    for (std::size_t id = 0; id < members_.size(); ++id) {
      if (fleet_.node_of(id) != n) continue;
      ++(members_[id].publisher ? u.publishers : u.subscribers);
    }
    if (dt > 0) u.delivered = m_end_.node_delivered[n] - m_start_.node_delivered[n];
    if (n < m_end_.node_cpu.size()) {
      std::optional<double> wait_total;
      over_window(m_start_.node_cpu[n], m_end_.node_cpu[n], u.cpu_s, u.cpu_share);
      over_window(m_start_.node_wait[n], m_end_.node_wait[n], wait_total, u.wait_share);
    }
    r.nodes.push_back(u);
  }
  for (std::size_t k = 0; k < opts_.peer_pids.size(); ++k) {
    peer_usage u;
    u.pid = opts_.peer_pids[k];
    if (k < m_end_.peer_cpu.size()) {
      std::optional<double> wait_total;
      over_window(m_start_.peer_cpu[k], m_end_.peer_cpu[k], u.cpu_s, u.cpu_share);
      over_window(m_start_.peer_wait[k], m_end_.peer_wait[k], wait_total, u.wait_share);
    }
    r.peers.push_back(u);
  }
  return r;
}

void load_run::on_ready(connection& c, std::uint64_t base_seq) {
  members_[c.id()].last_room_seq = base_seq;
  fleet_.note_ready();
  if (fleet_.all_ready() && !finished_) begin_load();
}

void load_run::begin_load() {
  load_start_ns_ = steady_ns();
  deadline_.cancel();
  deadline_.expires_after(
      seconds(opts_.warmup + opts_.duration + opts_.drain + 30));
  deadline_.async_wait([this](const std::error_code& ec) {
    if (!ec && !finished_) fail("the run went past its time bound");
  });
  publishing_ = true;
  const std::size_t n = publishers_.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t id = publishers_[i];
    member& m = members_[id];
    if (opts_.rate > 0) {
      // Spread the publishers' schedules evenly over one interval.
      const double interval_ns = 1e9 / opts_.rate;
      m.start_ns = load_start_ns_ + static_cast<std::uint64_t>(interval_ns * i / n);
      arm_rate_timer(id, m.start_ns);
    } else {
      m.start_ns = load_start_ns_;
      pump(id);
    }
  }
  if (opts_.warmup > 0) {
    after(opts_.warmup, &load_run::begin_measure);
  } else {
    begin_measure();
  }
}

void load_run::after(double secs, void (load_run::*step)()) {
  phase_timer_.expires_after(seconds(secs));
  phase_timer_.async_wait([this, step](const std::error_code& ec) {
    if (!ec && !finished_) (this->*step)();
  });
}

load_run::snapshot load_run::take_snapshot() const {
  snapshot s;
  s.t_ns = steady_ns();
  s.delivered = delivered_;
  s.acked = acked_;
  s.sent = sent_;
  for (std::size_t id = 0; id < members_.size(); ++id) {
    const connection& c = fleet_.at(id);
    if (members_[id].publisher) {
      s.publisher_writes += c.writes();
      s.publisher_reads += c.reads();
    } else {
      s.subscriber_bytes += c.bytes_read();
    }
  }
  s.node_delivered = node_delivered_;
  s.cpu = self_cpu();
  s.wait = process_wait_seconds(::getpid());
  for (const int pid : opts_.server_pids) {
    s.node_cpu.push_back(process_cpu_seconds(pid));
    s.node_wait.push_back(process_wait_seconds(pid));
  }
  for (const int pid : opts_.peer_pids) {
    s.peer_cpu.push_back(process_cpu_seconds(pid));
    s.peer_wait.push_back(process_wait_seconds(pid));
  }
  // The server's CPU is that of all its nodes: deliveries per server CPU-second stay the
  // cost of a delivery, whichever node made it.
  const auto sum = [](const std::vector<std::optional<double>>& v) -> std::optional<double> {
    double total = 0;
    for (const auto& x : v) {
      if (!x) return std::nullopt;
      total += *x;
    }
    return total;
  };
  if (!opts_.server_pids.empty()) {
    s.server_cpu = sum(s.node_cpu);
    s.server_wait = sum(s.node_wait);
  }
  return s;
}

void load_run::begin_measure() {
  m_start_ = take_snapshot();
  measuring_ = true;
  inflight_since_ns_ = m_start_.t_ns;
  inflight_ns_ = 0;
  after(opts_.duration, &load_run::end_measure);
}

void load_run::end_measure() {
  inflight_changed(steady_ns(), 0);
  measuring_ = false;
  m_end_ = take_snapshot();
  publishing_ = false;
  for (std::size_t id : publishers_) {
    members_[id].timer->cancel();
    connection& c = fleet_.at(id);
    c.proto().end_batch(c.out());
    c.flush();
  }
  drain_end_ns_ = steady_ns() + static_cast<std::uint64_t>(opts_.drain * 1e9);
  check_drained();
}

void load_run::check_drained() {
  bool done = delivered_ >= sent_ * opts_.subscribers;
  for (std::size_t id : publishers_) done = done && members_[id].acked >= members_[id].sent;
  if (done || steady_ns() >= drain_end_ns_) return finish();
  after(0.01, &load_run::check_drained);
}

void load_run::finish() {
  if (finished_) return;
  finished_ = true;
  publishing_ = false;
  phase_timer_.cancel();
  deadline_.cancel();
  for (std::size_t id : publishers_) members_[id].timer->cancel();
  fleet_.close_all();
  io_.stop();
}

void load_run::fail(const std::string& what) {
  if (finished_) return;
  if (first_error_.empty()) first_error_ = what;
  finish();
}

void load_run::on_fail(connection& c, const std::string& what) {
  ++errors_;
  fail("connection " + std::to_string(c.id()) +
       (members_[c.id()].publisher ? " (publisher): " : " (subscriber): ") + what);
}

void load_run::on_delivery(connection& c, std::string_view payload, std::uint64_t room_seq,
                           std::uint64_t now_ns) {
  payload_fields f;
  if (!read_payload(payload, f)) {
    ++foreign_;
    return;
  }
  member& m = members_[c.id()];
  if (m.publisher) {
    ++pub_deliveries_;
    return;
  }
  ++delivered_;
  ++node_delivered_[fleet_.node_of(c.id())];
  if (measuring_) latency_.record(now_ns > f.sent_ns ? now_ns - f.sent_ns : 0);
  if (room_seq != 0) {
    if (room_seq == m.last_room_seq + 1) {
      m.last_room_seq = room_seq;
    } else if (room_seq > m.last_room_seq) {
      gaps_ += room_seq - m.last_room_seq - 1;
      m.last_room_seq = room_seq;
    } else {
      ++reorders_;
    }
  }
  const std::size_t local = f.publisher - m.room * opts_.publishers;
  if (local >= m.last_payload_seq.size()) {
    ++foreign_;
    return;
  }
  std::uint64_t& last = m.last_payload_seq[local];
  if (f.seq == last + 1) {
    last = f.seq;
  } else if (f.seq > last) {
    payload_gaps_ += f.seq - last - 1;
    last = f.seq;
  } else {
    ++payload_reorders_;
  }
}

void load_run::on_acks(connection& c, std::uint64_t n) {
  member& m = members_[c.id()];
  m.acked += n;
  acked_ += n;
  inflight_changed(c.read_time_ns(), -static_cast<std::int64_t>(n));
}

void load_run::inflight_changed(std::uint64_t now_ns, std::int64_t delta) {
  if (measuring_ && now_ns > inflight_since_ns_) {
    inflight_ns_ += static_cast<double>(inflight_) * static_cast<double>(now_ns - inflight_since_ns_);
    inflight_since_ns_ = now_ns;
  }
  inflight_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(inflight_) + delta);
}

void load_run::on_read_done(connection& c) {
  if (publishing_ && members_[c.id()].publisher) pump(c.id());
}

void load_run::pump(std::size_t id) {
  member& m = members_[id];
  const std::uint64_t inflight = m.sent - m.acked;
  if (!publishing_ || inflight >= opts_.window) return;
  std::uint64_t allowed = opts_.window - inflight;
  const std::uint64_t now = steady_ns();
  if (opts_.rate > 0) {
    if (now < m.start_ns) return;
    const auto due = static_cast<std::uint64_t>(
                         std::floor(static_cast<double>(now - m.start_ns) * opts_.rate / 1e9)) +
                     1;
    if (due <= m.sent) return;
    allowed = std::min(allowed, due - m.sent);
  }
  if (measuring_) {
    ++refills_;
    refilled_ += allowed;
    inflight_at_refill_ += inflight;
  }
  connection& c = fleet_.at(id);
  std::string& out = c.out();
  for (std::uint64_t k = 0; k < allowed; ++k) {
    const std::string_view text = writer_.make(payload_fields{now, m.pub_id, m.sent + 1});
    c.proto().publish(out, 0, text);
    ++m.sent;
  }
  sent_ += allowed;
  inflight_changed(now, static_cast<std::int64_t>(allowed));
  c.proto().end_batch(out);
  c.flush();
}

void load_run::arm_rate_timer(std::size_t id, std::uint64_t when_ns) {
  member& m = members_[id];
  m.timer->expires_at(at_ns(when_ns));
  m.timer->async_wait([this, id](const std::error_code& ec) {
    if (ec || !publishing_ || finished_) return;
    pump(id);
    member& mm = members_[id];
    std::uint64_t next =
        mm.start_ns + static_cast<std::uint64_t>(static_cast<double>(mm.sent) * 1e9 / opts_.rate);
    const std::uint64_t now = steady_ns();
    if (next <= now) next = now + 1000000;  // held back by the window: acks will pump sooner
    arm_rate_timer(id, next);
  });
}

}  // namespace chatbench
