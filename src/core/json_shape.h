// A lexical pass over JSON text that bounds what parsing it would cost, before any parse: how
// deep it nests, how many entries one array or object has, how many values (keys included) the
// whole text holds, and how long its longest string is. It allocates nothing, so a hostile body
// (60 MiB of '[', an array of millions of zeros, one 60 MiB string) is refused at the price of
// reading it once, where a DOM of it would cost many times its size.
//
// The counts are exact for valid JSON and an upper bound otherwise; the pass does not validate
// (malformed text that fits the limits is left to the parser to refuse).
#pragma once

#include <cstddef>
#include <string_view>

#include "core/status.h"

namespace portatlas {

struct JsonShapeLimits {
  int max_depth = 16;                 // arrays and objects inside each other (at most 64)
  size_t max_entries = 65536;         // elements of one array, members of one object
  size_t max_values = 2'000'000;      // every value and every key of the text
  size_t max_string_bytes = 1 << 16;  // bytes between a string's quotes, escapes as written
};

// Ok, or InvalidArgument saying which limit the text passes ("nests deeper than 16 levels").
Status CheckJsonShape(std::string_view text, const JsonShapeLimits& limits);

}  // namespace portatlas
