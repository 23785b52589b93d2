#include "flow/listener_feed.h"

#include <rapidjson/document.h>

#include "core/log.h"

namespace portatlas::flow {

ListenerFeed::ListenerFeed(Get get, int64_t interval_ms)
    : get_(std::move(get)),
      current_(std::make_shared<ListenerSet>()),
      task_([this] { FetchOnce(); }, interval_ms) {}

std::shared_ptr<const ListenerSet> ListenerFeed::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

uint64_t ListenerFeed::fetches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_;
}

void ListenerFeed::FetchOnce() {
  const net::HttpReply reply = get_();
  if (net::ClassifyReply(reply, true) != net::ReplyClass::kSuccess) {
    logging::Logger().warn("listeners: HTTP {}: {}; keeping the last {} set", reply.status,
                           reply.body.substr(0, 200), fetches() > 0 ? "fetched" : "(empty)");
    return;
  }
  auto set = Parse(reply.body);
  if (!set) {
    logging::Logger().warn("listeners: {}", set.error().message());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(*set);
  ++fetches_;
}

Result<std::shared_ptr<ListenerSet>> ListenerFeed::Parse(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return ParseError("listeners: not a JSON object");
  const rapidjson::Value& root = doc;
  auto list = root.FindMember("listeners");
  if (list == root.MemberEnd() || !list->value.IsArray()) {
    return ParseError("listeners: no \"listeners\" array");
  }
  auto set = std::make_shared<ListenerSet>();
  for (const rapidjson::Value& l : list->value.GetArray()) {
    if (!l.IsObject() || !l.HasMember("ip") || !l["ip"].IsString() || !l.HasMember("port") ||
        !l["port"].IsUint() || l["port"].GetUint() > 65535 || !l.HasMember("protocol") ||
        !l["protocol"].IsString()) {
      return ParseError("listeners: an entry without ip, protocol and port");
    }
    auto ip = ParseIpAddr(l["ip"].GetString());
    const std::string_view proto = l["protocol"].GetString();
    if (!ip || (proto != "tcp" && proto != "udp")) {
      return ParseError("listeners: an entry's ip or protocol is not one");
    }
    set->Add(*ip, proto == "tcp" ? Proto::kTcp : Proto::kUdp,
             static_cast<uint16_t>(l["port"].GetUint()));
  }
  return set;
}

}  // namespace portatlas::flow
