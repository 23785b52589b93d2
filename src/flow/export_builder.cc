#include "flow/export_builder.h"

#include "core/check.h"

namespace portatlas::flow {
namespace {

void Put(std::vector<uint8_t>& b, uint64_t v, size_t n) {
  for (size_t i = n; i > 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * (i - 1))));
}

void Patch16(std::vector<uint8_t>& b, size_t at, size_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

void PutIp(std::vector<uint8_t>& b, std::string_view text) {
  auto ip = ParseIpAddr(text);
  PA_CHECK(ip.has_value()) << text;
  const size_t n = ip->family == Family::kIpv4 ? 4 : 16;
  b.insert(b.end(), ip->bytes.begin(), ip->bytes.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace

ExportBuilder::ExportBuilder(Version version, uint32_t export_secs, uint32_t sequence,
                             uint32_t domain, uint32_t sys_uptime_ms)
    : version_(version) {
  Put(bytes_, static_cast<uint16_t>(version), 2);
  Put(bytes_, 0, 2);  // count or length, in Finish
  if (version == Version::kV9) Put(bytes_, sys_uptime_ms, 4);
  Put(bytes_, export_secs, 4);
  Put(bytes_, sequence, 4);
  Put(bytes_, domain, 4);
}

void ExportBuilder::PutField(const FieldSpec& f) {
  const bool enterprise = version_ == Version::kIpfix && f.enterprise != 0;
  Put(bytes_, enterprise ? (f.ie | 0x8000u) : f.ie, 2);
  Put(bytes_, f.length, 2);
  if (enterprise) Put(bytes_, f.enterprise, 4);
}

ExportBuilder& ExportBuilder::Template(uint16_t id, std::initializer_list<FieldSpec> fields) {
  BeginSet(version_ == Version::kV9 ? 0 : 2);
  Put(bytes_, id, 2);
  Put(bytes_, fields.size(), 2);
  for (const FieldSpec& f : fields) PutField(f);
  ++records_;
  return EndSet();
}

ExportBuilder& ExportBuilder::OptionsTemplate(uint16_t id, std::initializer_list<FieldSpec> scope,
                                              std::initializer_list<FieldSpec> options) {
  BeginSet(version_ == Version::kV9 ? 1 : 3);
  Put(bytes_, id, 2);
  if (version_ == Version::kV9) {
    Put(bytes_, scope.size() * 4, 2);
    Put(bytes_, options.size() * 4, 2);
  } else {
    Put(bytes_, scope.size() + options.size(), 2);
    Put(bytes_, scope.size(), 2);
  }
  for (const FieldSpec& f : scope) PutField(f);
  for (const FieldSpec& f : options) PutField(f);
  ++records_;
  return EndSet();
}

ExportBuilder& ExportBuilder::Withdraw(uint16_t id) {
  BeginSet(2);
  Put(bytes_, id, 2);
  Put(bytes_, 0, 2);
  return EndSet();
}

ExportBuilder& ExportBuilder::BeginSet(uint16_t set_id) {
  set_start_ = bytes_.size();
  Put(bytes_, set_id, 2);
  Put(bytes_, 0, 2);
  return *this;
}

ExportBuilder& ExportBuilder::U(uint64_t value, size_t bytes) {
  Put(bytes_, value, bytes);
  return *this;
}

ExportBuilder& ExportBuilder::Ip(std::string_view text) {
  PutIp(bytes_, text);
  return *this;
}

ExportBuilder& ExportBuilder::Raw(std::initializer_list<uint8_t> bytes) {
  bytes_.insert(bytes_.end(), bytes);
  return *this;
}

ExportBuilder& ExportBuilder::EndSet() {
  Patch16(bytes_, set_start_ + 2, bytes_.size() - set_start_);
  return *this;
}

ExportBuilder& ExportBuilder::Records(uint16_t count) {
  records_ = count;
  return *this;
}

std::vector<uint8_t> ExportBuilder::Finish() const {
  std::vector<uint8_t> out = bytes_;
  Patch16(out, 2, version_ == Version::kV9 ? records_ : out.size());
  return out;
}

std::vector<uint8_t> BuildV5(uint32_t unix_secs, uint32_t sys_uptime_ms, uint32_t sequence,
                             uint16_t sampling_interval, const std::vector<V5Record>& records) {
  std::vector<uint8_t> b;
  Put(b, 5, 2);
  Put(b, records.size(), 2);
  Put(b, sys_uptime_ms, 4);
  Put(b, unix_secs, 4);
  Put(b, 0, 4);  // unix_nsecs
  Put(b, sequence, 4);
  Put(b, 0, 2);  // engine type and id
  Put(b, sampling_interval, 2);
  for (const V5Record& r : records) {
    PutIp(b, r.src);
    PutIp(b, r.dst);
    Put(b, 0, 4);  // nexthop
    Put(b, 0, 4);  // input, output
    Put(b, r.packets, 4);
    Put(b, r.bytes, 4);
    Put(b, r.first_uptime_ms, 4);
    Put(b, r.last_uptime_ms, 4);
    Put(b, r.src_port, 2);
    Put(b, r.dst_port, 2);
    Put(b, 0, 1);
    Put(b, r.tcp_flags, 1);
    Put(b, r.proto, 1);
    Put(b, 0, 1);  // tos
    Put(b, 0, 8);  // AS numbers, masks, pad
  }
  return b;
}

}  // namespace portatlas::flow
