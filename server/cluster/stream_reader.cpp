#include "server/cluster/stream_reader.hpp"

#include "server/cluster/nats_link.hpp"

namespace chatd {

namespace {

std::string header(natsMsg* msg, const char* name) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, name, &value) != NATS_OK || value == nullptr) return {};
  return value;
}

}  // namespace

stream_reader::stream_reader(asio::any_io_executor loop, handler on_entries)
    : inbox_(std::move(loop), std::move(on_entries)) {}

stream_reader::~stream_reader() {
  if (sub_ != nullptr) {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
}

void stream_reader::start(jsCtx* js, const std::string& stream, const std::string& filter,
                          bool last_per_subject) {
  if (sub_ != nullptr) return;  // started by an earlier attempt
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = last_per_subject ? js_DeliverLastPerSubject : js_DeliverAll;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_Subscribe(&sub_, js, filter.c_str(), &stream_reader::on_msg, this, nullptr,
                              &so, &jerr);
  // The loop drains as fast as libnats fills; a cap here would only drop messages.
  if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub_, -1, -1);
  if (s != NATS_OK)
    throw engine_error("cluster: cannot read the stream " + stream + ": " + nats_error_text(s));
}

void stream_reader::on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<stream_reader*>(closure);
  stream_entry entry;
  entry.subject = natsMsg_GetSubject(msg);
  entry.data.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    entry.stream_seq = meta->Sequence.Stream;
    entry.stored_ns = meta->Timestamp;
    jsMsgMetaData_Destroy(meta);
  }
  entry.operation = header(msg, "KV-Operation");
  entry.why = header(msg, "Chatd-Why");
  entry.text = header(msg, "Chatd-Text");
  natsMsg_Destroy(msg);
  if (entry.stream_seq != 0) self->inbox_.push(std::move(entry));
}

}  // namespace chatd
