#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "api/auth/base64.h"
#include "api/auth/secrets.h"

namespace portatlas::api::auth {
namespace {

namespace fs = std::filesystem;

const std::string kKey(32, 'k');

SecretBox Box(std::string_view key = kKey) { return std::move(SecretBox::FromKey(key).value()); }

class TempDir {
 public:
  TempDir() {
    std::string tmpl = testing::TempDir() + "/secret_box_XXXXXX";
    PA_CHECK(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(std::string_view name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteFile(const std::string& path, std::string_view bytes, mode_t mode) {
  std::ofstream(path, std::ios::binary) << bytes;
  PA_CHECK(chmod(path.c_str(), mode) == 0);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  PA_CHECK(stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

TEST(SecretBoxTest, SealThenOpenRoundTrips) {
  const SecretBox box = Box();
  for (const std::string& plain : {std::string(), std::string("x"), std::string(40, 's'),
                                   std::string("\0\xff\n", 3), std::string(256 * 1024, 'z')}) {
    Result<std::string> sealed = box.Seal(plain);
    ASSERT_TRUE(sealed.has_value()) << sealed.error().ToString();
    EXPECT_EQ(Base64Decode(*sealed)->size(), 12 + plain.size() + 16);
    Result<std::string> opened = box.Open(*sealed);
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    EXPECT_EQ(*opened, plain);
  }
}

TEST(SecretBoxTest, OpensWhatAnIndependentAesGcmSealed) {
  // Sealed with Node's crypto (aes-256-gcm, key 32 x 'k', nonce 00..0b): the layout is
  // base64(nonce | ciphertext | tag), nothing else.
  const SecretBox box = Box();
  EXPECT_EQ(*box.Open("AAECAwQFBgcICQoLJ5uNSHKbskQh+mHtDbRFb62H1VLMHPL1yymi4oBF40b/Yl+LwEhRc01Y7AyE"
                      "RQbwkVoYjTiVEBk="),
            "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc");
  EXPECT_EQ(*box.Open("AAECAwQFBgcICQoL6GtM5Jy7SsXzYH6KZMvqMw=="), "");
  EXPECT_EQ(*box.Open("AAECAwQFBgcICQoLGbbxjVf73DZ6unaifBn2APij", "AK"), "sk");
}

TEST(SecretBoxTest, SealUsesAFreshNonce) {
  const SecretBox box = Box();
  EXPECT_NE(*box.Seal("same"), *box.Seal("same"));
}

TEST(SecretBoxTest, OversizedPlaintextIsRefused) {
  EXPECT_EQ(Box().Seal(std::string(256 * 1024 + 1, 'z')).error().kind(),
            ErrorKind::kInvalidArgument);
}

TEST(SecretBoxTest, AssociatedDataMustMatch) {
  const SecretBox box = Box();
  const std::string sealed = *box.Seal("sk", "AK1");
  EXPECT_EQ(*box.Open(sealed, "AK1"), "sk");
  EXPECT_EQ(box.Open(sealed, "AK2").error().kind(), ErrorKind::kParse);
  EXPECT_EQ(box.Open(sealed).error().kind(), ErrorKind::kParse);
  EXPECT_EQ(box.Open(*box.Seal("sk")).value(), "sk");
}

TEST(SecretBoxTest, OtherKeyCannotOpen) {
  const std::string sealed = *Box().Seal("sk");
  EXPECT_EQ(Box(std::string(32, 'o')).Open(sealed).error().kind(), ErrorKind::kParse);
}

TEST(SecretBoxTest, EveryFlippedBitIsDetected) {
  const SecretBox box = Box();
  const std::string raw = *Base64Decode(*box.Seal("secret-key-0123456789"));
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::string tampered = raw;
      tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
      Result<std::string> r = box.Open(Base64Encode(tampered));
      ASSERT_FALSE(r.has_value()) << i;
      EXPECT_EQ(r.error().kind(), ErrorKind::kParse);
    }
  }
}

TEST(SecretBoxTest, EveryTruncationIsDetected) {
  const SecretBox box = Box();
  const std::string raw = *Base64Decode(*box.Seal("secret"));
  for (size_t n = 0; n < raw.size(); ++n) {
    EXPECT_EQ(box.Open(Base64Encode(raw.substr(0, n))).error().kind(), ErrorKind::kParse) << n;
  }
  const std::string sealed = *box.Seal("secret");
  for (size_t n = 0; n < sealed.size(); ++n) {
    EXPECT_FALSE(box.Open(sealed.substr(0, n)).has_value()) << n;
  }
}

class SecretBoxBadInputTest : public testing::TestWithParam<std::string> {};

TEST_P(SecretBoxBadInputTest, IsAParseError) {
  Result<std::string> r = Box().Open(GetParam());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind(), ErrorKind::kParse);
}

INSTANTIATE_TEST_SUITE_P(Table, SecretBoxBadInputTest,
                         testing::Values("", "=", "garbage!", "AAAA", std::string(40, 'A'),
                                         std::string(64, 'A'), "\xff\xfe\x00\x01",
                                         std::string(SecretBox::kMaxSealedChars + 4, 'A'),
                                         std::string(100 * 1024, 'A')));

TEST(SecretBoxTest, FromKeyNeedsExactly32Bytes) {
  EXPECT_EQ(SecretBox::FromKey("").error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_FALSE(SecretBox::FromKey(std::string(31, 'k')).has_value());
  EXPECT_FALSE(SecretBox::FromKey(std::string(33, 'k')).has_value());
}

TEST(SecretBoxTest, MovedBoxStillOpens) {
  SecretBox a = Box();
  const std::string sealed = *a.Seal("sk");
  SecretBox b(std::move(a));
  EXPECT_EQ(*b.Open(sealed), "sk");
  SecretBox c = Box(std::string(32, 'o'));
  c = std::move(b);
  EXPECT_EQ(*c.Open(sealed), "sk");
}

TEST(SecretBoxKeyFileTest, CreatesAPrivateKeyFileAndReusesIt) {
  const TempDir dir;
  const std::string path = dir.File("secret.key");
  Result<SecretBox> first = SecretBox::LoadOrCreate(path);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(fs::file_size(path), 32u);
  EXPECT_EQ(ModeOf(path), 0600u);
  const std::string sealed = *first->Seal("sk");
  Result<SecretBox> second = SecretBox::LoadOrCreate(path);
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  EXPECT_EQ(*second->Open(sealed), "sk");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(SecretBoxKeyFileTest, CreatesPrivateFileWhateverTheUmask) {
  const TempDir dir;
  const mode_t old = umask(0);
  Result<SecretBox> box = SecretBox::LoadOrCreate(dir.File("k"));
  umask(old);
  ASSERT_TRUE(box.has_value()) << box.error().ToString();
  EXPECT_EQ(ModeOf(dir.File("k")), 0600u);
}

TEST(SecretBoxKeyFileTest, LoadsAnExistingKey) {
  const TempDir dir;
  WriteFile(dir.File("k"), kKey, 0600);
  Result<SecretBox> box = SecretBox::LoadOrCreate(dir.File("k"));
  ASSERT_TRUE(box.has_value()) << box.error().ToString();
  EXPECT_EQ(*Box().Open(*box->Seal("sk")), "sk");
}

TEST(SecretBoxKeyFileTest, FollowsSymlinks) {
  const TempDir dir;
  WriteFile(dir.File("real"), kKey, 0400);
  fs::create_symlink(dir.File("real"), dir.File("link"));
  Result<SecretBox> box = SecretBox::LoadOrCreate(dir.File("link"));
  ASSERT_TRUE(box.has_value()) << box.error().ToString();
  EXPECT_EQ(*Box().Open(*box->Seal("sk")), "sk");
}

TEST(SecretBoxKeyFileTest, RefusesGroupOrOtherAccess) {
  const TempDir dir;
  for (const mode_t mode : {0640u, 0604u, 0620u, 0602u, 0610u, 0644u}) {
    WriteFile(dir.File("k"), kKey, mode);
    Result<SecretBox> box = SecretBox::LoadOrCreate(dir.File("k"));
    ASSERT_FALSE(box.has_value()) << std::oct << mode;
    EXPECT_EQ(box.error().kind(), ErrorKind::kPermissionDenied);
    EXPECT_NE(box.error().message().find("chmod 600"), std::string::npos) << box.error().message();
  }
}

class SecretBoxKeySizeTest : public testing::TestWithParam<size_t> {};

TEST_P(SecretBoxKeySizeTest, RefusesWrongSize) {
  const TempDir dir;
  WriteFile(dir.File("k"), std::string(GetParam(), 'k'), 0600);
  Result<SecretBox> box = SecretBox::LoadOrCreate(dir.File("k"));
  ASSERT_FALSE(box.has_value());
  EXPECT_EQ(box.error().kind(), ErrorKind::kParse);
  EXPECT_EQ(fs::file_size(dir.File("k")), GetParam());  // never overwritten
}

INSTANTIATE_TEST_SUITE_P(Table, SecretBoxKeySizeTest,
                         testing::Values(0u, 1u, 31u, 33u, 64u, 100u * 1024));

TEST(SecretBoxKeyFileTest, RefusesADirectory) {
  const TempDir dir;
  fs::create_directory(dir.File("k"));
  EXPECT_EQ(SecretBox::LoadOrCreate(dir.File("k")).error().kind(), ErrorKind::kInvalidArgument);
}

TEST(SecretBoxKeyFileTest, RefusesAFifoWithoutHanging) {
  const TempDir dir;
  ASSERT_EQ(mkfifo(dir.File("k").c_str(), 0600), 0);
  EXPECT_EQ(SecretBox::LoadOrCreate(dir.File("k")).error().kind(), ErrorKind::kInvalidArgument);
}

TEST(SecretBoxKeyFileTest, MissingDirectoryIsNotFound) {
  const TempDir dir;
  EXPECT_EQ(SecretBox::LoadOrCreate(dir.File("no/such/dir/k")).error().kind(),
            ErrorKind::kNotFound);
}

TEST(SecretBoxKeyFileTest, RacingCreatorsAgreeOnOneKey) {
  for (int round = 0; round < 10; ++round) {
    const TempDir dir;
    const std::string path = dir.File("k");
    std::vector<std::string> sealed(8);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < sealed.size(); ++i) {
      threads.emplace_back([&, i] {
        Result<SecretBox> box = SecretBox::LoadOrCreate(path);
        if (box) sealed[i] = box->Seal("sk").value();
      });
    }
    for (auto& t : threads) t.join();
    Result<SecretBox> box = SecretBox::LoadOrCreate(path);
    ASSERT_TRUE(box.has_value()) << box.error().ToString();
    for (const std::string& s : sealed) {
      ASSERT_FALSE(s.empty());
      EXPECT_EQ(*box->Open(s), "sk");
    }
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
  }
}

TEST(SecretBoxKeyFileTest, RacingProcessesAgreeOnOneKey) {
  const TempDir dir;
  const std::string path = dir.File("k");
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      Result<SecretBox> box = SecretBox::LoadOrCreate(path);
      std::ofstream(dir.File("sealed" + std::to_string(i))) << (box ? *box->Seal("sk") : "");
      _exit(box ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  const SecretBox box = std::move(SecretBox::LoadOrCreate(path).value());
  for (int i = 0; i < 4; ++i) {
    std::string sealed;
    std::ifstream(dir.File("sealed" + std::to_string(i))) >> sealed;
    EXPECT_EQ(*box.Open(sealed), "sk") << i;
  }
}

}  // namespace
}  // namespace portatlas::api::auth
