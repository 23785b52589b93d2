// Reading whole files with a size cap, for inputs an operator points the program at (probe
// databases, payload files).
#ifndef PORTATLAS_CORE_FILE_H_
#define PORTATLAS_CORE_FILE_H_

#include <cstddef>
#include <string>

#include "core/status.h"

namespace portatlas {

// All of `path`. Errors: the open's errno (naming the path), kInvalidArgument for a file over
// `max_bytes`, kIo for a read error.
Result<std::string> ReadFileCapped(const std::string& path, size_t max_bytes);

}  // namespace portatlas

#endif  // PORTATLAS_CORE_FILE_H_
