// Kept-rooms mode (chatd only): what a room costs the server once its last member left and
// chatd keeps it for rooms.keep_empty (seq, epoch, topic and history ring). A few connections
// create --kept-rooms rooms (/join, --messages texts, /part), the server's RSS is read before
// and after, and the run waits until chatd reports every room kept (chatd_rooms_kept_empty on
// the metrics endpoint, and the total of /rooms).
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"
#include "results.hpp"

namespace chatbench {

class kept_run {
 public:
  explicit kept_run(const options& opts);
  ~kept_run();
  kept_run(const kept_run&) = delete;
  kept_run& operator=(const kept_run&) = delete;
  kept_result run();

 private:
  struct client;

  void start_client(client& c);
  void start_read(client& c);
  void on_line(client& c, std::string_view l);
  void flush(client& c);
  void fill(client& c);
  void all_ready();
  void start_creating();
  void client_done();
  void poll();
  void scrape();
  void check_kept();
  void measured();
  void finish();
  void fail(const std::string& what);
  void after(double secs, void (kept_run::*step)());
  std::size_t lines_per_room() const;

  const options& opts_;
  asio::io_context io_;
  asio::ip::tcp::endpoint server_;
  asio::steady_timer phase_timer_;
  asio::steady_timer deadline_;
  std::vector<std::unique_ptr<client>> clients_;
  std::string text_;
  std::size_t ready_ = 0, done_ = 0;
  bool creating_ = false, waiting_ = false, rooms_query_pending_ = false;
  std::unique_ptr<asio::ip::tcp::socket> scrape_socket_;
  std::string scrape_buf_;
  std::optional<std::uint64_t> last_total_;
  std::optional<double> last_kept_;
  std::uint64_t start_ns_ = 0, create_start_ns_ = 0, created_ns_ = 0;
  kept_result result_;
  bool finished_ = false;
  std::string first_error_;
};

}  // namespace chatbench
