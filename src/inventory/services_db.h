// The system's services database (/etc/services, from netbase): port number -> service name.
// Immutable after parsing; thread-safe to read.
#ifndef PORTATLAS_INVENTORY_SERVICES_DB_H_
#define PORTATLAS_INVENTORY_SERVICES_DB_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "core/types.h"

namespace portatlas::inventory {

class ServicesDb {
 public:
  // Parses services(5) text: "name port/proto [aliases...] [# comment]". The first name for
  // a (port, proto) wins, as getservbyport does. Malformed lines are skipped and counted.
  static ServicesDb Parse(std::string_view text);

  // Reads and parses a file; an unreadable file is an error (callers may go on without names).
  static Result<ServicesDb> Load(const std::string& path);

  // The service name, or "" when unknown.
  std::string_view Name(Proto proto, uint16_t port) const;

  size_t size() const { return names_.size(); }
  int bad_lines() const { return bad_lines_; }

 private:
  std::unordered_map<uint32_t, std::string> names_;
  int bad_lines_ = 0;
};

}  // namespace portatlas::inventory

#endif  // PORTATLAS_INVENTORY_SERVICES_DB_H_
