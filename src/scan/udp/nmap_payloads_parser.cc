#include "scan/udp/nmap_payloads_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "core/text.h"

namespace portatlas::scan {
namespace {

struct Token {
  bool is_string = false;
  std::string text;  // a symbol as written, or a string's decoded bytes
};

bool IsOctal(char c) { return c >= '0' && c <= '7'; }
bool IsAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Decodes the escape whose letter is line[*pos] (just past the backslash) onto *out and moves
// *pos past it. Returns "" or what is wrong.
std::string ReadEscape(std::string_view line, size_t* pos, std::string* out) {
  static constexpr std::string_view kLetters = "abfnrtv";
  static constexpr std::string_view kValues = "\a\b\f\n\r\t\v";
  const char e = line[(*pos)++];
  if (const size_t k = kLetters.find(e); k != std::string_view::npos) {
    *out += kValues[k];
  } else if (e == 'x') {
    const std::optional<uint64_t> v =
        *pos + 2 <= line.size() ? ParseHex(line.substr(*pos, 2), 0xFF) : std::nullopt;
    if (!v) return "bad escape \\x: it needs two hex digits";
    *out += static_cast<char>(*v);
    *pos += 2;
  } else if (IsOctal(e)) {
    unsigned v = static_cast<unsigned>(e - '0');
    for (int digits = 1; digits < 3 && *pos < line.size() && IsOctal(line[*pos]); ++digits) {
      v = v * 8 + static_cast<unsigned>(line[(*pos)++] - '0');
    }
    if (v > 0xFF) return "bad escape: octal value above \\377";
    *out += static_cast<char>(v);
  } else if (IsAlnum(e)) {
    return fmt::format("unknown escape \\{}", e);
  } else {
    *out += e;  // \\ \" \' and any other punctuation stand for themselves
  }
  return "";
}

// Reads the string that starts at line[*pos] (the opening quote) onto *out and moves *pos past
// its closing quote. Returns "" or what is wrong.
std::string ReadString(std::string_view line, size_t* pos, std::string* out) {
  size_t i = *pos + 1;
  while (i < line.size() && line[i] != '"') {
    const char c = line[i++];
    if (c != '\\') {
      *out += c;
    } else if (i < line.size()) {
      std::string error = ReadEscape(line, &i, out);
      if (!error.empty()) return error;
    }
  }
  if (i >= line.size()) return "unterminated string";
  *pos = i + 1;
  return "";
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Splits one line into symbols and strings, up to a comment. On a malformed string returns
// what is wrong; the tokens before it are in *tokens.
std::string Tokenize(std::string_view line, std::vector<Token>* tokens) {
  size_t i = 0;
  while (i < line.size() && line[i] != '#') {
    if (IsSpace(line[i])) {
      ++i;
    } else if (line[i] == '"') {
      Token t;
      t.is_string = true;
      std::string error = ReadString(line, &i, &t.text);
      if (!error.empty()) return error;
      tokens->push_back(std::move(t));
    } else {
      const size_t start = i;
      while (i < line.size() && !IsSpace(line[i]) && line[i] != '"' && line[i] != '#') ++i;
      Token t;
      t.text = std::string(line.substr(start, i - start));
      tokens->push_back(std::move(t));
    }
  }
  return "";
}

// "7,9-11" -> 7 9 10 11 (sorted, unique). Returns "" or what is wrong.
std::string ParsePortList(std::string_view list, std::vector<uint16_t>* ports) {
  size_t begin = 0;
  while (begin <= list.size()) {
    const size_t comma = std::min(list.find(',', begin), list.size());
    const std::string_view item = list.substr(begin, comma - begin);
    begin = comma + 1;
    const size_t dash = item.find('-');
    const auto lo = ParseUint(item.substr(0, dash), 65535);
    const auto hi = dash == std::string_view::npos ? lo : ParseUint(item.substr(dash + 1), 65535);
    if (!lo || !hi || *hi < *lo) {
      return fmt::format("bad port list '{}' (ports and ranges 0-65535, comma-separated)",
                         list.substr(0, 64));
    }
    for (uint64_t p = *lo; p <= *hi; ++p) ports->push_back(static_cast<uint16_t>(p));
  }
  if (!std::is_sorted(ports->begin(), ports->end())) std::sort(ports->begin(), ports->end());
  ports->erase(std::unique(ports->begin(), ports->end()), ports->end());
  return "";
}

bool IsCommentLine(std::string_view line) {
  const std::string_view t = Trim(line);
  return t.empty() || t[0] == '#';
}

// The entry grammar as a state machine fed one line at a time.
class Parser {
 public:
  Parser(const NmapPayloadsLimits& limits,
         const std::function<void(const NmapPayloadEntry&)>& on_entry,
         const std::function<void(size_t, std::string_view)>& on_warning)
      : limits_(limits), on_entry_(on_entry), on_warning_(on_warning) {}

  void Line(size_t line_no, std::string_view line);
  // Ends the entry in progress, if any (a new "udp", a keyword, the end of the text).
  void Finish();

 private:
  enum class State { kIdle, kEntry, kSkipping };

  // Skips the entry in progress (or the line, outside one) and everything up to the next "udp".
  void Fail(size_t line_no, std::string_view what);
  // Starts an entry at tokens[*i] ("udp"); false when the line is done with.
  bool Start(size_t line_no, const std::vector<Token>& tokens, size_t* i);

  const NmapPayloadsLimits& limits_;
  const std::function<void(const NmapPayloadEntry&)>& on_entry_;
  const std::function<void(size_t, std::string_view)>& on_warning_;
  State state_ = State::kIdle;
  NmapPayloadEntry entry_;
  size_t strings_ = 0;
  size_t payload_bytes_ = 0;  // entry_.payload stops growing past the limit; this counts on
};

void Parser::Finish() {
  if (state_ != State::kEntry) return;
  state_ = State::kIdle;
  if (strings_ == 0) {
    on_warning_(entry_.line, "entry without a payload string; skipped");
  } else if (payload_bytes_ > limits_.max_payload_bytes) {
    on_warning_(entry_.line, fmt::format("payload of {} bytes is more than a UDP datagram "
                                         "carries ({}); entry skipped",
                                         payload_bytes_, limits_.max_payload_bytes));
  } else {
    on_entry_(entry_);
  }
}

void Parser::Fail(size_t line_no, std::string_view what) {
  if (state_ == State::kEntry && line_no != entry_.line) {
    on_warning_(line_no, fmt::format("{}; entry from line {} skipped", what, entry_.line));
  } else {
    on_warning_(line_no, fmt::format("{}; entry skipped", what));
  }
  state_ = State::kSkipping;
}

bool Parser::Start(size_t line_no, const std::vector<Token>& tokens, size_t* i) {
  Finish();
  if (*i + 1 >= tokens.size() || tokens[*i + 1].is_string) {
    Fail(line_no, "expected a port list after \"udp\"");
    return false;
  }
  entry_.ports.clear();
  const std::string bad = ParsePortList(tokens[*i + 1].text, &entry_.ports);
  if (!bad.empty()) {
    Fail(line_no, bad);
    return false;
  }
  state_ = State::kEntry;
  entry_.line = line_no;
  entry_.payload.clear();
  strings_ = 0;
  payload_bytes_ = 0;
  ++*i;
  return true;
}

void Parser::Line(size_t line_no, std::string_view line) {
  if (line.size() > limits_.max_line_length && !IsCommentLine(line)) {
    Fail(line_no, fmt::format("line longer than {} characters", limits_.max_line_length));
    return;
  }
  std::vector<Token> tokens;
  const std::string error = Tokenize(line, &tokens);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    if (!t.is_string && t.text == "udp") {
      if (!Start(line_no, tokens, &i)) return;
    } else if (state_ == State::kSkipping) {
      continue;
    } else if (state_ == State::kIdle) {
      Fail(line_no, t.is_string ? std::string("payload string outside an entry")
                                : fmt::format("expected \"udp\", found '{}'",
                                              std::string_view(t.text).substr(0, 32)));
      return;
    } else if (!t.is_string) {  // a keyword such as "source" ends the entry; its line is ignored
      Finish();
      return;
    } else {
      ++strings_;
      payload_bytes_ += t.text.size();
      if (payload_bytes_ <= limits_.max_payload_bytes) {
        entry_.payload.insert(entry_.payload.end(), t.text.begin(), t.text.end());
      }
    }
  }
  if (!error.empty() && state_ != State::kSkipping) Fail(line_no, error);
}

}  // namespace

void ParseNmapPayloads(std::string_view text, const NmapPayloadsLimits& limits,
                       const std::function<void(const NmapPayloadEntry&)>& on_entry,
                       const std::function<void(size_t, std::string_view)>& on_warning) {
  Parser parser(limits, on_entry, on_warning);
  size_t line_no = 0;
  ForEachLine(text, [&](std::string_view line) { parser.Line(++line_no, line); });
  parser.Finish();
}

}  // namespace portatlas::scan
