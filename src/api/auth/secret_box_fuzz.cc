// libFuzzer target for SecretBox::Open (and Seal/Open round trips of the input).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/auth/secrets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using portatlas::ErrorKind;
  using portatlas::api::auth::SecretBox;
  static const SecretBox box = std::move(SecretBox::FromKey(std::string(32, 'k')).value());
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto opened = box.Open(input);
  if (!opened && opened.error().kind() != ErrorKind::kParse) __builtin_trap();
  auto opened_aad = box.Open(input, "AK");
  if (!opened_aad && opened_aad.error().kind() != ErrorKind::kParse) __builtin_trap();

  auto sealed = box.Seal(input, input.substr(0, input.size() / 2));
  if (!sealed) return 0;  // only oversized input may be refused
  auto back = box.Open(*sealed, input.substr(0, input.size() / 2));
  if (!back || *back != input) __builtin_trap();
  return 0;
}
