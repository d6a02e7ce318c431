// chatd in JSON mode (docs/protocol.md): /format json, /nick, /join each room; publishes are
// plain lines (or /say ROOM when in several rooms), each answered by {"type":"ok","cmd":"say"}.
// Lines are matched by their fixed field order instead of a JSON parser, so the hot path is a
// prefix compare and two short scans per message.
#pragma once

#include "protocol.hpp"

namespace chatbench {

class chatd_protocol final : public protocol {
 public:
  explicit chatd_protocol(identity id);
  void hello(std::string& out) override;
  void publish(std::string& out, std::size_t room_index, std::string_view payload) override;
  std::size_t parse(const char* data, std::size_t size, protocol_sink& sink) override;

 private:
  const char* message(const char* p, const char* end, protocol_sink& sink);
  void line(std::string_view l, protocol_sink& sink);
  void control_line(std::string_view l, protocol_sink& sink);

  identity id_;
  std::size_t joins_pending_;
  bool ready_ = false;
};

}  // namespace chatbench
