#include "api/auth/secrets.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <memory>

#include "api/auth/base64.h"
#include "net/fd.h"

namespace portatlas::api::auth {
namespace {

constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr size_t kMaxPlaintextBytes = 256 * 1024;

// `n` characters drawn uniformly from `alphabet`: random bytes at or above the largest multiple
// of the alphabet size below 256 are dropped, so `byte % size` has no bias.
std::string RandomString(size_t n, std::string_view alphabet) {
  const size_t limit = 256 - 256 % alphabet.size();
  std::string out;
  out.reserve(n);
  std::array<unsigned char, 64> buf;
  while (out.size() < n) {
    RandomBytes(buf);
    for (const unsigned char b : buf) {
      if (b < limit && out.size() < n) out.push_back(alphabet[b % alphabet.size()]);
    }
  }
  OPENSSL_cleanse(buf.data(), buf.size());
  return out;
}

class UnlinkOnExit {
 public:
  explicit UnlinkOnExit(const std::string& path) : path_(path) {}
  UnlinkOnExit(const UnlinkOnExit&) = delete;
  UnlinkOnExit& operator=(const UnlinkOnExit&) = delete;
  ~UnlinkOnExit() { unlink(path_.c_str()); }

 private:
  const std::string& path_;
};

// Reads the key file into `key`; see SecretBox::LoadOrCreate for the checks.
Status ReadKeyFile(const std::string& path, std::array<unsigned char, SecretBox::kKeyBytes>* key) {
  // O_NONBLOCK: a FIFO planted at the path must not hang us; no effect on regular files.
  const net::Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) return ErrnoStatus(errno, "opening key file " + path);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "reading key file " + path);
  if (!S_ISREG(st.st_mode)) {
    return InvalidArgument(fmt::format("key file {} is not a regular file", path));
  }
  if ((st.st_mode & 077) != 0) {
    return PermissionDenied(fmt::format(
        "key file {} is accessible by group or others (mode {:04o}); run chmod 600 on it", path,
        st.st_mode & 07777));
  }
  std::array<unsigned char, SecretBox::kKeyBytes + 1> buf{};
  size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = read(fd.get(), buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "reading key file " + path);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got != SecretBox::kKeyBytes) {
    OPENSSL_cleanse(buf.data(), buf.size());
    return ParseError(fmt::format("key file {} holds {} bytes; it must hold exactly {}", path,
                                  got > SecretBox::kKeyBytes ? "more than 32" : std::to_string(got),
                                  SecretBox::kKeyBytes));
  }
  std::copy(buf.begin(), buf.begin() + SecretBox::kKeyBytes, key->begin());
  OPENSSL_cleanse(buf.data(), buf.size());
  return Status::Ok();
}

Status WriteAll(int fd, const unsigned char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "writing key file");
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

// Makes a directory entry change durable; file systems that cannot sync directories say EINVAL.
Status SyncParentDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const net::Fd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, "opening directory " + dir);
  if (fsync(fd.get()) != 0 && errno != EINVAL) {
    return ErrnoStatus(errno, "syncing directory " + dir);
  }
  return Status::Ok();
}

// Writes a new random key to a private temporary file and links it to `path`. Returns OK also
// when another process linked its key first (EEXIST): the caller then reads that one.
Status CreateKeyFile(const std::string& path) {
  std::array<unsigned char, 9> salt;
  RandomBytes(salt);
  const std::string tmp = fmt::format(
      "{}.tmp-{}", path, Base64UrlEncodeNoPad({reinterpret_cast<char*>(salt.data()), salt.size()}));
  const int raw_fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (raw_fd < 0) return ErrnoStatus(errno, "creating key file " + tmp);
  const UnlinkOnExit unlink_tmp(tmp);  // the key lives on under `path` once linked
  {
    const net::Fd fd(raw_fd);
    if (fchmod(fd.get(), 0600) != 0) return ErrnoStatus(errno, "chmod of key file " + tmp);
    std::array<unsigned char, SecretBox::kKeyBytes> key;
    RandomBytes(key);
    const Status written = WriteAll(fd.get(), key.data(), key.size());
    OPENSSL_cleanse(key.data(), key.size());
    PA_RETURN_IF_ERROR(written);
    if (fsync(fd.get()) != 0) return ErrnoStatus(errno, "syncing key file " + tmp);
  }
  if (link(tmp.c_str(), path.c_str()) != 0) {
    if (errno == EEXIST) return Status::Ok();
    return ErrnoStatus(errno, "linking key file " + path);
  }
  return SyncParentDirectory(path);
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string NewToken() {
  std::array<unsigned char, 32> bytes;
  RandomBytes(bytes);
  std::string token = std::string(kTokenPrefix) +
                      Base64UrlEncodeNoPad({reinterpret_cast<char*>(bytes.data()), bytes.size()});
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return token;
}

std::string HashToken(std::string_view token) { return Sha256Hex(token); }

std::string NewAccessKey() { return RandomString(kAccessKeyChars, kUpperDigits); }

std::string NewSecretKey() { return RandomString(kSecretKeyChars, kAlnum); }

Result<SecretBox> SecretBox::LoadOrCreate(const std::string& key_path) {
  SecretBox box;
  Status read = ReadKeyFile(key_path, &box.key_);
  if (read.kind() == ErrorKind::kNotFound) {
    PA_RETURN_IF_ERROR(CreateKeyFile(key_path));
    read = ReadKeyFile(key_path, &box.key_);
  }
  PA_RETURN_IF_ERROR(read);
  return box;
}

Result<SecretBox> SecretBox::FromKey(std::string_view key) {
  if (key.size() != kKeyBytes) {
    return InvalidArgument(fmt::format("a SecretBox key holds exactly {} bytes", kKeyBytes));
  }
  SecretBox box;
  std::copy(key.begin(), key.end(), box.key_.begin());
  return box;
}

SecretBox::SecretBox(SecretBox&& other) noexcept : key_(other.key_) {
  OPENSSL_cleanse(other.key_.data(), other.key_.size());
}

SecretBox& SecretBox::operator=(SecretBox&& other) noexcept {
  if (this != &other) {
    key_ = other.key_;
    OPENSSL_cleanse(other.key_.data(), other.key_.size());
  }
  return *this;
}

SecretBox::~SecretBox() { OPENSSL_cleanse(key_.data(), key_.size()); }

Result<std::string> SecretBox::Seal(std::string_view plaintext,
                                    std::string_view associated_data) const {
  if (plaintext.size() > kMaxPlaintextBytes || associated_data.size() > kMaxPlaintextBytes) {
    return InvalidArgument("secret or associated data too large to seal");
  }
  std::string raw(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(raw.data());
  unsigned char* ciphertext = nonce + kNonceBytes;
  unsigned char* tag = ciphertext + plaintext.size();
  RandomBytes({nonce, kNonceBytes});
  const CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  int final_len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      (!associated_data.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                         static_cast<int>(associated_data.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), ciphertext, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ciphertext + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes), tag) !=
          1) {
    return InternalError("AES-256-GCM encryption failed");
  }
  return Base64Encode(raw);
}

Result<std::string> SecretBox::Open(std::string_view sealed,
                                    std::string_view associated_data) const {
  if (sealed.size() > kMaxSealedChars) return ParseError("sealed secret is too long");
  if (associated_data.size() > kMaxPlaintextBytes) return ParseError("associated data too large");
  Result<std::string> raw = Base64Decode(sealed);
  if (!raw) return ParseError("sealed secret is not valid base64");
  if (raw->size() < kNonceBytes + kTagBytes) return ParseError("sealed secret is truncated");
  const std::string_view nonce = std::string_view(*raw).substr(0, kNonceBytes);
  const std::string_view ciphertext =
      std::string_view(*raw).substr(kNonceBytes, raw->size() - kNonceBytes - kTagBytes);
  std::array<unsigned char, kTagBytes> tag;
  std::copy(raw->end() - kTagBytes, raw->end(), tag.begin());

  std::string plaintext(ciphertext.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  const CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  int final_len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), Bytes(nonce)) != 1 ||
      (!associated_data.empty() &&
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                         static_cast<int>(associated_data.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), out, &len, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes),
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + len, &final_len) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return ParseError(
        "sealed secret failed authentication (tampered, truncated, or sealed under another key)");
  }
  return plaintext;
}

}  // namespace portatlas::api::auth
