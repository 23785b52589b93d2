// Small text helpers shared by the parsers: splitting, trimming and strict number parsing.
// All functions are pure and thread-safe; string_views returned point into the input.
#ifndef PORTATLAS_CORE_TEXT_H_
#define PORTATLAS_CORE_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portatlas {

// Strips ASCII spaces, tabs, CR and LF at both ends.
std::string_view Trim(std::string_view s);

// Splits on any run of spaces/tabs; no empty fields.
std::vector<std::string_view> SplitFields(std::string_view s);

// Calls fn(line) for each line of `text` without its '\n'; a last line without '\n' counts.
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      fn(text);
      return;
    }
    fn(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
}

// Parses the whole of `s` as an unsigned decimal (no sign, no spaces) that fits in max_value.
std::optional<uint64_t> ParseUint(std::string_view s, uint64_t max_value = UINT64_MAX);

// Parses the whole of `s` as unsigned hexadecimal digits (either case, no "0x") that fits in
// max_value.
std::optional<uint64_t> ParseHex(std::string_view s, uint64_t max_value = UINT64_MAX);

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF). Parsers of text formats that require UTF-8 (TOML) check this first.
bool IsValidUtf8(std::string_view s);

// `s` with each byte that starts no well-formed UTF-8 sequence replaced by U+FFFD; valid text
// comes back unchanged.
std::string RepairUtf8(std::string_view s);

// True when `s` is exactly `n` lower- or upper-case hexadecimal digits.
bool IsHexOfLength(std::string_view s, size_t n);

// ASCII case mapping; other bytes are left as they are (no locale).
char LowerAscii(char c);
std::string LowerAscii(std::string_view s);
std::string UpperAscii(std::string_view s);
bool EqualsIgnoreCaseAscii(std::string_view a, std::string_view b);

// Splits on every `sep`, keeping empty fields: "a,,b" -> {"a", "", "b"}, "" -> {""}.
std::vector<std::string_view> SplitOn(std::string_view s, char sep);

// An RFC 9110 token (method and header names): one or more of ALPHA, DIGIT and !#$%&'*+-.^_`|~.
bool IsHttpToken(std::string_view s);

// 1 to `max_bytes` printable ASCII characters (0x21-0x7e), none of them in `forbidden`: the
// shape of an access key id in a signature header.
bool IsPrintableWord(std::string_view s, size_t max_bytes, std::string_view forbidden);

}  // namespace portatlas

#endif  // PORTATLAS_CORE_TEXT_H_
