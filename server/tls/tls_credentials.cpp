#include "server/tls/tls_credentials.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "config/config_loader.hpp"

namespace chatd {

namespace {

// OpenSSL's reason for the last failure, and the queue emptied for the next call.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "error " + std::to_string(code);
}

// A missing or unreadable file says so plainly, before OpenSSL's vaguer words.
void check_readable(const char* key, const std::string& path) {
  if (path.empty()) throw config_error(std::string(key) + ": expected the path of a PEM file");
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw config_error(std::string(key) + ": cannot read " + path + ": " + std::strerror(errno));
  }
  std::fclose(file);
}

std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* when) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(when, &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// "2026-12-02 15:42:09 UTC"
std::string utc_text(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

}  // namespace

tls_credentials load_tls_credentials(const tls_config& tls) {
  check_readable("tls.cert", tls.cert);
  check_readable("tls.key", tls.key);
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();
  // No renegotiation: a client could make the server redo the costly part at will.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // OpenSSL's own record buffers go back while a connection is idle, as most chat
  // connections are most of the time.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_min_proto_version(ctx, tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert.c_str()) != 1) {
    throw config_error("tls.cert: " + tls.cert + " is not a PEM certificate (" +
                       openssl_reason() + ")");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw config_error("tls.key: " + tls.key + " is not a PEM private key, or not the key of " +
                       tls.cert + " (" + openssl_reason() + ")");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    throw config_error("tls.key: " + tls.key + " is not the key of the certificate in " +
                       tls.cert + " (" + openssl_reason() + ")");
  }
  X509* cert = SSL_CTX_get0_certificate(ctx);
  const auto not_before = to_time_point(X509_get0_notBefore(cert));
  const auto not_after = to_time_point(X509_get0_notAfter(cert));
  const auto now = std::chrono::system_clock::now();
  if (now >= not_after) {
    throw config_error("tls.cert: " + tls.cert + " expired on " + utc_text(not_after));
  }
  if (now < not_before) {
    throw config_error("tls.cert: " + tls.cert + " is not valid before " + utc_text(not_before));
  }
  return tls_credentials{std::move(context), not_after};
}

}  // namespace chatd
