#include "server/transport/proxy_header_reader.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <variant>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "protocol/proxy_header.hpp"

namespace chatd {
namespace {

using outcome = proxy_header_result::outcome;

proxy_header_result failed(outcome why, std::string reason, bool nothing_sent = false) {
  proxy_header_result result;
  result.result = why;
  result.reason = std::move(reason);
  result.nothing_sent = nothing_sent;
  return result;
}

asio::ip::address address_of(const protocol::proxy_source& source) {
  if (!source.v6) {
    asio::ip::address_v4::bytes_type bytes{};
    std::copy_n(source.address.begin(), bytes.size(), bytes.begin());
    return asio::ip::address_v4(bytes);
  }
  asio::ip::address_v6::bytes_type bytes{};
  std::copy_n(source.address.begin(), bytes.size(), bytes.begin());
  const asio::ip::address_v6 v6(bytes);
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
  return v6;
}

proxy_header_result parsed(const protocol::proxy_parsed& header,
                           const asio::ip::tcp::endpoint& peer) {
  proxy_header_result result;
  result.result = outcome::ok;
  result.version = header.version;
  result.local = !header.source;
  result.client = header.source
                      ? asio::ip::tcp::endpoint(address_of(*header.source), header.source->port)
                      : peer;
  return result;
}

bool would_block(const asio::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace

// GCC 12 at -O2 takes the coroutine frame's aligned new (asio's recycling allocator) and its
// sized delete for a mismatched pair once the awaitable operators are inlined here: a false
// positive of the compiler, not a bug of the frame.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
asio::awaitable<proxy_header_result> read_proxy_header(
    asio::ip::tcp::socket& socket, std::chrono::steady_clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  constexpr auto tuple = asio::experimental::as_tuple(asio::use_awaitable);

  asio::error_code ec;
  const asio::ip::tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) co_return failed(outcome::closed, "gone before its header was read");
  socket.non_blocking(true, ec);
  asio::steady_timer timer(socket.get_executor());
  timer.expires_at(deadline);

  // What was consumed so far: a proper prefix of the header, since the parser asked for more
  // after it. Each turn peeks at what is queued without taking it, parses the lot, and takes
  // from the socket only the bytes that are the header's.
  std::string held;
  std::array<char, protocol::proxy_header_max_bytes> peeked;
  for (;;) {
    const std::size_t room = peeked.size() - held.size();
    const std::size_t n =
        socket.receive(asio::buffer(peeked.data(), room), asio::socket_base::message_peek, ec);
    if (would_block(ec)) {
      auto woken = co_await (socket.async_wait(asio::socket_base::wait_read, tuple) ||
                             timer.async_wait(tuple));
      if (woken.index() == 1) {
        if (std::get<0>(std::get<1>(woken)) == asio::error::operation_aborted) {
          co_return failed(outcome::cancelled, "cancelled");
        }
        co_return failed(outcome::timed_out,
                         held.empty() ? "no PROXY header in time" : "PROXY header unfinished in time",
                         held.empty());
      }
      if (std::get<0>(std::get<0>(woken))) co_return failed(outcome::cancelled, "cancelled");
      continue;
    }
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor) {
      co_return failed(outcome::cancelled, "cancelled");
    }
    if (ec || n == 0) {
      co_return failed(outcome::closed,
                       held.empty() ? "closed before sending anything" : "closed inside its PROXY header",
                       held.empty());
    }
    const std::size_t before = held.size();
    held.append(peeked.data(), n);
    const protocol::proxy_result verdict = protocol::parse_proxy_header(held);
    if (const auto* bad = std::get_if<protocol::proxy_invalid>(&verdict)) {
      co_return failed(outcome::invalid, std::string(bad->reason));
    }
    // Take the header's bytes: all that was peeked while it is incomplete, else up to its end.
    const auto* header = std::get_if<protocol::proxy_parsed>(&verdict);
    const std::size_t take = header ? header->consumed - before : n;
    std::size_t taken = 0;
    while (taken < take) {
      const std::size_t got = socket.receive(asio::buffer(peeked.data(), take - taken), 0, ec);
      // The bytes were queued a moment ago; only a reset can take them away.
      if (ec || got == 0) co_return failed(outcome::closed, "closed inside its PROXY header");
      taken += got;
    }
    if (header) co_return parsed(*header, peer);
  }
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace chatd
