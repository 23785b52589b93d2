#include "core/json_shape.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace portatlas {

namespace {
constexpr int kDeepest = 64;
}  // namespace

Status CheckJsonShape(std::string_view text, const JsonShapeLimits& limits) {
  const int max_depth = std::clamp(limits.max_depth, 0, kDeepest);
  // separators[d]: the ',' seen so far in the container open at depth d (its entries - 1).
  std::array<size_t, kDeepest + 1> separators{};
  int depth = 0;
  // Every value or key but the root and each container's first entry follows a ',' or ':'.
  size_t values = 1;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i++];
    switch (c) {
      case '"': {
        const size_t start = i;
        while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
        i = std::min(i, text.size());
        if (i - start > limits.max_string_bytes) {
          return InvalidArgument(
              fmt::format("has a string longer than {} bytes", limits.max_string_bytes));
        }
        ++i;  // the closing quote
        break;
      }
      case '[':
      case '{':
        if (depth == max_depth) {
          return InvalidArgument(fmt::format("nests deeper than {} levels", max_depth));
        }
        separators[static_cast<size_t>(++depth)] = 0;
        // The container's first entry, if it has one (an upper bound).
        if (++values > limits.max_values) {
          return InvalidArgument(fmt::format("has more than {} values", limits.max_values));
        }
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      case ',':
        if (++separators[static_cast<size_t>(depth)] >= limits.max_entries) {
          return InvalidArgument(
              fmt::format("has an array or object of more than {} entries", limits.max_entries));
        }
        [[fallthrough]];
      case ':':
        if (++values > limits.max_values) {
          return InvalidArgument(fmt::format("has more than {} values", limits.max_values));
        }
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

}  // namespace portatlas
