#include "server/tls/tls_shared.hpp"

namespace chatd {

tls_shared::tls_shared(metrics::registry& reg)
    : active(reg.add_gauge("chatd_tls_connections",
                           "TLS connections past their handshake and still open.")
                 .add({})),
      certificate_expiry(reg.add_gauge("chatd_tls_certificate_expiry_timestamp_seconds",
                                       "When the TLS listener's certificate expires (its "
                                       "notAfter), in Unix seconds; updated by a reload.")
                             .add({})) {
  auto& handshakes = reg.add_counter("chatd_tls_handshakes_total",
                                     "TLS handshakes on listen.chat_tls, by result (failed: "
                                     "not TLS, no common version or cipher; timeout: not done "
                                     "within tls.handshake_timeout).",
                                     {"result"});
  handshakes_[0] = &handshakes.add({{"result", "ok"}});
  handshakes_[1] = &handshakes.add({{"result", "failed"}});
  handshakes_[2] = &handshakes.add({{"result", "timeout"}});
}

}  // namespace chatd
