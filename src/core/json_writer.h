// JsonWriter: the one JSON writer of the code base, a RapidJSON Writer whose output is valid
// JSON whatever its strings hold. RapidJSON copies string bytes as they are, so a stored value
// that is not UTF-8 (an agent's, a scan reply's, an old row's) would make a whole answer
// unparsable for every client; here each string and key that is not valid UTF-8 is written
// with its invalid byte sequences replaced by U+FFFD (RepairUtf8). Valid strings, the common
// case, are checked and passed through untouched.
#ifndef PORTATLAS_CORE_JSON_WRITER_H_
#define PORTATLAS_CORE_JSON_WRITER_H_

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <string>
#include <string_view>

#include "core/text.h"

namespace portatlas {

template <typename OutputStream>
class BasicJsonWriter : public rapidjson::Writer<OutputStream> {
 public:
  using Base = rapidjson::Writer<OutputStream>;
  using Base::Base;

  bool String(const char* s, rapidjson::SizeType n, bool copy = false) {
    const std::string_view v(s, n);
    if (IsValidUtf8(v)) return Base::String(s, n, copy);
    const std::string fixed = RepairUtf8(v);
    return Base::String(fixed.data(), static_cast<rapidjson::SizeType>(fixed.size()), true);
  }
  bool String(const char* s) { return String(s, static_cast<rapidjson::SizeType>(std::strlen(s))); }
  bool String(const std::string& s) {
    return String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy = false) {
    const std::string_view v(s, n);
    if (IsValidUtf8(v)) return Base::Key(s, n, copy);
    const std::string fixed = RepairUtf8(v);
    return Base::Key(fixed.data(), static_cast<rapidjson::SizeType>(fixed.size()), true);
  }
  bool Key(const char* s) { return Key(s, static_cast<rapidjson::SizeType>(std::strlen(s))); }
  bool Key(const std::string& s) {
    return Key(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
};

using JsonWriter = BasicJsonWriter<rapidjson::StringBuffer>;

}  // namespace portatlas

#endif  // PORTATLAS_CORE_JSON_WRITER_H_
