#include "scan/formats/nmap_xml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <pugixml.hpp>
#include <utility>

#include "core/text.h"

namespace portatlas::scan {
namespace {

// Epoch seconds past year 9999 are not times a scan has; the bound also keeps "* 1000" in range.
constexpr uint64_t kMaxEpochSeconds = 253402300799;

// A value from the input as an error message quotes it: at most 64 bytes, and only UTF-8.
std::string Shown(std::string_view v) {
  if (!IsValidUtf8(v)) return "(not UTF-8)";
  if (v.size() <= 64) return std::string(v);
  size_t n = 64;
  while (n > 0 && (static_cast<unsigned char>(v[n]) & 0xC0) == 0x80) --n;
  return std::string(v.substr(0, n)) + "...";
}

class Reader {
 public:
  Reader(std::string_view text, const ImportOptions& options) : text_(text), options_(options) {}

  Result<ImportedScan> Run();

 private:
  size_t LineOf(ptrdiff_t offset) const {
    const size_t end = offset < 0 ? 0 : std::min(static_cast<size_t>(offset), text_.size());
    return 1 + static_cast<size_t>(std::count(text_.begin(), text_.begin() + end, '\n'));
  }
  Status Error(const pugi::xml_node& at, std::string_view message) const {
    return ParseError(fmt::format("nmap XML: line {}: {}", LineOf(at.offset_debug()), message));
  }
  // The attribute's text; an error when it is not UTF-8.
  Result<std::string> Text(const pugi::xml_node& node, const char* name) const;
  // nullopt when the attribute is absent; an error when it is not a time.
  Result<std::optional<int64_t>> TimeMs(const pugi::xml_node& node, const char* name) const;
  Status ReadHost(const pugi::xml_node& host, int64_t finished_ms, ImportedScan* out) const;
  Status ReadService(const pugi::xml_node& service, ScanRecord* r) const;
  Status ReadPort(const pugi::xml_node& port, const IpAddr& ip, int64_t updated_at_ms,
                  ImportedScan* out) const;

  std::string_view text_;
  const ImportOptions& options_;
};

Result<std::string> Reader::Text(const pugi::xml_node& node, const char* name) const {
  std::string value = node.attribute(name).value();
  if (!IsValidUtf8(value)) {
    return Error(node, fmt::format("<{}> attribute {} is not valid UTF-8", node.name(), name));
  }
  return value;
}

Result<std::optional<int64_t>> Reader::TimeMs(const pugi::xml_node& node, const char* name) const {
  const pugi::xml_attribute a = node.attribute(name);
  if (!a) return std::optional<int64_t>();
  const auto v = ParseUint(a.value(), kMaxEpochSeconds);
  if (!v) {
    return Error(node, fmt::format("<{}> {}=\"{}\" is not a time in epoch seconds", node.name(),
                                   name, Shown(a.value())));
  }
  return std::optional<int64_t>(static_cast<int64_t>(*v) * 1000);
}

Status Reader::ReadService(const pugi::xml_node& service, ScanRecord* r) const {
  PA_ASSIGN_OR_RETURN(name, Text(service, "name"));
  PA_ASSIGN_OR_RETURN(product, Text(service, "product"));
  PA_ASSIGN_OR_RETURN(version, Text(service, "version"));
  PA_ASSIGN_OR_RETURN(extrainfo, Text(service, "extrainfo"));
  r->service = std::move(name);
  r->product = std::move(product);
  r->version = std::move(version);
  r->info = std::move(extrainfo);
  for (const pugi::xml_node cpe : service.children("cpe")) {
    const std::string_view value = cpe.child_value();
    if (!IsValidUtf8(value)) return Error(cpe, "<cpe> is not valid UTF-8");
    if (value.empty()) continue;
    if (!r->cpe.empty()) r->cpe += ' ';
    r->cpe += value;
  }
  return Status::Ok();
}

Status Reader::ReadPort(const pugi::xml_node& port, const IpAddr& ip, int64_t updated_at_ms,
                        ImportedScan* out) const {
  const pugi::xml_attribute protocol = port.attribute("protocol");
  if (!protocol) return Error(port, "<port> without a protocol");
  const std::string_view proto_name = protocol.value();
  Proto proto = Proto::kTcp;
  if (proto_name == "tcp") {
    proto = Proto::kTcp;
  } else if (proto_name == "udp") {
    proto = Proto::kUdp;
  } else if (proto_name == "sctp" || proto_name == "ip") {
    ++out->skipped;
    return Status::Ok();
  } else {
    return Error(
        port, fmt::format("unknown port protocol '{}' (tcp, udp, sctp or ip)", Shown(proto_name)));
  }

  const pugi::xml_attribute portid = port.attribute("portid");
  if (!portid) return Error(port, "<port> without a portid");
  const auto number = ParseUint(portid.value());
  if (!number) {
    return Error(port, fmt::format("portid '{}' is not a number", Shown(portid.value())));
  }
  if (*number > 65535) {
    return Error(port, fmt::format("portid {} is out of range (0-65535)", *number));
  }

  const pugi::xml_node state = port.child("state");
  if (!state) return Error(port, fmt::format("port {}/{}: no <state>", *number, proto_name));
  PA_ASSIGN_OR_RETURN(state_name, Text(state, "state"));
  if (state_name.empty()) {
    return Error(state, fmt::format("port {}/{}: empty state", *number, proto_name));
  }

  // The whole port is read before the state filter, so the filter never hides an error.
  ScanRecord r;
  r.ip = ip;
  r.proto = proto;
  r.port = static_cast<uint16_t>(*number);
  r.state = std::move(state_name);
  PA_ASSIGN_OR_RETURN(reason, Text(state, "reason"));
  r.reason = std::move(reason);
  if (const pugi::xml_attribute ttl = state.attribute("reason_ttl")) {
    const auto v = ParseUint(ttl.value(), 255);
    if (!v) return Error(state, "reason_ttl is not a number from 0 to 255");
    r.reason_ttl = static_cast<int>(*v);
  }
  r.updated_at_ms = updated_at_ms;
  if (const pugi::xml_node service = port.child("service")) {
    PA_RETURN_IF_ERROR(ReadService(service, &r));
  }
  if (options_.keep_all_states || r.state == "open" || r.state == "open|filtered") {
    out->records.push_back(std::move(r));
  }
  return Status::Ok();
}

Status Reader::ReadHost(const pugi::xml_node& host, int64_t finished_ms, ImportedScan* out) const {
  const pugi::xml_node ports = host.child("ports");
  if (!ports) return Status::Ok();  // host discovery only, or a host that was down

  std::optional<IpAddr> ip;
  for (const pugi::xml_node address : host.children("address")) {
    const pugi::xml_attribute type_attr = address.attribute("addrtype");
    const std::string_view type = type_attr ? type_attr.value() : "ipv4";  // the DTD's default
    if (type == "mac") continue;
    if (type != "ipv4" && type != "ipv6") {
      return Error(address, fmt::format("unknown address type '{}'", Shown(type)));
    }
    const std::string_view addr = address.attribute("addr").value();
    const std::optional<IpAddr> parsed = ParseIpAddr(addr);
    if (!parsed || (parsed->family == Family::kIpv4) != (type == "ipv4")) {
      return Error(address, fmt::format("'{}' is not an {} address", Shown(addr), type));
    }
    if (!ip) ip = parsed;
  }
  if (!ip) return Error(host, "host without an IPv4 or IPv6 address");

  PA_ASSIGN_OR_RETURN(end, TimeMs(host, "endtime"));
  PA_ASSIGN_OR_RETURN(start, TimeMs(host, "starttime"));
  const int64_t updated_at_ms = end ? *end : start ? *start : finished_ms;
  for (const pugi::xml_node port : ports.children("port")) {
    PA_RETURN_IF_ERROR(ReadPort(port, *ip, updated_at_ms, out));
  }
  return Status::Ok();
}

Result<ImportedScan> Reader::Run() {
  if (text_.size() > options_.max_input_bytes) {
    return InvalidArgument(fmt::format("nmap XML: input is {} bytes, more than the limit of {}",
                                       text_.size(), options_.max_input_bytes));
  }
  if (Trim(text_).empty()) return ParseError("nmap XML: input is empty");

  pugi::xml_document doc;
  // parse_default: no DTD processing, so no entity expansion beyond XML's predefined five.
  const pugi::xml_parse_result parsed =
      doc.load_buffer(text_.data(), text_.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    if (parsed.status == pugi::status_no_document_element) {
      return ParseError("nmap XML: no root element (not XML?)");
    }
    // pugixml reports an error at the end of the input somewhere in its last, unfinished token.
    const size_t offset =
        std::min(static_cast<size_t>(std::max<ptrdiff_t>(parsed.offset, 0)), text_.size());
    const bool at_end = text_.find('>', offset) == std::string_view::npos;
    return ParseError(fmt::format("nmap XML: line {}: {}{}", LineOf(parsed.offset),
                                  at_end ? "truncated: " : "", parsed.description()));
  }
  const pugi::xml_node run = doc.document_element();
  if (std::string_view(run.name()) != "nmaprun") {
    return Error(run, fmt::format("root element is <{}>, not <nmaprun>", Shown(run.name())));
  }

  ImportedScan out;
  PA_ASSIGN_OR_RETURN(scanner, Text(run, "scanner"));
  PA_ASSIGN_OR_RETURN(args, Text(run, "args"));
  out.scanner = std::move(scanner);
  out.args = std::move(args);
  PA_ASSIGN_OR_RETURN(start, TimeMs(run, "start"));
  out.start_ms = start.value_or(0);
  const pugi::xml_node finished = run.child("runstats").child("finished");
  if (finished) {
    PA_ASSIGN_OR_RETURN(end, TimeMs(finished, "time"));
    out.end_ms = end.value_or(0);
  }
  for (const pugi::xml_node host : run.children("host")) {
    PA_RETURN_IF_ERROR(ReadHost(host, out.end_ms, &out));
  }
  return out;
}

}  // namespace

Result<ImportedScan> ReadNmapXml(std::string_view text, const ImportOptions& options) {
  return Reader(text, options).Run();
}

}  // namespace portatlas::scan
