#include "server/cluster/reply_inbox.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "server/cluster/nats_link.hpp"

namespace chatd {

reply_inbox::reply_inbox(asio::any_io_executor loop, handler on_replies)
    : inbox_(std::move(loop), std::move(on_replies)) {}

reply_inbox::~reply_inbox() {
  if (sub_ != nullptr) {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
}

void reply_inbox::start(natsConnection* conn) {
  if (sub_ != nullptr) return;
  natsInbox* inbox = nullptr;
  if (natsInbox_Create(&inbox) != NATS_OK) throw engine_error("cluster: no inbox");
  prefix_ = std::string(inbox) + ".";
  natsInbox_Destroy(inbox);
  natsStatus s = natsConnection_Subscribe(&sub_, conn, (prefix_ + "*").c_str(),
                                          &reply_inbox::on_msg, this);
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub_, -1, -1);
  if (s != NATS_OK) throw engine_error("cluster: cannot subscribe: " + nats_error_text(s));
}

void reply_inbox::on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<reply_inbox*>(closure);
  const std::string_view subject = natsMsg_GetSubject(msg);
  engine_reply reply{0, std::string(natsMsg_GetData(msg),
                                    static_cast<std::size_t>(natsMsg_GetDataLength(msg)))};
  const std::string_view token = subject.substr(std::min(subject.size(), self->prefix_.size()));
  std::from_chars(token.data(), token.data() + token.size(), reply.token);
  natsMsg_Destroy(msg);
  self->inbox_.push(std::move(reply));
}

}  // namespace chatd
