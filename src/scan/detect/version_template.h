// Expansion of the version templates of nmap-service-probes match lines (p/.../, v/.../, i/,
// h/, o/, d/ and cpe:/.../). Internal to the detect library; ProbeDb::Match uses it.
//
// A template is literal text with substitutions of the regex's capture groups:
//   $1 ... $9                the group's bytes
//   $P(n)                    the group's printable bytes only (drops the NULs of UTF-16 text)
//   $SUBST(n,"from","to")    the group with every "from" replaced by "to", left to right; the
//                            strings take the escapes of escapes.h (\" for a quote)
//   $I(n,">") / $I(n,"<")    the group (at most 8 bytes) read as an unsigned big-endian (">")
//                            or little-endian ("<") integer, in decimal; "0" for an empty group
// Bytes outside printable ASCII, in the literal text or substituted, come out as \xHH (nmap
// itself replaces them with '.' when it stores the fields, and cuts them at a NUL). A group
// that did not take part in the match, or that the pattern does not have, expands to nothing
// (nmap instead drops the whole field); so does $I of more than 8 bytes. A '$' that starts none
// of these forms (or one with malformed arguments) is literal text.
//
// In a CPE template (cpe = true) every substitution is also made safe for a CPE name as nmap
// does it: lower case, spaces as '_', and :/?#[]@!$&'()*+,;=%<>" as %XX.
//
// Trailing spaces and commas are removed (so "$2, $3" with no $3 reads "x"), and the result is
// cut to kMaxFieldBytes. Pure and thread-safe.
#ifndef PORTATLAS_SCAN_DETECT_VERSION_TEMPLATE_H_
#define PORTATLAS_SCAN_DETECT_VERSION_TEMPLATE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "scan/detect/regex.h"

namespace portatlas::scan {

inline constexpr size_t kMaxFieldBytes = 256;

std::string ExpandTemplate(std::string_view tmpl, const Captures& groups, bool cpe);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_DETECT_VERSION_TEMPLATE_H_
