#include "scan/detect/regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <fmt/format.h>
#include <pcre2.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

namespace portatlas::scan {
namespace {

// Bound on the interpreter's backtracking memory (PCRE2 counts it in KiB).
constexpr uint32_t kHeapLimitKib = 20 * 1024;

struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
struct JitStackDeleter {
  void operator()(pcre2_jit_stack* s) const { pcre2_jit_stack_free(s); }
};
struct MatchContextDeleter {
  void operator()(pcre2_match_context* c) const { pcre2_match_context_free(c); }
};

// PCRE2 asks for the JIT stack through this callback on every JIT match, so one shared match
// context serves all threads while each thread runs on its own stack.
pcre2_jit_stack* ThreadJitStack(void*) {
  thread_local std::unique_ptr<pcre2_jit_stack, JitStackDeleter> stack(
      pcre2_jit_stack_create(32 * 1024, Regex::kJitStackBytes, nullptr));
  return stack.get();  // nullptr (allocation failed) makes PCRE2 use its small default stack
}

// The limits of every match, set once and never modified after (pcre2_match only reads it,
// although its signature takes a non-const pointer).
pcre2_match_context* SharedMatchContext() {
  static const std::unique_ptr<pcre2_match_context, MatchContextDeleter> context = [] {
    std::unique_ptr<pcre2_match_context, MatchContextDeleter> c(
        pcre2_match_context_create(nullptr));
    PA_CHECK(c != nullptr) << "out of memory";
    pcre2_set_match_limit(c.get(), Regex::kMatchLimit);
    pcre2_set_depth_limit(c.get(), Regex::kDepthLimit);
    pcre2_set_heap_limit(c.get(), kHeapLimitKib);
    pcre2_jit_stack_assign(c.get(), ThreadJitStack, nullptr);
    return c;
  }();
  return context.get();
}

// Room for groups 0-9; a pattern with more groups still matches (pcre2_match returns 0 then,
// with the first ten pairs filled in).
pcre2_match_data* ThreadMatchData() {
  thread_local std::unique_ptr<pcre2_match_data, MatchDataDeleter> data(
      pcre2_match_data_create(static_cast<uint32_t>(std::tuple_size_v<Captures>), nullptr));
  PA_CHECK(data != nullptr) << "out of memory";
  return data.get();
}

std::string PcreMessage(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof(buf)) < 0) return fmt::format("error {}", code);
  return std::string(reinterpret_cast<const char*>(buf));
}

}  // namespace

struct Regex::Code {
  explicit Code(pcre2_code* c) : code(c) {}
  ~Code() { pcre2_code_free(code); }
  Code(const Code&) = delete;
  Code& operator=(const Code&) = delete;
  pcre2_code* code;
};

Regex::Regex(std::unique_ptr<Code> code, bool jit, uint32_t capture_count)
    : code_(std::move(code)), jit_(jit), capture_count_(capture_count) {}

Regex::~Regex() = default;

Result<std::shared_ptr<const Regex>> Regex::Compile(std::string_view pattern, bool caseless,
                                                    bool dotall) {
  uint32_t options = PCRE2_NEVER_UTF;
  if (caseless) options |= PCRE2_CASELESS;
  if (dotall) options |= PCRE2_DOTALL;
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* raw = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                  options, &error, &offset, nullptr);
  if (raw == nullptr) {
    return InvalidArgument(
        fmt::format("regex does not compile at offset {}: {}", offset, PcreMessage(error)));
  }
  auto code = std::make_unique<Code>(raw);
  // Without a JIT (not built in, or no executable memory) pcre2_match interprets the pattern.
  const bool jit = pcre2_jit_compile(raw, PCRE2_JIT_COMPLETE) == 0;
  uint32_t captures = 0;
  pcre2_pattern_info(raw, PCRE2_INFO_CAPTURECOUNT, &captures);
  return std::shared_ptr<const Regex>(new Regex(std::move(code), jit, captures));
}

Regex::Outcome Regex::Match(std::span<const uint8_t> subject, Captures* groups) const {
  groups->fill(std::nullopt);
  pcre2_match_data* data = ThreadMatchData();
  // A zero-length subject still needs a valid pointer for PCRE2.
  static constexpr uint8_t kEmpty = 0;
  const uint8_t* bytes = subject.empty() ? &kEmpty : subject.data();
  const int rc = pcre2_match(code_->code, bytes, subject.size(), 0, 0, data, SharedMatchContext());
  if (rc == PCRE2_ERROR_NOMATCH) return Outcome::kNoMatch;
  if (rc < 0) return Outcome::kLimit;  // match, depth, heap or JIT stack limit
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data);
  const uint32_t pairs = pcre2_get_ovector_count(data);
  const uint32_t filled = rc == 0 ? pairs : std::min(pairs, static_cast<uint32_t>(rc));
  const char* text = reinterpret_cast<const char*>(bytes);
  for (uint32_t i = 0; i < filled && i < groups->size(); ++i) {
    const PCRE2_SIZE begin = ov[2 * i];
    const PCRE2_SIZE end = ov[2 * i + 1];
    // \K in a lookahead can end a match before it starts; treat such a group as unset.
    if (begin == PCRE2_UNSET || end == PCRE2_UNSET || end < begin) continue;
    (*groups)[i] = std::string_view(text + begin, end - begin);
  }
  return Outcome::kMatch;
}

bool RegexJitAvailable() {
  uint32_t jit = 0;
  return pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit == 1;
}

}  // namespace portatlas::scan
