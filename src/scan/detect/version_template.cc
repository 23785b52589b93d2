#include "scan/detect/version_template.h"

#include <cstdint>
#include <vector>

#include "core/text.h"
#include "scan/detect/escapes.h"

namespace portatlas::scan {
namespace {

// A substitution reads at most this much of a group, so a huge capture costs no more than a
// field can hold (even after "from" strings are dropped by $SUBST).
constexpr size_t kMaxGroupBytes = 4 * kMaxFieldBytes;
constexpr size_t kMaxArgs = 3;
constexpr size_t kMaxArgBytes = 128;

struct Arg {
  bool is_string = false;
  uint64_t number = 0;
  std::string text;  // decoded
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

size_t SkipSpaces(std::string_view s, size_t i) {
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

// Reads the quoted string at s[*i] == '"' and moves *i past its closing quote.
bool ReadQuoted(std::string_view s, size_t* i, std::string* out) {
  std::string raw;
  size_t j = *i + 1;
  while (j < s.size() && s[j] != '"') {
    if (s[j] == '\\' && j + 1 < s.size()) raw += s[j++];  // keeps \" inside the string
    raw += s[j++];
    if (raw.size() > kMaxArgBytes) return false;
  }
  if (j >= s.size()) return false;
  auto decoded = UnescapeC(raw);
  if (!decoded) return false;
  *out = std::move(*decoded);
  *i = j + 1;
  return true;
}

// Reads "(arg, arg, ...)" from s[*i] == '(' and moves *i past the ')'. Arguments are decimal
// numbers or quoted strings.
bool ReadArgs(std::string_view s, size_t* i, std::vector<Arg>* args) {
  size_t j = *i + 1;
  while (true) {
    j = SkipSpaces(s, j);
    if (j >= s.size() || args->size() == kMaxArgs) return false;
    Arg a;
    if (s[j] == '"') {
      a.is_string = true;
      if (!ReadQuoted(s, &j, &a.text)) return false;
    } else {
      const size_t start = j;
      while (j < s.size() && IsDigit(s[j])) ++j;
      const auto v = ParseUint(s.substr(start, j - start), 1000);
      if (!v) return false;
      a.number = *v;
    }
    args->push_back(std::move(a));
    j = SkipSpaces(s, j);
    if (j >= s.size()) return false;
    if (s[j] == ')') break;
    if (s[j] != ',') return false;
    ++j;
  }
  *i = j + 1;
  return true;
}

// The bytes of group `n` (1-9), cut to kMaxGroupBytes; nullopt when n is out of that range.
// An unset group gives "".
std::optional<std::string_view> Group(const Captures& groups, uint64_t n) {
  if (n < 1 || n > 9) return std::nullopt;
  const std::optional<std::string_view>& g = groups[n];
  return g ? g->substr(0, kMaxGroupBytes) : std::string_view();
}

std::string Replace(std::string_view in, std::string_view from, std::string_view to) {
  if (from.empty()) return std::string(in);
  std::string out;
  size_t i = 0;
  while (i < in.size()) {
    if (in.substr(i, from.size()) == from) {
      out += to;
      i += from.size();
    } else {
      out += in[i++];
    }
  }
  return out;
}

// $I: the group's bytes as an unsigned integer; "" when it is longer than 8 bytes.
std::string UnpackInt(const Captures& groups, uint64_t n, std::string_view order) {
  if (n < 1 || n > 9 || !groups[n]) return "";
  const std::string_view g = *groups[n];
  if (g.size() > 8) return "";
  uint64_t v = 0;
  for (size_t k = 0; k < g.size(); ++k) {
    const size_t index = order == ">" ? k : g.size() - 1 - k;
    v = (v << 8) | static_cast<unsigned char>(g[index]);
  }
  return std::to_string(v);
}

// Expands the substitution at tmpl[*i] == '$' into *value (printable) and moves *i past it;
// false, leaving *i alone, when no well-formed substitution starts there.
bool Substitute(std::string_view tmpl, size_t* i, const Captures& groups, std::string* value) {
  const std::string_view rest = tmpl.substr(*i + 1);
  if (!rest.empty() && rest[0] >= '1' && rest[0] <= '9') {
    AppendPrintable(*Group(groups, static_cast<uint64_t>(rest[0] - '0')), value);
    *i += 2;
    return true;
  }
  const size_t paren = rest.find('(');
  if (paren == std::string_view::npos) return false;
  const std::string_view command = rest.substr(0, paren);
  if (command != "P" && command != "SUBST" && command != "I") return false;
  std::vector<Arg> args;
  size_t end = *i + 1 + paren;
  if (!ReadArgs(tmpl, &end, &args)) return false;
  if (args.empty() || args[0].is_string) return false;
  const uint64_t n = args[0].number;
  if (command == "P" && args.size() == 1) {
    const auto g = Group(groups, n);
    if (!g) return false;
    for (const char c : *g) {
      if (c >= 0x20 && c < 0x7f) *value += c;
    }
  } else if (command == "SUBST" && args.size() == 3 && args[1].is_string && args[2].is_string) {
    const auto g = Group(groups, n);
    if (!g) return false;
    AppendPrintable(Replace(*g, args[1].text, args[2].text), value);
  } else if (command == "I" && args.size() == 2 && args[1].is_string &&
             (args[1].text == ">" || args[1].text == "<")) {
    if (n < 1 || n > 9) return false;
    *value += UnpackInt(groups, n, args[1].text);
  } else {
    return false;
  }
  *i = end;
  return true;
}

// Makes substituted text safe inside a CPE name, as nmap's transform_cpe does.
std::string TransformCpe(std::string_view s) {
  static constexpr std::string_view kReserved = ":/?#[]@!$&'()*+,;=%<>\"";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    if (kReserved.find(c) != std::string_view::npos) {
      const auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else if (c == ' ') {
      out += '_';
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

// Cuts *s to kMaxFieldBytes without leaving half of a \xHH escape at the end.
void Cut(std::string* s) {
  if (s->size() <= kMaxFieldBytes) return;
  s->resize(kMaxFieldBytes);
  for (size_t p = kMaxFieldBytes - 3; p < kMaxFieldBytes; ++p) {
    if ((*s)[p] == '\\') {
      s->resize(p);
      break;
    }
  }
}

bool IsTrailingJunk(char c) { return c == ' ' || c == ',' || (c >= '\t' && c <= '\r'); }

}  // namespace

std::string ExpandTemplate(std::string_view tmpl, const Captures& groups, bool cpe) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size() && out.size() <= kMaxFieldBytes) {
    const size_t dollar = tmpl.find('$', i);
    AppendPrintable(tmpl.substr(i, dollar - i), &out);
    if (dollar == std::string_view::npos) break;
    i = dollar;
    std::string value;
    if (Substitute(tmpl, &i, groups, &value)) {
      out += cpe ? TransformCpe(value) : value;
    } else {
      out += '$';
      ++i;
    }
  }
  Cut(&out);
  while (!out.empty() && IsTrailingJunk(out.back())) out.pop_back();
  return out;
}

}  // namespace portatlas::scan
