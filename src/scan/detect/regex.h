// Regex: one PCRE2 pattern compiled the way nmap compiles its match lines, and run with limits
// that keep hostile responses cheap. Internal to the detect library; ProbeDb is the interface.
//
// Patterns and subjects are bytes, not UTF-8: PCRE2_UTF is never set (and a pattern cannot turn
// it on with (*UTF)), so \xHH in a pattern stands for the byte HH and any byte sequence is a
// valid subject. The pattern is JIT-compiled when this PCRE2 has a JIT; otherwise the
// interpreter runs it, with the same results.
//
// Limits on each search: at most kMatchLimit steps of the matcher per start position, and for
// the interpreter kDepthLimit nested backtracking points and 20 MiB of backtracking memory; the
// JIT runs on a stack of at most kJitStackBytes per thread. A search that hits a limit counts as
// no match. No line of nmap 7.93 hits them on the tests' banners, nor on their 1 MiB hostile
// banner; PCRE2's own default is 100 times higher (10,000,000 steps).
//
// Immutable once compiled: Match() is safe from any number of threads at once, each with its
// own Captures.
#ifndef PORTATLAS_SCAN_DETECT_REGEX_H_
#define PORTATLAS_SCAN_DETECT_REGEX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "core/status.h"

namespace portatlas::scan {

// Capture groups 0-9 of a match, as views into the subject: nullopt for a group that did not
// take part in the match or that the pattern does not have. Groups past 9 are not kept (the
// version templates of nmap-service-probes name $1 to $9 only).
using Captures = std::array<std::optional<std::string_view>, 10>;

class Regex {
 public:
  static constexpr uint32_t kMatchLimit = 100000;
  static constexpr uint32_t kDepthLimit = 10000;
  static constexpr size_t kJitStackBytes = size_t{1} << 20;

  enum class Outcome { kMatch, kNoMatch, kLimit };

  // Compiles `pattern` (PCRE syntax, as in a match line) with PCRE2_CASELESS when `caseless`
  // (the i flag) and PCRE2_DOTALL when `dotall` (the s flag). kInvalidArgument carries PCRE2's
  // message and the offset in the pattern where it failed.
  static Result<std::shared_ptr<const Regex>> Compile(std::string_view pattern, bool caseless,
                                                      bool dotall);

  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Searches `subject` (anywhere, unless the pattern anchors itself). On kMatch *groups holds
  // the captures; otherwise it is left cleared.
  Outcome Match(std::span<const uint8_t> subject, Captures* groups) const;

  // True when the pattern runs as JIT-compiled code.
  bool jit() const { return jit_; }
  // The number of capturing groups in the pattern.
  uint32_t capture_count() const { return capture_count_; }

 private:
  struct Code;  // the pcre2_code, kept out of this header
  Regex(std::unique_ptr<Code> code, bool jit, uint32_t capture_count);

  std::unique_ptr<Code> code_;
  bool jit_ = false;
  uint32_t capture_count_ = 0;
};

// True when this PCRE2 library can JIT-compile patterns on this machine.
bool RegexJitAvailable();

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_DETECT_REGEX_H_
