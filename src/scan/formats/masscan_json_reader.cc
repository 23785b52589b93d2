#include "scan/formats/masscan_json_reader.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>

#include <algorithm>
#include <optional>
#include <unordered_map>
#include <utility>

#include "core/text.h"

namespace portatlas::scan {
namespace {

constexpr unsigned kParseFlags = rapidjson::kParseStopWhenDoneFlag |
                                 rapidjson::kParseIterativeFlag |  // no recursion on deep nesting
                                 rapidjson::kParseValidateEncodingFlag;
constexpr uint64_t kMaxEpochSeconds = 253402300799;  // year 9999

// How much a banner says about the port's service; a record keeps the best one seen.
enum BannerRank : uint8_t { kNoBanner = 0, kOtherBanner, kSslBanner, kAppBanner };

// masscan's banner names (masscan_app_to_string) that name an application, as nmap names it.
// Other names, like "title", "X509" or "http.server", describe a port without naming a service.
std::string_view NmapServiceName(std::string_view masscan_name) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"ssh", "ssh"},
      {"http", "http"},
      {"ftp", "ftp"},
      {"dns-ver", "domain"},
      {"snmp", "snmp"},
      {"nbtstat", "netbios-ns"},
      {"smb", "microsoft-ds"},
      {"smtp", "smtp"},
      {"pop", "pop3"},
      {"imap", "imap"},
      {"ntp", "ntp"},
      {"vnc", "vnc"},
      {"memcached", "memcached"},
      {"coap", "coap"},
      {"telnet", "telnet"},
      {"rdp", "ms-wbt-server"},
      {"minecraft", "minecraft"},
      {"isakmp", "isakmp"},
      {"zeroaccess", "zeroaccess"},
  };
  for (const auto& [from, to] : kNames) {
    if (from == masscan_name) return to;
  }
  return {};
}

// masscan escapes each byte it does not print as \u00XX; JSON decoding made those code points
// UTF-8. Returns the original bytes when every code point is below 256, else the text as is.
std::string BannerBytes(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size()) {
      const auto c2 = static_cast<unsigned char>(utf8[i + 1]);
      out += static_cast<char>(((c & 0x03u) << 6) | (c2 & 0x3Fu));
      ++i;
    } else {
      return std::string(utf8);
    }
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  PA_CHECK(EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) == 1);
  std::string hex;
  hex.reserve(2 * len);
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

// One masscan event about one port.
struct Event {
  IpAddr ip;
  std::string_view proto;
  uint16_t port = 0;
  int64_t time_ms = 0;
  std::optional<std::string_view> status;  // "open" or "closed"
  std::string_view reason;
  int ttl = 0;
  std::optional<std::string_view> banner_name;
  std::string_view banner;
};

class Reader {
 public:
  Reader(std::string_view text, const ImportOptions& options) : text_(text), options_(options) {
    out_.scanner = "masscan";
  }

  Result<ImportedScan> Run();

 private:
  Status ErrorAt(size_t offset, std::string_view message) const {
    const size_t end = std::min(offset, text_.size());
    const auto line = 1 + std::count(text_.begin(), text_.begin() + end, '\n');
    return ParseError(fmt::format("masscan JSON: line {}: {}", line, message));
  }
  Status Error(std::string_view message) const { return ErrorAt(object_offset_, message); }

  Status ReadObject(const rapidjson::Value& obj);
  Status ReadPortEntry(const rapidjson::Value& entry, Event event);
  Status ReadNdjsonRecord(const rapidjson::Value& obj, Event event);
  Status PortAndProto(const rapidjson::Value& obj, Event* event) const;
  Status StatusFields(const rapidjson::Value& fields, Event* event) const;
  Status BannerFields(const rapidjson::Value& fields, const char* name_key, Event* event) const;
  Status Apply(const Event& e);
  // Consumes "{finished: 1}" (the oldest masscan's last line, not JSON) at `*pos`, if there.
  bool SkipFinishedMarker(size_t* pos) const;

  std::string_view text_;
  const ImportOptions& options_;
  size_t object_offset_ = 0;
  ImportedScan out_;
  std::vector<BannerRank> rank_;                   // per record in out_.records
  std::unordered_map<std::string, size_t> index_;  // (ip, proto, port) -> record
};

const rapidjson::Value* Member(const rapidjson::Value& obj, const char* name) {
  const auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::string_view View(const rapidjson::Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

Status Reader::Apply(const Event& e) {
  Proto proto = Proto::kTcp;
  if (e.proto == "tcp") {
    proto = Proto::kTcp;
  } else if (e.proto == "udp") {
    proto = Proto::kUdp;
  } else if (e.proto == "sctp" || e.proto == "icmp" || e.proto == "arp") {
    ++out_.skipped;
    return Status::Ok();
  } else {
    return Error(
        fmt::format("unknown proto '{}' (tcp, udp, sctp, icmp or arp)", e.proto.substr(0, 32)));
  }
  if (e.status && *e.status != "open" && *e.status != "closed") {
    return Error(fmt::format("unknown status '{}' (open or closed)", e.status->substr(0, 32)));
  }

  std::string key(reinterpret_cast<const char*>(e.ip.bytes.data()), e.ip.bytes.size());
  key += static_cast<char>(e.ip.family);
  key += static_cast<char>(proto);
  key += static_cast<char>(e.port >> 8);
  key += static_cast<char>(e.port & 0xFF);
  auto [it, inserted] = index_.try_emplace(std::move(key), out_.records.size());
  if (inserted) {
    ScanRecord& r = out_.records.emplace_back();
    r.ip = e.ip;
    r.proto = proto;
    r.port = e.port;
    r.state = e.status ? std::string(*e.status) : "open";
    rank_.push_back(kNoBanner);
  }
  ScanRecord& r = out_.records[it->second];
  BannerRank& rank = rank_[it->second];
  r.updated_at_ms = std::max(r.updated_at_ms, e.time_ms);
  // An "open" status is kept over a "closed" one; a banner alone left the reason empty.
  if (e.status && (*e.status == "open" || r.reason.empty())) {
    if (*e.status == "open") r.state = "open";
    r.reason = std::string(e.reason);
    r.reason_ttl = e.ttl;
  }
  if (e.banner_name) {
    const std::string_view app = NmapServiceName(*e.banner_name);
    const BannerRank this_rank = !app.empty()              ? kAppBanner
                                 : *e.banner_name == "ssl" ? kSslBanner
                                                           : kOtherBanner;
    if (this_rank > rank) {
      if (this_rank != kOtherBanner) {
        r.service = app.empty() ? std::string("ssl") : std::string(app);
      }
      r.banner_hash = Sha256Hex(BannerBytes(e.banner));
      rank = this_rank;
    }
  }
  return Status::Ok();
}

Status Reader::StatusFields(const rapidjson::Value& fields, Event* event) const {
  const rapidjson::Value* status = Member(fields, "status");
  if (status == nullptr || !status->IsString()) {
    return Error("\"status\" is missing or not a string");
  }
  event->status = View(*status);
  if (const rapidjson::Value* reason = Member(fields, "reason")) {
    if (!reason->IsString()) return Error("\"reason\" is not a string");
    event->reason = View(*reason);
  }
  if (const rapidjson::Value* ttl = Member(fields, "ttl")) {
    if (!ttl->IsUint() || ttl->GetUint() > 255) return Error("\"ttl\" is not a number 0-255");
    event->ttl = static_cast<int>(ttl->GetUint());
  }
  return Status::Ok();
}

Status Reader::BannerFields(const rapidjson::Value& fields, const char* name_key,
                            Event* event) const {
  const rapidjson::Value* name = Member(fields, name_key);
  if (name == nullptr || !name->IsString()) {
    return Error(fmt::format("\"{}\" is missing or not a string", name_key));
  }
  const rapidjson::Value* banner = Member(fields, "banner");
  if (banner != nullptr && !banner->IsString()) return Error("\"banner\" is not a string");
  event->banner_name = View(*name);
  if (banner != nullptr) event->banner = View(*banner);
  return Status::Ok();
}

Status Reader::PortAndProto(const rapidjson::Value& obj, Event* event) const {
  const rapidjson::Value* port = Member(obj, "port");
  if (port == nullptr) return Error("\"port\" is missing");
  if (!port->IsNumber()) return Error("\"port\" is not a number");
  if (!port->IsUint() || port->GetUint() > 65535) {
    return Error("\"port\" is out of range (0-65535)");
  }
  event->port = static_cast<uint16_t>(port->GetUint());
  const rapidjson::Value* proto = Member(obj, "proto");
  if (proto == nullptr || !proto->IsString()) return Error("\"proto\" is missing or not a string");
  event->proto = View(*proto);
  return Status::Ok();
}

Status Reader::ReadPortEntry(const rapidjson::Value& entry, Event event) {
  if (!entry.IsObject()) return Error("an element of \"ports\" is not an object");
  PA_RETURN_IF_ERROR(PortAndProto(entry, &event));
  if (const rapidjson::Value* service = Member(entry, "service")) {
    if (!service->IsObject()) return Error("\"service\" is not an object");
    PA_RETURN_IF_ERROR(BannerFields(*service, "name", &event));
  } else {
    PA_RETURN_IF_ERROR(StatusFields(entry, &event));
  }
  return Apply(event);
}

Status Reader::ReadNdjsonRecord(const rapidjson::Value& obj, Event event) {
  PA_RETURN_IF_ERROR(PortAndProto(obj, &event));
  const rapidjson::Value* type = Member(obj, "rec_type");
  if (type == nullptr || !type->IsString()) {
    return Error("\"rec_type\" is missing or not a string");
  }
  const rapidjson::Value* data = Member(obj, "data");
  if (data == nullptr || !data->IsObject()) return Error("\"data\" is missing or not an object");
  const std::string_view rec_type = View(*type);
  if (rec_type == "banner") {
    PA_RETURN_IF_ERROR(BannerFields(*data, "service_name", &event));
  } else if (rec_type == "status") {
    PA_RETURN_IF_ERROR(StatusFields(*data, &event));
  } else {
    return Error(fmt::format("unknown rec_type '{}' (status or banner)", rec_type.substr(0, 32)));
  }
  return Apply(event);
}

Status Reader::ReadObject(const rapidjson::Value& obj) {
  Event event;
  const rapidjson::Value* ip = Member(obj, "ip");
  if (ip == nullptr || !ip->IsString()) return Error("\"ip\" is missing or not a string");
  const std::string_view ip_text = View(*ip);
  const std::optional<IpAddr> addr =
      ip_text.find('\0') == std::string_view::npos ? ParseIpAddr(ip_text) : std::nullopt;
  if (!addr) return Error(fmt::format("'{}' is not an IP address", ip_text.substr(0, 64)));
  event.ip = *addr;
  if (const rapidjson::Value* ts = Member(obj, "timestamp")) {
    std::optional<uint64_t> seconds;
    if (ts->IsString()) {
      seconds = ParseUint(View(*ts), kMaxEpochSeconds);
    } else if (ts->IsUint64() && ts->GetUint64() <= kMaxEpochSeconds) {
      seconds = ts->GetUint64();
    }
    if (!seconds) return Error("\"timestamp\" is not a time in epoch seconds");
    event.time_ms = static_cast<int64_t>(*seconds) * 1000;
    if (event.time_ms > 0) {  // 0 is "unknown", as everywhere in ScanRecord
      out_.start_ms = out_.start_ms == 0 ? event.time_ms : std::min(out_.start_ms, event.time_ms);
      out_.end_ms = std::max(out_.end_ms, event.time_ms);
    }
  }
  if (const rapidjson::Value* ports = Member(obj, "ports")) {
    if (!ports->IsArray()) return Error("\"ports\" is not an array");
    for (const rapidjson::Value& entry : ports->GetArray()) {
      PA_RETURN_IF_ERROR(ReadPortEntry(entry, event));
    }
    return Status::Ok();
  }
  if (Member(obj, "rec_type") != nullptr || Member(obj, "port") != nullptr) {
    return ReadNdjsonRecord(obj, event);
  }
  return Error("object has neither \"ports\" nor \"port\"");
}

bool Reader::SkipFinishedMarker(size_t* pos) const {
  size_t p = *pos;
  auto skip_ws = [&] {
    while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t')) ++p;
  };
  auto eat = [&](std::string_view word) {
    skip_ws();
    if (text_.substr(p, word.size()) != word) return false;
    p += word.size();
    return true;
  };
  if (!eat("{") || !eat("finished") || !eat(":")) return false;
  skip_ws();
  const size_t digits = p;
  while (p < text_.size() && text_[p] >= '0' && text_[p] <= '9') ++p;
  if (p == digits || !eat("}")) return false;
  *pos = p;
  return true;
}

Result<ImportedScan> Reader::Run() {
  if (text_.size() > options_.max_input_bytes) {
    return InvalidArgument(fmt::format("masscan JSON: input is {} bytes, more than the limit of {}",
                                       text_.size(), options_.max_input_bytes));
  }
  auto skip_ws = [&](size_t p) {
    while (p < text_.size() &&
           (text_[p] == ' ' || text_[p] == '\t' || text_[p] == '\n' || text_[p] == '\r')) {
      ++p;
    }
    return p;
  };
  size_t pos = skip_ws(0);
  const bool array = pos < text_.size() && text_[pos] == '[';
  if (array) ++pos;
  bool after_object = false;  // a comma may come next
  bool closed = false;
  while (true) {
    pos = skip_ws(pos);
    if (pos >= text_.size()) break;
    const char c = text_[pos];
    if (c == ']' && array) {
      closed = true;
      ++pos;
      break;
    }
    if (c == ',') {
      if (!after_object) return ErrorAt(pos, "unexpected ','");
      after_object = false;
      ++pos;
      continue;
    }
    if (c != '{') {
      return ErrorAt(pos, fmt::format("expected a JSON object{}", array ? " or ']'" : ""));
    }
    object_offset_ = pos;
    if (SkipFinishedMarker(&pos)) {
      after_object = true;
      continue;
    }
    rapidjson::Document doc;  // one per object: its allocator keeps what it parsed
    rapidjson::MemoryStream stream(text_.data() + pos, text_.size() - pos);
    doc.ParseStream<kParseFlags>(stream);
    if (doc.HasParseError()) {
      const size_t at = pos + doc.GetErrorOffset();
      return ErrorAt(at, fmt::format("{}{}", at >= text_.size() ? "truncated: " : "",
                                     rapidjson::GetParseError_En(doc.GetParseError())));
    }
    pos += stream.Tell();
    PA_RETURN_IF_ERROR(ReadObject(doc));
    after_object = true;
  }
  if (array && !closed) return ErrorAt(text_.size(), "truncated: the array has no closing ']'");
  if (skip_ws(pos) != text_.size()) return ErrorAt(pos, "text after the closing ']'");

  if (!options_.keep_all_states) {
    std::erase_if(out_.records, [](const ScanRecord& r) { return r.state != "open"; });
  }
  return std::move(out_);
}

}  // namespace

Result<ImportedScan> ReadMasscanJson(std::string_view text, const ImportOptions& options) {
  return Reader(text, options).Run();
}

}  // namespace portatlas::scan
