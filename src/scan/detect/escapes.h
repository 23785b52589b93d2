// Byte-string escapes of nmap-service-probes, both ways. Internal to the detect library.
#ifndef PORTATLAS_SCAN_DETECT_ESCAPES_H_
#define PORTATLAS_SCAN_DETECT_ESCAPES_H_

#include <string>
#include <string_view>

#include "core/status.h"

namespace portatlas::scan {

// Decodes the C-style escapes nmap allows in probe strings and $SUBST arguments: \0 (one NUL
// byte; a digit after it is a plain digit, there are no octal escapes), \a \b \f \n \r \t \v,
// \xHH (exactly two hex digits, either case), and a backslash before any other character that
// is not a letter or digit for that character (\\ \| \" ...). Every other byte stands for
// itself. kParse names the bad escape (a letter or digit nmap does not know, a short \x, a
// trailing backslash).
Result<std::string> UnescapeC(std::string_view text);

// Appends `bytes` to *out with each byte outside printable ASCII (0x20-0x7e) written as \xHH
// (lower-case hex), the way nmap writes unprintable response bytes in service fingerprints.
void AppendPrintable(std::string_view bytes, std::string* out);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_DETECT_ESCAPES_H_
