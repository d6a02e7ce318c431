#include "kept_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "clock.hpp"
#include "json_fields.hpp"
#include "proc_stats.hpp"

namespace chatbench {

namespace {

// The value of an unlabelled sample `name` in a Prometheus text exposition.
std::optional<double> prometheus_value(std::string_view body, std::string_view name) {
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    const std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.size() > name.size() && starts_with(line, name) && line[name.size()] == ' ') {
      try {
        return std::stod(std::string(line.substr(name.size() + 1)));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

constexpr std::size_t read_chunk = 64 * 1024;
constexpr double poll_interval = 0.1;

}  // namespace

// One control connection: registered, then a stream of /join, texts and /part lines with at
// most --window of them unanswered. chatd answers every line in order (a /part waits for the
// oks of the texts before it), so answers are counted, not matched.
struct kept_run::client {
  explicit client(asio::io_context& io) : socket(io), buf(read_chunk) {}
  asio::ip::tcp::socket socket;
  std::string nick;
  std::vector<std::size_t> rooms;   // room indexes this connection creates
  std::size_t next_room = 0;        // generator: the room being written
  std::size_t next_line = 0;        //   and the line of it
  std::uint64_t sent = 0, answered = 0, total = 0;
  bool ready = false, done = false;
  std::vector<char> buf;
  std::size_t fill = 0;
  std::string pending, writing;
  bool write_busy = false;
};

kept_run::kept_run(const options& opts)
    : opts_(opts),
      server_(asio::ip::make_address(opts.host), opts.port),
      phase_timer_(io_),
      deadline_(io_),
      text_(opts.size, 'x') {
  const std::size_t conns = std::max<std::size_t>(1, std::min(opts_.kept_conns, opts_.kept_rooms));
  const std::string tag = std::to_string(::getpid() % 100000);
  for (std::size_t i = 0; i < conns; ++i) {
    auto c = std::make_unique<client>(io_);
    c->nick = "k" + tag + "x" + std::to_string(i);
    clients_.push_back(std::move(c));
  }
  for (std::size_t r = 0; r < opts_.kept_rooms; ++r) clients_[r % conns]->rooms.push_back(r);
  for (auto& c : clients_) c->total = c->rooms.size() * lines_per_room();
  // The texts carry nothing to check; make them distinct from any command.
  if (!text_.empty()) text_[0] = 'k';
}

kept_run::~kept_run() = default;

std::size_t kept_run::lines_per_room() const {
  return 1 + opts_.messages + (opts_.kept_active ? 0 : 1);
}

kept_result kept_run::run() {
  result_.nofile_limit = raise_nofile_limit();
  result_.rooms = opts_.kept_rooms;
  result_.connections = clients_.size();
  result_.messages = opts_.messages;
  result_.text_bytes = opts_.messages > 0 ? opts_.size : 0;
  result_.parted = !opts_.kept_active;
  start_ns_ = steady_ns();
  deadline_.expires_after(seconds(opts_.setup_timeout));
  deadline_.async_wait([this](const std::error_code& ec) {
    if (ec || finished_) return;
    std::uint64_t answered = 0, total = 0;
    for (const auto& c : clients_) {
      answered += c->answered;
      total += c->total;
    }
    std::string where = !creating_ ? std::to_string(ready_) + " of " + std::to_string(clients_.size()) +
                                         " connections registered"
                        : !waiting_ ? std::to_string(answered) + " of " + std::to_string(total) +
                                          " lines answered"
                                    : "rooms listed " + (last_total_ ? std::to_string(*last_total_) : "?") +
                                          ", chatd_rooms_kept_empty " +
                                          (last_kept_ ? std::to_string(static_cast<std::uint64_t>(*last_kept_)) : "?") +
                                          ", expected " + std::to_string(opts_.kept_rooms);
    fail("timed out after " + std::to_string(opts_.setup_timeout) + " s: " + where);
  });
  for (auto& c : clients_) start_client(*c);
  io_.run();
  result_.ok = first_error_.empty();
  result_.error = first_error_;
  for (const auto& c : clients_) result_.lines += c->answered;
  result_.rooms_total = last_total_;
  result_.kept_empty = last_kept_;
  return result_;
}

void kept_run::start_client(client& c) {
  c.socket.async_connect(server_, [this, &c](const std::error_code& e) {
    if (finished_) return;
    if (e) return fail("connect: " + e.message());
    std::error_code ignored;
    c.socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    // Ready on the answer to /rooms (the first JSON "rooms" line).
    c.pending += "/format json\n/nick " + c.nick + "\n/rooms * 1\n";
    flush(c);
    start_read(c);
  });
}

void kept_run::start_read(client& c) {
  if (c.fill == c.buf.size()) c.buf.resize(c.buf.size() * 2);  // one long line
  c.socket.async_read_some(
      asio::buffer(c.buf.data() + c.fill, c.buf.size() - c.fill),
      [this, &c](const std::error_code& e, std::size_t n) {
        if (finished_) return;
        if (e) {
          if (e == asio::error::eof) return fail("the server closed connection " + c.nick);
          return fail("read: " + e.message());
        }
        c.fill += n;
        std::size_t pos = 0;
        while (pos < c.fill && !finished_) {
          const void* nl = std::memchr(c.buf.data() + pos, '\n', c.fill - pos);
          if (nl == nullptr) break;
          const auto stop = static_cast<std::size_t>(static_cast<const char*>(nl) - c.buf.data());
          std::size_t len = stop - pos;
          if (len > 0 && c.buf[pos + len - 1] == '\r') --len;
          on_line(c, std::string_view(c.buf.data() + pos, len));
          pos = stop + 1;
        }
        if (finished_) return;
        if (pos > 0) {
          c.fill -= pos;
          if (c.fill > 0) std::memmove(c.buf.data(), c.buf.data() + pos, c.fill);
        }
        if (c.buf.size() > (16u << 20)) return fail("a server line is longer than 16 MiB");
        fill(c);
        flush(c);
        start_read(c);
      });
}

void kept_run::on_line(client& c, std::string_view l) {
  if (l.empty()) return;
  if (l[0] != '{') {
    // Human lines come only before /format json is answered: the welcome, or a refusal.
    if (starts_with(l, "! ") || starts_with(l, "* Bye"))
      fail("chatd refused connection " + c.nick + ": " + std::string(l));
    return;
  }
  const auto type = string_field(l, R"("type":")");
  if (type == "error") return fail("chatd error on " + c.nick + ": " + std::string(l));
  if (type == "bye") return fail("chatd closed " + c.nick + ": " + std::string(l));
  if (type == "rooms") {
    if (!c.ready) {
      c.ready = true;
      if (++ready_ == clients_.size()) all_ready();
      return;
    }
    if (rooms_query_pending_) {
      rooms_query_pending_ = false;
      last_total_ = number_field(l, R"("total":)");
      check_kept();
    }
    return;
  }
  if (type != "ok" || !c.ready || !creating_) return;  // msg, join, part events: not answers
  if (++c.answered == c.total && !c.done) {
    c.done = true;
    client_done();
  }
}

void kept_run::fill(client& c) {
  if (!creating_ || c.done) return;
  const std::size_t per_room = lines_per_room();
  while (c.next_room < c.rooms.size() && c.sent - c.answered < opts_.window) {
    const std::string room = opts_.room_prefix + std::to_string(c.rooms[c.next_room]);
    if (c.next_line == 0) {
      c.pending += "/join " + room + "\n";
    } else if (c.next_line <= opts_.messages) {
      c.pending += text_;  // a plain line goes to the current room: the one just joined
      c.pending += '\n';
    } else {
      c.pending += "/part " + room + "\n";
    }
    ++c.sent;
    if (++c.next_line == per_room) {
      c.next_line = 0;
      ++c.next_room;
    }
  }
}

void kept_run::flush(client& c) {
  if (c.write_busy || c.pending.empty() || finished_) return;
  c.writing.swap(c.pending);
  c.write_busy = true;
  asio::async_write(c.socket, asio::buffer(c.writing), [this, &c](const std::error_code& e, std::size_t) {
    c.write_busy = false;
    c.writing.clear();
    if (finished_) return;
    if (e) return fail("write: " + e.message());
    flush(c);
  });
}

void kept_run::all_ready() {
  result_.connect_s = (steady_ns() - start_ns_) / 1e9;
  std::fprintf(stderr, "chatbench: %zu connections registered in %.2f s\n", clients_.size(),
               result_.connect_s);
  // The fleet connected and idle: the baseline.
  after(opts_.settle, &kept_run::start_creating);
}

void kept_run::start_creating() {
  if (opts_.server_pid) result_.rss_before_kib = process_rss_kib(*opts_.server_pid);
  create_start_ns_ = steady_ns();
  creating_ = true;
  for (auto& c : clients_) {
    if (c->total == 0) {
      c->done = true;
      ++done_;
      continue;
    }
    fill(*c);
    flush(*c);
  }
  if (done_ == clients_.size()) {
    --done_;
    client_done();
  }
}

void kept_run::client_done() {
  if (++done_ < clients_.size()) return;
  created_ns_ = steady_ns();
  result_.create_s = (created_ns_ - create_start_ns_) / 1e9;
  if (opts_.server_pid) result_.rss_created_kib = process_rss_kib(*opts_.server_pid);
  std::uint64_t answered = 0;
  for (const auto& c : clients_) answered += c->answered;
  std::fprintf(stderr, "chatbench: %zu rooms %s in %.2f s (%llu lines answered)\n", opts_.kept_rooms,
               opts_.kept_active ? "created and held" : "created and parted", result_.create_s,
               static_cast<unsigned long long>(answered));
  waiting_ = true;
  poll();
}

// Every 100 ms until chatd shows every room: /rooms * 1 on the first connection (its total
// counts kept rooms) and, with --metrics-port, a scrape of chatd_rooms_kept_empty.
void kept_run::poll() {
  if (!rooms_query_pending_) {
    rooms_query_pending_ = true;
    clients_.front()->pending += "/rooms * 1\n";
    flush(*clients_.front());
  }
  if (opts_.metrics_port != 0 && !scrape_socket_) scrape();
  after(poll_interval, &kept_run::poll);
}

void kept_run::scrape() {
  scrape_socket_ = std::make_unique<asio::ip::tcp::socket>(io_);
  scrape_buf_.clear();
  auto* s = scrape_socket_.get();
  const asio::ip::tcp::endpoint ep(server_.address(), opts_.metrics_port);
  s->async_connect(ep, [this, s](const std::error_code& e) {
    if (finished_) return;
    if (e) return fail("metrics endpoint: connect: " + e.message());
    auto req = std::make_shared<std::string>("GET /metrics HTTP/1.1\r\nHost: " + opts_.host +
                                             "\r\nConnection: close\r\n\r\n");
    asio::async_write(*s, asio::buffer(*req), [this, s, req](const std::error_code& we, std::size_t) {
      if (finished_) return;
      if (we) return fail("metrics endpoint: write: " + we.message());
      asio::async_read(*s, asio::dynamic_buffer(scrape_buf_, 8u << 20),
                       [this](const std::error_code& re, std::size_t) {
                         if (finished_) return;
                         if (re && re != asio::error::eof)
                           return fail("metrics endpoint: read: " + re.message());
                         if (scrape_buf_.rfind("HTTP/1.1 200", 0) != 0)
                           return fail("metrics endpoint: " + scrape_buf_.substr(0, scrape_buf_.find('\r')));
                         last_kept_ = prometheus_value(scrape_buf_, "chatd_rooms_kept_empty");
                         if (!last_kept_) return fail("metrics endpoint: no chatd_rooms_kept_empty");
                         scrape_socket_.reset();
                         check_kept();
                       });
    });
  });
}

void kept_run::check_kept() {
  if (!waiting_) return;
  const std::uint64_t want_kept = opts_.kept_active ? 0 : opts_.kept_rooms;
  if (!last_total_ || *last_total_ != opts_.kept_rooms) return;
  if (opts_.metrics_port != 0 &&
      (!last_kept_ || static_cast<std::uint64_t>(*last_kept_) != want_kept))
    return;
  waiting_ = false;
  result_.wait_s = (steady_ns() - created_ns_) / 1e9;
  std::fprintf(stderr, "chatbench: chatd lists %llu rooms, %s kept empty, after %.2f s\n",
               static_cast<unsigned long long>(*last_total_),
               last_kept_ ? std::to_string(static_cast<std::uint64_t>(*last_kept_)).c_str() : "?",
               result_.wait_s);
  after(opts_.settle, &kept_run::measured);
}

void kept_run::measured() {
  if (opts_.server_pid) {
    result_.rss_after_kib = process_rss_kib(*opts_.server_pid);
    if (result_.rss_before_kib && result_.rss_after_kib && opts_.kept_rooms > 0) {
      result_.bytes_per_room =
          (static_cast<double>(*result_.rss_after_kib) - static_cast<double>(*result_.rss_before_kib)) *
          1024.0 / static_cast<double>(opts_.kept_rooms);
    }
  }
  finish();
}

void kept_run::after(double secs, void (kept_run::*step)()) {
  phase_timer_.expires_after(seconds(secs));
  phase_timer_.async_wait([this, step](const std::error_code& ec) {
    if (!ec && !finished_) (this->*step)();
  });
}

void kept_run::finish() {
  if (finished_) return;
  finished_ = true;
  phase_timer_.cancel();
  deadline_.cancel();
  std::error_code ignored;
  for (auto& c : clients_) c->socket.close(ignored);
  if (scrape_socket_) scrape_socket_->close(ignored);
  io_.stop();
}

void kept_run::fail(const std::string& what) {
  if (finished_) return;
  if (first_error_.empty()) first_error_ = what;
  finish();
}

}  // namespace chatbench
