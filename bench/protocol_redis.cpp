#include "protocol_redis.hpp"

#include <cstring>

namespace chatbench {

namespace {

void bulk(std::string& out, std::string_view s) {
  out += '$';
  out += std::to_string(s.size());
  out += "\r\n";
  out += s;
  out += "\r\n";
}

// The line starting at p (without CRLF); nullptr if no CRLF yet.
const char* line_end(const char* p, const char* end) {
  const void* cr = std::memchr(p, '\r', static_cast<std::size_t>(end - p));
  if (cr == nullptr) return nullptr;
  const char* c = static_cast<const char*>(cr);
  return c + 1 < end ? c : nullptr;
}

long long integer(const char* p, const char* end) {
  bool neg = false;
  if (p < end && *p == '-') {
    neg = true;
    ++p;
  }
  long long v = 0;
  while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (*p++ - '0');
  return neg ? -v : v;
}

constexpr std::size_t max_elements = 8;

}  // namespace

redis_protocol::redis_protocol(identity id)
    : id_(std::move(id)), subscribes_pending_(id_.publisher ? 0 : id_.rooms.size()) {}

void redis_protocol::hello(std::string& out) {
  if (id_.publisher || id_.rooms.empty()) {
    out += "*1\r\n$4\r\nPING\r\n";
    return;
  }
  for (const auto& room : id_.rooms) {
    out += "*2\r\n$9\r\nSUBSCRIBE\r\n";
    bulk(out, room);
  }
}

void redis_protocol::publish(std::string& out, std::size_t room_index, std::string_view payload) {
  out += "*3\r\n$7\r\nPUBLISH\r\n";
  bulk(out, id_.rooms[room_index]);
  bulk(out, payload);
}

std::size_t redis_protocol::parse(const char* data, std::size_t size, protocol_sink& sink) {
  const char* p = data;
  const char* end = data + size;
  while (p < end) {
    const char* next = value(p, end, sink);
    if (next == nullptr) break;
    p = next;
  }
  return static_cast<std::size_t>(p - data);
}

const char* redis_protocol::value(const char* p, const char* end, protocol_sink& sink) {
  const char* le = line_end(p, end);
  if (le == nullptr) return nullptr;
  const char kind = *p;
  const char* after = le + 2;
  switch (kind) {
    case '+':
      if (!ready_ && std::string_view(p, static_cast<std::size_t>(le - p)) == "+PONG") {
        ready_ = true;
        sink.on_ready(0);
      }
      return after;
    case '-':
      sink.on_fail("redis error: " + std::string(p + 1, le));
      return after;
    case ':':
      if (ready_) sink.on_acks(1);
      return after;
    case '$': {
      const long long n = integer(p + 1, le);
      if (n < 0) return after;
      if (end - after < n + 2) return nullptr;
      return after + n + 2;
    }
    case '*': {
      const long long count = integer(p + 1, le);
      if (count <= 0) return after;
      std::string_view elems[max_elements];
      const char* q = after;
      for (long long i = 0; i < count; ++i) {
        const char* e = line_end(q, end);
        if (e == nullptr) return nullptr;
        if (*q == '$') {
          const long long n = integer(q + 1, e);
          const char* body = e + 2;
          if (n < 0) {
            q = body;
            continue;
          }
          if (end - body < n + 2) return nullptr;
          if (i < static_cast<long long>(max_elements))
            elems[i] = std::string_view(body, static_cast<std::size_t>(n));
          q = body + n + 2;
        } else if (*q == ':' || *q == '+') {
          q = e + 2;
        } else {
          sink.on_fail("redis: unexpected nested reply");
          return end;
        }
      }
      if (count == 3 && elems[0] == "message") {
        if (ready_) sink.on_delivery(elems[2], 0);
      } else if (count == 3 && elems[0] == "subscribe") {
        if (subscribes_pending_ > 0 && --subscribes_pending_ == 0) {
          ready_ = true;
          sink.on_ready(0);
        }
      }
      return q;
    }
    default:
      sink.on_fail("redis: unexpected reply " + std::string(p, le));
      return end;
  }
}

}  // namespace chatbench
