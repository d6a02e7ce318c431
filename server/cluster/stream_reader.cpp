#include "server/cluster/stream_reader.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "server/cluster/nats_link.hpp"

namespace chatd {

namespace {

std::string header(natsMsg* msg, const char* name) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, name, &value) != NATS_OK || value == nullptr) return {};
  return value;
}

void unsubscribe(natsSubscription* sub) {
  if (sub == nullptr) return;
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
}

}  // namespace

stream_reader::stream_reader(asio::any_io_executor loop, handler on_entries)
    : on_entries_(std::move(on_entries)),
      inbox_(std::move(loop), [this](std::vector<stream_entry>& entries) { deliver(entries); }) {}

stream_reader::~stream_reader() {
  if (restarter_.joinable()) restarter_.join();
  std::lock_guard lock(sub_mutex_);
  unsubscribe(sub_);
  sub_ = nullptr;
}

void stream_reader::start(jsCtx* js, const std::string& stream, const std::string& filter,
                          bool last_per_subject) {
  std::lock_guard lock(sub_mutex_);
  if (sub_ != nullptr) return;  // started by an earlier attempt
  js_ = js;
  stream_ = stream;
  filter_ = filter;
  last_per_subject_ = last_per_subject;
  if (consumers_.empty()) consumers_.push_back(std::make_unique<consumer>(consumer{this, 0}));
  natsStatus s = NATS_OK;
  sub_ = subscribe(*consumers_.back(), 0, s);
  if (sub_ == nullptr)
    throw engine_error("cluster: cannot read the stream " + stream + ": " + nats_error_text(s));
}

natsSubscription* stream_reader::subscribe(consumer& closure, std::uint64_t from_seq,
                                           natsStatus& status) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream_.c_str();
  so.Ordered = true;
  if (from_seq > 0) {
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = from_seq;
  } else {
    so.Config.DeliverPolicy = last_per_subject_ ? js_DeliverLastPerSubject : js_DeliverAll;
  }
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  status = js_Subscribe(&sub, js_, filter_.c_str(), &stream_reader::on_msg, &closure, nullptr,
                        &so, &jerr);
  // The loop drains as fast as libnats fills; a cap here would only drop messages.
  if (status == NATS_OK) status = natsSubscription_SetPendingLimits(sub, -1, -1);
  if (status != NATS_OK) {
    unsubscribe(sub);
    return nullptr;
  }
  return sub;
}

bool stream_reader::restart(std::uint64_t from_seq) {
  if (js_ == nullptr || restarting_.load()) return false;
  if (restarter_.joinable()) restarter_.join();  // finished: restarting_ is false
  ++generation_;
  consumers_.push_back(std::make_unique<consumer>(consumer{this, generation_}));
  consumer* next = consumers_.back().get();
  restarting_ = true;
  restarter_ = std::thread([this, next, from_seq] {
    std::lock_guard lock(sub_mutex_);
    unsubscribe(sub_);
    natsStatus s = NATS_OK;
    sub_ = subscribe(*next, from_seq, s);
    if (sub_ == nullptr) {
      // The owner asks again if reading stays stalled.
      spdlog::warn("cluster: cannot read the stream {} again from seq {}: {}", stream_,
                   from_seq, nats_error_text(s));
    }
    restarting_ = false;
  });
  return true;
}

void stream_reader::deliver(std::vector<stream_entry>& entries) {
  // Entries of a consumer given up on: the new one delivers them again, in order.
  std::erase_if(entries, [this](const stream_entry& e) { return e.generation != generation_; });
  if (!entries.empty()) on_entries_(entries);
}

void stream_reader::on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  const auto* from = static_cast<consumer*>(closure);
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
  entry.generation = from->generation;
  natsMsg_Destroy(msg);
  if (entry.stream_seq != 0) from->reader->inbox_.push(std::move(entry));
}

}  // namespace chatd
