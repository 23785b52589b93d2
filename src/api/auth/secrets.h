// Credentials for the API: bearer tokens, AK/SK pairs, and SecretBox, which keeps secret keys
// encrypted at rest. Randomness comes from OpenSSL's CSPRNG (RAND_bytes).
//
// Tokens are stored only as HashToken(token); secret keys must be stored so that the server can
// recompute HMACs, so they are sealed with a SecretBox whose key lives in a separate file.
#ifndef PORTATLAS_API_AUTH_SECRETS_H_
#define PORTATLAS_API_AUTH_SECRETS_H_

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "api/auth/digest.h"  // ConstantTimeEquals, Sha256Hex
#include "core/status.h"

namespace portatlas::api::auth {

inline constexpr std::string_view kTokenPrefix = "pat_";
inline constexpr size_t kTokenChars = 47;      // "pat_" + 43 base64url characters
inline constexpr size_t kAccessKeyChars = 20;  // [A-Z0-9]
inline constexpr size_t kSecretKeyChars = 40;  // [A-Za-z0-9]

// A new bearer token: "pat_" + 32 random bytes in URL-safe base64 without padding (47
// characters, above the HSS minimum of 32). Thread-safe.
std::string NewToken();

// What the store keeps for a token: lower-case hex SHA-256 of its text (64 characters). Compare
// stored hashes with ConstantTimeEquals.
std::string HashToken(std::string_view token);

// A new access key: 20 characters from [A-Z0-9], uniformly (rejection sampling). Thread-safe.
std::string NewAccessKey();

// A new secret key: 40 characters from [A-Za-z0-9], uniformly (rejection sampling).
std::string NewSecretKey();

// Authenticated encryption (AES-256-GCM) of small secrets under a 32-byte key kept in a file.
// Sealed form: standard base64 (with padding) of nonce (12 random bytes) | ciphertext | tag (16
// bytes). Immutable after construction: Seal and Open are thread-safe. Move-only; the key is
// wiped from memory on destruction.
class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kNonceBytes = 12;
  static constexpr size_t kTagBytes = 16;
  static constexpr size_t kMaxSealedChars = 1 << 20;  // Open refuses longer input

  // Loads the raw 32-byte key at `key_path`, creating it first when it does not exist: random
  // bytes are written to a temporary file of mode 0600 (O_CREAT|O_EXCL) in the same directory,
  // synced, and hard-linked into place, so processes racing here all end up with the single key
  // that won and no one ever reads a half-written file. Returns kPermissionDenied when the file
  // grants any access to group or others (the message names the mode and the fix), kParse when
  // it does not hold exactly 32 bytes, kInvalidArgument when it is not a regular file, and an
  // errno-derived error (kNotFound for a missing directory, ...) when a system call fails.
  // Symbolic links are followed when reading (secret mounts use them).
  static Result<SecretBox> LoadOrCreate(const std::string& key_path);

  // A box with the given key; kInvalidArgument unless `key` holds exactly kKeyBytes bytes.
  static Result<SecretBox> FromKey(std::string_view key);

  SecretBox(SecretBox&& other) noexcept;
  SecretBox& operator=(SecretBox&& other) noexcept;
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;
  ~SecretBox();

  // Encrypts `plaintext` under a fresh random nonce. `associated_data` is authenticated but not
  // stored: Open must be given the same bytes. Pass the owning record's identity (e.g. the
  // access key) so a sealed secret copied onto another row does not open there. Fails only
  // with kInternal (OpenSSL failure) or kInvalidArgument (plaintext over 256 KiB).
  Result<std::string> Seal(std::string_view plaintext, std::string_view associated_data = {}) const;

  // Decrypts what Seal returned. Returns kParse for input over kMaxSealedChars, input that is
  // not strict base64, too short to hold nonce and tag, or that fails authentication (tampered,
  // truncated, other key or other associated data). Never crashes on any input.
  Result<std::string> Open(std::string_view sealed, std::string_view associated_data = {}) const;

 private:
  SecretBox() = default;

  std::array<unsigned char, kKeyBytes> key_{};
};

}  // namespace portatlas::api::auth

#endif  // PORTATLAS_API_AUTH_SECRETS_H_
