// PA_CHECK: aborts loudly, with file and line, when an invariant is broken.
//
// Use it for programming errors only; expected failures return a Status. The streamed message
// is evaluated only when the check fails.
#ifndef PORTATLAS_CORE_CHECK_H_
#define PORTATLAS_CORE_CHECK_H_

#include <sstream>

namespace portatlas::internal {

// Collects a message and aborts the process in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* expr);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

}  // namespace portatlas::internal

#define PA_CHECK(cond) \
  if (cond) {          \
  } else               \
    ::portatlas::internal::CheckFailure(__FILE__, __LINE__, #cond)

#endif  // PORTATLAS_CORE_CHECK_H_
