// ByteReader: a bounds-checked big-endian cursor over a received datagram. Every read either
// succeeds inside the span or fails and leaves the cursor where it was; nothing here trusts a
// length field.
#ifndef PORTATLAS_FLOW_WIRE_H_
#define PORTATLAS_FLOW_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace portatlas::flow {

// An unsigned big-endian integer of 1 to 8 bytes (RFC 7011 §6.2 reduced-size encoding).
inline uint64_t ReadBigEndian(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t pos() const { return pos_; }
  const uint8_t* here() const { return data_.data() + pos_; }

  bool U8(uint8_t* v) { return Int(1, v); }
  bool U16(uint16_t* v) { return Int(2, v); }
  bool U32(uint32_t* v) { return Int(4, v); }
  // The next n bytes as a span; false when fewer remain.
  bool Bytes(size_t n, std::span<const uint8_t>* out) {
    if (n > remaining()) return false;
    *out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }

 private:
  template <typename T>
  bool Int(size_t n, T* v) {
    if (n > remaining()) return false;
    *v = static_cast<T>(ReadBigEndian(data_.data() + pos_, n));
    pos_ += n;
    return true;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_WIRE_H_
