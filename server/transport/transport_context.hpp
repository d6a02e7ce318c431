// What every connection of the loop shares: scratch space lent to whoever is reading or
// writing (so idle connections hold none), the live byte bound, and the counters.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <vector>

#include "metrics/counter.hpp"
#include "server/transport/coalesced_writes.hpp"
#include "server/transport/gathered_writer.hpp"
#include "server/transport/outbound_queue.hpp"
#include "server/transport/write_pass.hpp"

namespace chatd {

struct transport_context {
  transport_context(metrics::counter& received, metrics::counter& sent,
                    metrics::counter& failed, std::size_t max_outbound,
                    std::chrono::milliseconds coalesce_delay = std::chrono::milliseconds(0))
      : coalesced(coalesce_delay), bytes_received(received), bytes_sent(sent), failures(failed),
        max_outbound_bytes(max_outbound) {}

  // Readers read into this and hand the bytes on before they wait again.
  std::array<char, 64 * 1024> read_buffer{};
  // Writers copy the lines of one send into this (gathered_writer.hpp).
  gathered_writer::buffer write_buffer{};
  // The writers due this turn.
  write_pass writers;
  // The writers whose output may wait a moment for more.
  coalesced_writes coalesced;

  metrics::counter& bytes_received;
  metrics::counter& bytes_sent;
  metrics::counter& failures;  // exceptions that ended a connection
  // limits.max_outbound_bytes; a reload changes it for every connection at once.
  std::size_t max_outbound_bytes;
};

}  // namespace chatd
