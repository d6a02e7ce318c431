// The TLS listener's test kit (header-only): certificates made at test time with the openssl
// CLI, a chatd config that turns listen.chat_tls on, and `openssl s_client` as a real TLS chat
// client driven through a pipe.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "integration/child_process.hpp"
#include "integration/server_process.hpp"

namespace chatd::integration {

// The openssl CLI, or "" (the tests skip without it).
inline std::string openssl_cli() { return find_on_path("openssl"); }

inline void run_openssl(std::vector<std::string> args) {
  args.insert(args.begin(), openssl_cli());
  const program_result run = run_program(std::move(args), std::chrono::seconds(30));
  if (run.exit_code != 0) throw std::runtime_error("openssl failed:\n" + run.output);
}

// A self-signed EC certificate for `common_name` valid for `days`, at dir/NAME.crt and
// dir/NAME.key.
struct cert_pair {
  std::string cert;
  std::string key;
};

inline cert_pair make_cert(const temp_dir& dir, const std::string& name,
                           const std::string& common_name, int days = 2) {
  cert_pair pair{dir.file(name + ".crt"), dir.file(name + ".key")};
  run_openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
               "-nodes", "-keyout", pair.key, "-out", pair.cert, "-subj", "/CN=" + common_name,
               "-days", std::to_string(days)});
  return pair;
}

// The certificate of `pair` signed again with a validity that ended a day before it began,
// so that it is expired now: dir/NAME.crt with pair's key.
inline cert_pair make_expired_cert(const temp_dir& dir, const cert_pair& pair,
                                   const std::string& name) {
  cert_pair expired{dir.file(name + ".crt"), pair.key};
  run_openssl({"x509", "-in", pair.cert, "-signkey", pair.key, "-days", "-1", "-out",
               expired.cert});
  return expired;
}

// The config that turns the TLS listener on, on an ephemeral loopback port.
inline std::string tls_config_yaml(const cert_pair& pair, std::string_view more_tls = {},
                                   std::string_view more = {}) {
  return "listen:\n  chat_tls: 127.0.0.1:0\ntls:\n  cert: " + pair.cert + "\n  key: " +
         pair.key + "\n" + std::string(more_tls) + std::string(more);
}

// The TLS listener's port, from the server's "chat TLS listening on 127.0.0.1:PORT" line.
inline std::uint16_t tls_port(const server_process& server) {
  static const std::regex listening(R"(chat TLS listening on 127\.0\.0\.1:([0-9]+))");
  server.wait_for_log("chat TLS listening on 127.0.0.1:");
  const std::string log = server.log();
  std::smatch match;
  if (!std::regex_search(log, match, listening)) {
    throw std::runtime_error("chatd did not log its TLS address; log:\n" + log);
  }
  return static_cast<std::uint16_t>(std::stoul(match[1].str()));
}

// `openssl s_client -quiet -connect 127.0.0.1:PORT EXTRA...`, its input a FIFO this object
// writes lines into, its output (the chat and, on stderr, the server's certificate as seen by
// the verify callback: "depth=0 CN = NAME") captured. Stopped by its own PID at the end.
class tls_client {
 public:
  tls_client(const temp_dir& dir, const std::string& name, std::uint16_t port,
             std::vector<std::string> extra = {}) {
    const std::string fifo = dir.file(name + ".in");
    if (::mkfifo(fifo.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + fifo);
    // Read-write, so that opening it blocks neither here nor in the child; the child's open
    // finds a writer and s_client sees end of input only when this end closes.
    input_ = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
    if (input_ < 0) throw std::runtime_error("open " + fifo);
    std::vector<std::string> argv{openssl_cli(), "s_client", "-quiet", "-connect",
                                  "127.0.0.1:" + std::to_string(port)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    spawn_options options;
    options.stdin_path = fifo;
    options.stop_grace = std::chrono::milliseconds(0);
    process_ = std::make_unique<child_process>(std::move(argv), std::move(options));
  }
  ~tls_client() {
    if (input_ >= 0) ::close(input_);
  }
  tls_client(const tls_client&) = delete;
  tls_client& operator=(const tls_client&) = delete;

  void send_line(std::string_view text) {
    const std::string line = std::string(text) + "\n";
    if (::write(input_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      throw std::runtime_error("tls_client: write to s_client failed");
    }
  }
  bool wait_for(std::string_view needle,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    return process_->wait_for_output(needle, timeout);
  }
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    return process_->wait_exit(timeout);
  }
  std::string output() const { return process_->output(); }

 private:
  int input_ = -1;
  std::unique_ptr<child_process> process_;
};

}  // namespace chatd::integration
