// Certificate facts from certificates made here: names with non-ASCII and control characters,
// subject alternative names of each kind, a certificate issued by another.
#include "scan/detect/tls_facts.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <rapidjson/document.h>

#include <string>

namespace portatlas::scan {
namespace {

struct Cert {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  explicit Cert(const std::string& cn) {
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.data()),
                               static_cast<int>(cn.size()), -1, 0);
  }
  ~Cert() {
    X509_free(x);
    EVP_PKEY_free(key);
  }
  void AddSan(const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, value);
    ASSERT_NE(ext, nullptr);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  void SignBy(const Cert& issuer) {
    X509_set_issuer_name(x, X509_get_subject_name(issuer.x));
    X509_sign(x, issuer.key, EVP_sha256());
  }
};

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  for (const char c : json) EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << json;
  return doc;
}

TEST(TlsFactsTest, SelfSignedWithAlternativeNames) {
  Cert c("h1.pa-tb.test");
  c.AddSan("DNS:h1.pa-tb.test,IP:198.18.0.1,IP:2001:2::1,email:ops@pa-tb.test");
  c.SignBy(c);
  const auto doc = Parse(TlsFactsJson("TLSv1.3", "TLS_AES_256_GCM_SHA384", c.x));
  EXPECT_STREQ(doc["version"].GetString(), "TLSv1.3");
  EXPECT_STREQ(doc["cipher"].GetString(), "TLS_AES_256_GCM_SHA384");
  EXPECT_STREQ(doc["subject"].GetString(), "CN=h1.pa-tb.test");
  EXPECT_STREQ(doc["issuer"].GetString(), "CN=h1.pa-tb.test");
  EXPECT_TRUE(doc["self_signed"].GetBool());
  EXPECT_EQ(std::string(doc["not_after"].GetString()).size(), 20u);  // 2026-11-22T10:00:00Z
  EXPECT_EQ(std::string(doc["sha256"].GetString()).size(), 64u);
  ASSERT_TRUE(doc["san"].IsArray());
  ASSERT_EQ(doc["san"].Size(), 4u);
  EXPECT_STREQ(doc["san"][0].GetString(), "DNS:h1.pa-tb.test");
  EXPECT_STREQ(doc["san"][1].GetString(), "IP:198.18.0.1");
  EXPECT_STREQ(doc["san"][2].GetString(), "IP:2001:2::1");
  EXPECT_STREQ(doc["san"][3].GetString(), "email:ops@pa-tb.test");
}

TEST(TlsFactsTest, NonAsciiAndControlCharactersAreEscaped) {
  Cert ca("Zürich CA");
  Cert c(std::string("evil\x01\"name\\", 11));
  c.SignBy(ca);
  const auto doc = Parse(TlsFactsJson("", "", c.x));
  EXPECT_FALSE(doc.HasMember("version"));
  EXPECT_FALSE(doc["self_signed"].GetBool());
  const std::string issuer = doc["issuer"].GetString();
  EXPECT_EQ(issuer.find("Z\\C3\\BCrich"), 3u) << issuer;  // UTF-8 bytes as RFC 2253 escapes
  const std::string subject = doc["subject"].GetString();
  EXPECT_NE(subject.find("\\01"), std::string::npos) << subject;
}

TEST(TlsFactsTest, NoCertificate) {
  const auto doc = Parse(TlsFactsJson("TLSv1.2", "", nullptr));
  EXPECT_STREQ(doc["version"].GetString(), "TLSv1.2");
  EXPECT_FALSE(doc.HasMember("subject"));
}

}  // namespace
}  // namespace portatlas::scan
