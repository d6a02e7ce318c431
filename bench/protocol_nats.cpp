#include "protocol_nats.hpp"

#include <cstring>

namespace chatbench {

namespace {

bool starts_with(const char* p, std::size_t n, std::string_view prefix) {
  return n >= prefix.size() && std::memcmp(p, prefix.data(), prefix.size()) == 0;
}

}  // namespace

nats_protocol::nats_protocol(identity id) : id_(std::move(id)) {}

void nats_protocol::hello(std::string& out) {
  out += "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"chatbench\"}\r\n";
  if (!id_.publisher) {
    std::size_t sid = 1;
    for (const auto& room : id_.rooms) {
      out += "SUB ";
      out += room;
      out += ' ';
      out += std::to_string(sid++);
      out += "\r\n";
    }
  }
  out += "PING\r\n";
}

void nats_protocol::publish(std::string& out, std::size_t room_index, std::string_view payload) {
  out += "PUB ";
  out += id_.rooms[room_index];
  out += ' ';
  out += std::to_string(payload.size());
  out += "\r\n";
  out += payload;
  out += "\r\n";
  ++unpinged_;
}

void nats_protocol::end_batch(std::string& out) {
  if (unpinged_ == 0) return;
  out += "PING\r\n";
  ping_batches_.push_back(unpinged_);
  unpinged_ = 0;
}

std::size_t nats_protocol::parse(const char* data, std::size_t size, protocol_sink& sink) {
  std::size_t pos = 0;
  while (pos < size) {
    const char* p = data + pos;
    const std::size_t avail = size - pos;
    const void* nl = std::memchr(p, '\n', avail);
    if (nl == nullptr) break;
    const std::size_t line_len = static_cast<std::size_t>(static_cast<const char*>(nl) - p);
    const std::size_t text_len = line_len > 0 && p[line_len - 1] == '\r' ? line_len - 1 : line_len;
    if (starts_with(p, text_len, "MSG ")) {
      // MSG <subject> <sid> [reply-to] <#bytes>: the size is the last word.
      std::size_t i = text_len;
      while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9') --i;
      std::size_t n = 0;
      for (std::size_t k = i; k < text_len; ++k) n = n * 10 + static_cast<std::size_t>(p[k] - '0');
      const std::size_t body = line_len + 1;
      if (avail < body + n + 2) break;  // payload not complete yet
      if (ready_) sink.on_delivery(std::string_view(p + body, n), 0);
      pos += body + n + 2;
      continue;
    }
    const std::string_view text(p, text_len);
    if (text == "PING") {
      sink.send_now("PONG\r\n");
    } else if (text == "PONG") {
      if (!ready_) {
        ready_ = true;
        sink.on_ready(0);
      } else if (!ping_batches_.empty()) {
        const std::uint64_t n = ping_batches_.front();
        ping_batches_.pop_front();
        sink.on_acks(n);
      }
    } else if (starts_with(p, text_len, "-ERR")) {
      sink.on_fail("nats error: " + std::string(text));
    }
    // INFO and +OK need nothing.
    pos += line_len + 1;
  }
  return pos;
}

}  // namespace chatbench
