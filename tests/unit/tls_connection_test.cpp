// The TLS transport alone: a tls_connection over a socketpair, an OpenSSL client (Asio's TLS
// stream) on the other end and a test handler in place of the chat client, on a real
// io_context. The certificate is made in-process for each test.
#include "server/tls/tls_connection.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>

using namespace std::chrono_literals;

namespace chatd {
namespace {

struct recording_handler final : connection_handler {
  std::string seen;
  std::vector<std::pair<disconnect_reason, stop_mode>> ends;
  int finished = 0;

  steady_time on_input(std::string_view& in) override {
    seen.append(in);
    in = {};
    return steady_time::min();
  }
  void on_transport_end(disconnect_reason reason, stop_mode mode) override {
    ends.emplace_back(reason, mode);
  }
  void on_finished() override { ++finished; }
};

// A self-signed P-256 certificate valid for a day, in a server context.
std::shared_ptr<asio::ssl::context> make_server_context() {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("unit"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX_use_certificate(context->native_handle(), cert);
  SSL_CTX_use_PrivateKey(context->native_handle(), key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return context;
}

class TlsConnection : public ::testing::Test {
 protected:
  TlsConnection()
      : ctx_(received_, sent_, failures_, 64 * 1024),
        tls_(registry_),
        client_context_(asio::ssl::context::tls_client),
        client_(io_, client_context_) {
    tls_.context = make_server_context();
    tls_.handshake_timeout = 1s;
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    server_end_ = fds[0];
    client_.next_layer().assign(asio::ip::tcp::v4(), fds[1]);
  }
  ~TlsConnection() override {
    asio::error_code ignored;
    client_.next_layer().close(ignored);
    if (conn_) conn_->stop(stop_mode::cut, std::chrono::steady_clock::now());
    run_until([&] { return handler_.finished > 0; });
  }

  void open(int send_buffer = 0) {
    if (send_buffer > 0) {
      ::setsockopt(server_end_, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
    }
    asio::ip::tcp::socket socket(io_);
    socket.assign(asio::ip::tcp::v4(), server_end_);
    conn_ = std::make_shared<tls_connection>(ctx_, tls_, std::move(socket), 7, "peer:1", "peer");
    conn_->start(handler_);
  }
  // The client's handshake, run on the same loop as the server's.
  bool client_handshake() {
    bool done = false;
    asio::error_code result;
    client_.async_handshake(asio::ssl::stream_base::client, [&](const asio::error_code& ec) {
      result = ec;
      done = true;
    });
    run_until([&] { return done; });
    return done && !result;
  }
  void run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_for(2ms);
  }
  double handshakes(handshake_result result) { return tls_.handshakes(result).value(); }

  asio::io_context io_;
  metrics::registry registry_;
  metrics::counter received_, sent_, failures_;
  transport_context ctx_;
  tls_shared tls_;
  asio::ssl::context client_context_;
  asio::ssl::stream<asio::ip::tcp::socket> client_;
  recording_handler handler_;
  std::shared_ptr<tls_connection> conn_;
  int server_end_ = -1;
};

TEST_F(TlsConnection, LinesSentBeforeTheHandshakeWaitForItThenInputAndOutputFlow) {
  open();
  conn_->send(make_line("welcome\r\n"));  // as the chat client does at once
  ASSERT_TRUE(client_handshake());
  run_until([&] { return tls_.active.value() == 1; });
  EXPECT_EQ(handshakes(handshake_result::ok), 1);

  std::string got(9, '\0');
  bool read = false;
  asio::async_read(client_, asio::buffer(got),
                   [&](const asio::error_code& ec, std::size_t) { read = !ec; });
  run_until([&] { return read; });
  EXPECT_EQ(got, "welcome\r\n");

  bool written = false;
  asio::async_write(client_, asio::buffer(std::string_view("hello\r\n")),
                    [&](const asio::error_code& ec, std::size_t) { written = !ec; });
  run_until([&] { return written && handler_.seen == "hello\r\n"; });
  EXPECT_EQ(handler_.seen, "hello\r\n");
  EXPECT_EQ(received_.value(), 7);
  EXPECT_EQ(sent_.value(), 9);
}

TEST_F(TlsConnection, AClientThatDoesNotReadIsASlowConsumerAtTheByteBound) {
  open(/*send_buffer=*/4096);
  ASSERT_TRUE(client_handshake());
  const line_ptr line = make_line(std::string(1023, 'x') + "\n");
  // The client never reads: the socket fills, then the queue, up to 64 KiB.
  bool refused = false;
  for (int i = 0; i < 100'000 && !refused; ++i) {
    refused = !conn_->send(line);
    io_.poll();
  }
  ASSERT_TRUE(refused) << "the queue took everything";
  EXPECT_LE(conn_->queued_bytes(), 64 * 1024 + line.size() + tls_connection::max_bytes_per_write);
  run_until([&] { return !handler_.ends.empty(); });
  ASSERT_EQ(handler_.ends.size(), 1u);
  EXPECT_EQ(handler_.ends[0].first, disconnect_reason::slow_consumer);
}

TEST_F(TlsConnection, AHandshakeNotDoneByItsDeadlineIsClosedAndCounted) {
  open();
  io_.run_for(20ms);
  conn_->on_tick(std::chrono::steady_clock::now());  // before the deadline: nothing
  io_.run_for(5ms);
  EXPECT_TRUE(handler_.ends.empty());
  conn_->on_tick(std::chrono::steady_clock::now() + 2s);
  run_until([&] { return handler_.finished > 0; });
  ASSERT_EQ(handler_.ends.size(), 1u);
  EXPECT_EQ(handler_.ends[0].first, disconnect_reason::tls_handshake_timeout);
  EXPECT_EQ(handshakes(handshake_result::timeout), 1);
  EXPECT_EQ(handshakes(handshake_result::failed), 0);
  EXPECT_EQ(tls_.active.value(), 0);
}

TEST_F(TlsConnection, PlainTextInsteadOfAClientHelloFailsTheHandshake) {
  open();
  const std::string plain = "alice\r\n";
  ASSERT_EQ(::write(client_.next_layer().native_handle(), plain.data(), plain.size()),
            static_cast<ssize_t>(plain.size()));
  run_until([&] { return handler_.finished > 0; });
  ASSERT_EQ(handler_.ends.size(), 1u);
  EXPECT_EQ(handler_.ends[0].first, disconnect_reason::tls_handshake_failed);
  EXPECT_EQ(handler_.ends[0].second, stop_mode::cut);
  EXPECT_EQ(handshakes(handshake_result::failed), 1);
  EXPECT_EQ(handler_.seen, "") << "nothing of it reaches the handler";
}

}  // namespace
}  // namespace chatd
