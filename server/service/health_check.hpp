// `chatd --health-check`: asks a running chatd's /healthz whether it is serving, for container
// HEALTHCHECKs and scripts that have no curl.
#pragma once

#include <chrono>
#include <string>

#include "config/config.hpp"

namespace chatd {

struct health_result {
  bool healthy = false;
  std::string detail;  // "200 OK from 127.0.0.1:9102", or what went wrong
};

// GETs /healthz on the configured metrics listener (a wildcard host is asked on loopback).
health_result check_health(const listen_config& listen, std::chrono::milliseconds timeout);

}  // namespace chatd
