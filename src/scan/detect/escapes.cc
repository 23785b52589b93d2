#include "scan/detect/escapes.h"

#include <fmt/format.h>

#include "core/text.h"

namespace portatlas::scan {
namespace {

bool IsAsciiAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

Result<std::string> UnescapeC(std::string_view text) {
  static constexpr std::string_view kLetters = "0abfnrtv";
  static constexpr std::string_view kValues = std::string_view("\0\a\b\f\n\r\t\v", 8);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == text.size()) return ParseError("backslash at the end of the string");
    const char e = text[i];
    if (const size_t k = kLetters.find(e); k != std::string_view::npos) {
      out += kValues[k];
    } else if (e == 'x') {
      const std::string_view hex = text.substr(i + 1, 2);  // i < size, so i + 1 is in range
      const auto v = hex.size() == 2 ? ParseHex(hex, 0xFF) : std::nullopt;
      if (!v) return ParseError("bad escape \\x: it needs two hex digits");
      out += static_cast<char>(*v);
      i += 2;
    } else if (IsAsciiAlnum(e)) {
      return ParseError(fmt::format("unknown escape \\{}", e));
    } else {
      out += e;
    }
  }
  return out;
}

void AppendPrintable(std::string_view bytes, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f) {
      *out += c;
    } else {
      *out += "\\x";
      *out += kHex[b >> 4];
      *out += kHex[b & 0xF];
    }
  }
}

}  // namespace portatlas::scan
