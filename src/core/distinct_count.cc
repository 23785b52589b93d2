#include "core/distinct_count.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "core/hash.h"

namespace portatlas {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool ParseHex(std::string_view text, size_t digits, uint64_t* v) {
  *v = 0;
  for (size_t i = 0; i < digits; ++i) {
    const int d = HexDigit(text[i]);
    if (d < 0) return false;
    *v = (*v << 4) | static_cast<uint64_t>(d);
  }
  return true;
}

void AppendHex(std::string* out, uint64_t v, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out->push_back(kDigits[(v >> (4 * i)) & 0xf]);
}

}  // namespace

uint64_t DistinctCount::HashAddr(const IpAddr& addr) {
  uint64_t hi = 0;
  uint64_t lo = 0;
  for (int i = 0; i < 8; ++i) {
    hi = (hi << 8) | addr.bytes[static_cast<size_t>(i)];
    lo = (lo << 8) | addr.bytes[static_cast<size_t>(i + 8)];
  }
  return Mix64(Mix64(hi ^ static_cast<uint64_t>(addr.family)) ^ lo);
}

void DistinctCount::AddHash(uint64_t hash) {
  if (!registers_.empty()) return AddToRegisters(hash);
  auto it = std::lower_bound(exact_.begin(), exact_.end(), hash);
  if (it != exact_.end() && *it == hash) return;
  exact_.insert(it, hash);
  if (exact_.size() > kExactLimit) ToRegisters();
}

void DistinctCount::AddToRegisters(uint64_t hash) {
  const size_t index = hash >> (64 - kPrecision);
  const uint64_t rest = hash << kPrecision;  // the other 54 bits, at the top
  const auto rank =
      static_cast<uint8_t>(rest == 0 ? 64 - kPrecision + 1 : std::countl_zero(rest) + 1);
  registers_[index] = std::max(registers_[index], rank);
}

void DistinctCount::ToRegisters() {
  registers_.assign(kRegisters, 0);
  for (uint64_t h : exact_) AddToRegisters(h);
  exact_.clear();
  exact_.shrink_to_fit();
}

void DistinctCount::Merge(const DistinctCount& other) {
  if (other.registers_.empty()) {
    for (uint64_t h : other.exact_) AddHash(h);
    return;
  }
  if (registers_.empty()) ToRegisters();
  for (size_t i = 0; i < kRegisters; ++i) {
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  }
}

uint64_t DistinctCount::Estimate() const {
  if (registers_.empty()) return exact_.size();
  const double m = static_cast<double>(kRegisters);
  double sum = 0;
  size_t zeros = 0;
  for (uint8_t r : registers_) {
    sum += std::ldexp(1.0, -r);
    zeros += r == 0 ? 1 : 0;
  }
  const double alpha = 0.7213 / (1 + 1.079 / m);
  double e = alpha * m * m / sum;
  if (e <= 2.5 * m && zeros > 0) e = m * std::log(m / static_cast<double>(zeros));
  return static_cast<uint64_t>(std::llround(e));
}

std::string DistinctCount::Serialize() const {
  std::string out;
  if (!registers_.empty()) {
    out.reserve(2 + 2 * kRegisters);
    out = "h:";
    for (uint8_t r : registers_) AppendHex(&out, r, 2);
  } else if (!exact_.empty()) {
    out.reserve(2 + 16 * exact_.size());
    out = "e:";
    for (uint64_t h : exact_) AppendHex(&out, h, 16);
  }
  return out;
}

Result<DistinctCount> DistinctCount::Parse(std::string_view text) {
  DistinctCount c;
  if (text.empty()) return c;
  const std::string_view body = text.substr(std::min<size_t>(2, text.size()));
  if (text.starts_with("h:") && body.size() == 2 * kRegisters) {
    c.registers_.resize(kRegisters);
    for (size_t i = 0; i < kRegisters; ++i) {
      uint64_t v = 0;
      if (!ParseHex(body.substr(2 * i), 2, &v) || v > 64 - kPrecision + 1) {
        return ParseError("distinct count: a register is not a rank");
      }
      c.registers_[i] = static_cast<uint8_t>(v);
    }
    return c;
  }
  if (text.starts_with("e:") && body.size() % 16 == 0 && body.size() / 16 <= kExactLimit) {
    for (size_t i = 0; i < body.size(); i += 16) {
      uint64_t v = 0;
      if (!ParseHex(body.substr(i), 16, &v)) return ParseError("distinct count: bad hex digits");
      c.AddHash(v);
    }
    return c;
  }
  return ParseError("distinct count: neither \"e:\" hashes nor \"h:\" registers");
}

}  // namespace portatlas
