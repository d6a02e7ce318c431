// Bounds on what one scraper can make the metrics listener do.
#pragma once

#include <chrono>
#include <cstddef>

namespace chatd {

struct http_limits {
  // Request line plus headers; anything longer is answered 400 and closed. Scrapers send ~300.
  std::size_t max_request_bytes = 8192;
  // How long a connection may take to send a whole request head (also the idle time allowed
  // between keep-alive requests, and the time allowed to write a response).
  std::chrono::milliseconds read_timeout{5000};
  // Connections served at once; the next one is answered 503 and closed. Prometheus keeps one
  // connection per target, so a handful is plenty.
  std::size_t max_concurrent = 16;
  // Requests answered on one connection before it is closed, so no client holds a slot forever.
  std::size_t max_requests_per_connection = 1000;
};

}  // namespace chatd
