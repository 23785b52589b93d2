#include "scan/formats/nmap_xml_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <pugixml.hpp>
#include <utility>

namespace portatlas::scan {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Returns `s` as valid XML 1.0 character data: ill-formed UTF-8 and code points XML forbids
// (controls other than tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD. pugixml escapes markup
// characters but passes these through, and XML parsers such as expat (ndiff's) reject them.
std::string XmlText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        out += kReplacement;
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07u, min = 0x10000;
    }
    bool ok = len != 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0) == 0x80;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE &&
         cp != 0xFFFF;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

class StringXmlWriter : public pugi::xml_writer {
 public:
  explicit StringXmlWriter(std::string* out) : out_(out) {}
  void write(const void* data, size_t size) override {
    out_->append(static_cast<const char*>(data), size);
  }

 private:
  std::string* out_;
};

// Serializes `node` and everything under it. Each element goes on its own line, unindented, as
// nmap writes them.
std::string Serialize(const pugi::xml_node& node) {
  std::string out;
  StringXmlWriter w(&out);
  node.print(w, "", pugi::format_indent, pugi::encoding_utf8);
  return out;
}

void Attr(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(XmlText(value).c_str());
}

// Times as nmap prints them ("Sat Nov 21 14:47:12 2026", like ctime()), in UTC.
std::string TimeString(int64_t epoch_s) {
  const auto t = static_cast<std::time_t>(epoch_s);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "";
  char buf[64];
  const size_t n = std::strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm);
  return std::string(buf, n);
}

bool IsNmapScanType(std::string_view t) {
  for (std::string_view known : {"syn", "ack", "bounce", "connect", "null", "xmas", "window",
                                 "maimon", "fin", "udp", "sctpinit", "sctpcookieecho", "ipproto"}) {
    if (t == known) return true;
  }
  return false;
}

bool HasDetection(const ScanRecord& r) {
  return !r.product.empty() || !r.version.empty() || !r.info.empty() || !r.cpe.empty();
}

// A <port> with its <state> and, when it has a name, its <service>.
void AppendPort(pugi::xml_node ports, const ScanRecord& r,
                const NmapXmlWriter::ServiceTable& table) {
  pugi::xml_node port = ports.append_child("port");
  Attr(port, "protocol", ProtoName(r.proto));
  Attr(port, "portid", std::to_string(r.port));
  pugi::xml_node state = port.append_child("state");
  Attr(state, "state", r.state);
  Attr(state, "reason", r.reason);
  Attr(state, "reason_ttl", std::to_string(r.reason_ttl));

  const std::string table_name = table ? table(r.proto, r.port) : std::string();
  // A bare name that is also the table's guess is indistinguishable from it: say "table".
  const bool probed = !r.service.empty() && (HasDetection(r) || r.service != table_name);
  const std::string& name = r.service.empty() ? table_name : r.service;
  if (name.empty()) return;
  pugi::xml_node service = port.append_child("service");
  Attr(service, "name", name);
  if (!r.product.empty()) Attr(service, "product", r.product);
  if (!r.version.empty()) Attr(service, "version", r.version);
  if (!r.info.empty()) Attr(service, "extrainfo", r.info);
  Attr(service, "method", probed ? "probed" : "table");
  Attr(service, "conf", probed ? "10" : "3");
  std::string_view cpes = r.cpe;
  while (!cpes.empty()) {
    const size_t sp = cpes.find(' ');
    const std::string_view one = cpes.substr(0, sp);
    if (!one.empty()) {
      service.append_child("cpe").append_child(pugi::node_pcdata).set_value(XmlText(one).c_str());
    }
    cpes = sp == std::string_view::npos ? std::string_view() : cpes.substr(sp + 1);
  }
}

}  // namespace

std::string NmapServicesString(std::span<const uint16_t> ports) {
  std::vector<uint16_t> sorted(ports.begin(), ports.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(sorted[i]);
    if (j > i) out += fmt::format("-{}", sorted[j]);
    i = j + 1;
  }
  return out;
}

NmapXmlWriter::NmapXmlWriter(std::FILE* out, ServiceTable table)
    : file_(out), table_(std::move(table)) {
  PA_CHECK(out != nullptr);
}

NmapXmlWriter::NmapXmlWriter(std::string* out, ServiceTable table)
    : string_(out), table_(std::move(table)) {
  PA_CHECK(out != nullptr);
}

Status NmapXmlWriter::Write(std::string_view text) {
  if (string_ != nullptr) {
    string_->append(text);
    return Status::Ok();
  }
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) {
    return ErrnoStatus(errno, "writing nmap XML");
  }
  return Status::Ok();
}

Status NmapXmlWriter::Begin(const NmapRunHeader& header) {
  PA_CHECK(phase_ == Phase::kNew) << "NmapXmlWriter::Begin called twice";
  for (const NmapScanInfo& s : header.scans) {
    if (!IsNmapScanType(s.type)) {
      return InvalidArgument(fmt::format("nmap XML: '{}' is not one of nmap's scan types", s.type));
    }
  }
  phase_ = Phase::kBegun;
  start_s_ = header.start_s;

  pugi::xml_document doc;
  pugi::xml_node run = doc.append_child("nmaprun");
  Attr(run, "scanner", "portatlas");
  Attr(run, "args", header.args);
  Attr(run, "start", std::to_string(header.start_s));
  Attr(run, "startstr", TimeString(header.start_s));
  Attr(run, "version", header.version);
  Attr(run, "xmloutputversion", "1.05");
  // <nmaprun> stays open until End(): serialize it empty and turn "<nmaprun .../>" into a start
  // tag, so its attributes are escaped by the same code as every other element.
  std::string start_tag = Serialize(run);
  while (!start_tag.empty() && (start_tag.back() == '\n' || start_tag.back() == ' ')) {
    start_tag.pop_back();
  }
  PA_CHECK(start_tag.size() > 2 && start_tag.ends_with("/>")) << start_tag;
  start_tag.resize(start_tag.size() - 2);
  while (start_tag.back() == ' ') start_tag.pop_back();

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE nmaprun>\n";
  out += start_tag + ">\n";
  pugi::xml_document body;
  for (const NmapScanInfo& s : header.scans) {
    pugi::xml_node info = body.append_child("scaninfo");
    Attr(info, "type", s.type);
    Attr(info, "protocol", ProtoName(s.protocol));
    std::vector<uint16_t> ports = s.ports;
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    Attr(info, "numservices", std::to_string(ports.size()));
    Attr(info, "services", NmapServicesString(ports));
  }
  body.append_child("verbose").append_attribute("level").set_value("0");
  body.append_child("debugging").append_attribute("level").set_value("0");
  for (pugi::xml_node n : body.children()) out += Serialize(n);
  return Write(out);
}

void NmapXmlWriter::AddRecord(const ScanRecord& record) {
  PA_CHECK(phase_ == Phase::kBegun) << "NmapXmlWriter::AddRecord outside Begin()..End()";
  const bool open = record.state == "open";
  if (!open && record.state != "closed") return;
  Host& host = hosts_[HostKey{record.ip.family, record.ip.bytes}];
  host.ip = record.ip;
  if (record.updated_at_ms > 0) {
    host.first_ms =
        host.first_ms == 0 ? record.updated_at_ms : std::min(host.first_ms, record.updated_at_ms);
    host.last_ms = std::max(host.last_ms, record.updated_at_ms);
  }
  if (!open) {
    ++host.closed;
    return;
  }
  ScanRecord& kept = host.open.emplace_back(record);
  kept.tls.clear();  // nmap XML has no place for these
  kept.banner_hash.clear();
}

std::string NmapXmlWriter::HostXml(const Host& host) const {
  pugi::xml_document doc;
  pugi::xml_node h = doc.append_child("host");
  // Filled in by End() when no record carried a time.
  Attr(h, "starttime", std::to_string(host.first_ms / 1000));
  Attr(h, "endtime", std::to_string(host.last_ms / 1000));
  pugi::xml_node status = h.append_child("status");
  Attr(status, "state", "up");
  Attr(status, "reason", "user-set");
  Attr(status, "reason_ttl", "0");
  pugi::xml_node address = h.append_child("address");
  Attr(address, "addr", host.ip.ToString());
  Attr(address, "addrtype", host.ip.family == Family::kIpv4 ? "ipv4" : "ipv6");
  h.append_child("hostnames");
  pugi::xml_node ports = h.append_child("ports");
  if (host.closed > 0) {
    pugi::xml_node extra = ports.append_child("extraports");
    Attr(extra, "state", "closed");
    Attr(extra, "count", std::to_string(host.closed));
  }

  std::vector<const ScanRecord*> open;
  open.reserve(host.open.size());
  for (const ScanRecord& r : host.open) open.push_back(&r);
  std::stable_sort(open.begin(), open.end(), [](const ScanRecord* a, const ScanRecord* b) {
    return std::pair(a->proto, a->port) < std::pair(b->proto, b->port);
  });
  for (size_t i = 0; i < open.size(); ++i) {
    const ScanRecord& r = *open[i];
    if (i + 1 < open.size() && open[i + 1]->proto == r.proto && open[i + 1]->port == r.port) {
      continue;  // a repeated port keeps its last record
    }
    AppendPort(ports, r, table_);
  }
  return Serialize(h);
}

Status NmapXmlWriter::End(const NmapRunStats& stats) {
  PA_CHECK(phase_ == Phase::kBegun) << "NmapXmlWriter::End without Begin() or twice";
  phase_ = Phase::kEnded;
  for (auto& [key, host] : hosts_) {
    if (host.first_ms == 0) {
      host.first_ms = start_s_ * 1000;
      host.last_ms = stats.end_s * 1000;
    }
    PA_RETURN_IF_ERROR(Write(HostXml(host)));
  }
  hosts_.clear();

  const double elapsed = stats.elapsed_s >= 0 ? stats.elapsed_s : 0;
  const std::string timestr = TimeString(stats.end_s);
  pugi::xml_document doc;
  pugi::xml_node runstats = doc.append_child("runstats");
  pugi::xml_node finished = runstats.append_child("finished");
  Attr(finished, "time", std::to_string(stats.end_s));
  Attr(finished, "timestr", timestr);
  Attr(finished, "summary",
       fmt::format("portatlas done at {}; {} IP address{} ({} host{} up) scanned in {:.2f} seconds",
                   timestr, stats.hosts_total, stats.hosts_total == 1 ? "" : "es", stats.hosts_up,
                   stats.hosts_up == 1 ? "" : "s", elapsed));
  Attr(finished, "elapsed", fmt::format("{:.2f}", elapsed));
  Attr(finished, "exit", "success");
  pugi::xml_node hosts = runstats.append_child("hosts");
  Attr(hosts, "up", std::to_string(stats.hosts_up));
  Attr(hosts, "down", std::to_string(stats.hosts_down));
  Attr(hosts, "total", std::to_string(stats.hosts_total));
  PA_RETURN_IF_ERROR(Write(Serialize(runstats) + "</nmaprun>\n"));
  if (file_ != nullptr && std::fflush(file_) != 0) {
    return ErrnoStatus(errno, "writing nmap XML");
  }
  return Status::Ok();
}

}  // namespace portatlas::scan
