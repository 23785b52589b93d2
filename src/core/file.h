// Whole files: reading with a size cap, for inputs an operator points the program at (probe
// databases, payload files); writing durably, for state a program must find after a crash.
#ifndef PORTATLAS_CORE_FILE_H_
#define PORTATLAS_CORE_FILE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace portatlas {

// All of `path`. Errors: the open's errno (naming the path), kInvalidArgument for a file over
// `max_bytes`, kIo for a read error.
Result<std::string> ReadFileCapped(const std::string& path, size_t max_bytes);

// Replaces `path` with `data` so that a crash leaves either the old file or the whole new one,
// and the new one durably on disk when this returns: a temporary file beside it, written,
// fsync'd, renamed over `path`, then the directory fsync'd. Errors name the step (errno).
Status WriteFileDurably(const std::string& path, std::string_view data);

}  // namespace portatlas

#endif  // PORTATLAS_CORE_FILE_H_
