#include "api/auth/secrets.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace portatlas::api::auth {
namespace {

bool AllOf(std::string_view s, std::string_view alphabet) {
  return s.find_first_not_of(alphabet) == std::string_view::npos;
}

constexpr std::string_view kUpperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

TEST(SecretsTest, TokenIsPrefixedUrlSafeBase64Of32Bytes) {
  const std::string token = NewToken();
  EXPECT_EQ(token.size(), kTokenChars);
  EXPECT_GE(token.size(), 32u);  // the HSS X-Auth-Token minimum
  EXPECT_TRUE(token.starts_with(kTokenPrefix)) << token;
  EXPECT_TRUE(AllOf(token.substr(kTokenPrefix.size()), kBase64Url)) << token;
}

TEST(SecretsTest, TokensDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(NewToken());
  EXPECT_EQ(seen.size(), 100u);
}

TEST(SecretsTest, HashTokenIsLowerHexSha256) {
  EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string token = NewToken();
  EXPECT_EQ(HashToken(token), HashToken(token));
  EXPECT_NE(HashToken(token), HashToken(token + "x"));
  EXPECT_TRUE(ConstantTimeEquals(HashToken(token), HashToken(token)));
}

TEST(SecretsTest, AccessKeyIs20UpperAlnum) {
  for (int i = 0; i < 50; ++i) {
    const std::string ak = NewAccessKey();
    EXPECT_EQ(ak.size(), kAccessKeyChars);
    EXPECT_TRUE(AllOf(ak, kUpperDigits)) << ak;
  }
}

TEST(SecretsTest, SecretKeyIs40Alnum) {
  for (int i = 0; i < 50; ++i) {
    const std::string sk = NewSecretKey();
    EXPECT_EQ(sk.size(), kSecretKeyChars);
    EXPECT_TRUE(AllOf(sk, kAlnum)) << sk;
  }
}

TEST(SecretsTest, KeysUseTheWholeAlphabet) {
  // 2000 secret keys are 80000 draws from 62 symbols: every symbol shows up unless the
  // generator is broken (chance of a miss by luck is about 62 * e^-1290).
  std::string sks, aks;
  for (int i = 0; i < 2000; ++i) {
    sks += NewSecretKey();
    aks += NewAccessKey();
  }
  for (const char c : kAlnum) EXPECT_NE(sks.find(c), std::string::npos) << c;
  for (const char c : kUpperDigits) EXPECT_NE(aks.find(c), std::string::npos) << c;
  EXPECT_NE(NewAccessKey(), NewAccessKey());
  EXPECT_NE(NewSecretKey(), NewSecretKey());
}

}  // namespace
}  // namespace portatlas::api::auth
