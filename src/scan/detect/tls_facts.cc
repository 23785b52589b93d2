#include "scan/detect/tls_facts.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <ctime>
#include <string_view>

#include "core/json_writer.h"

namespace portatlas::scan {
namespace {

using Writer = JsonWriter;

void Str(Writer& w, const char* key, std::string_view value) {
  if (value.empty()) return;
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

std::string NameText(const X509_NAME* name) {
  if (name == nullptr) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);  // bytes over 0x7f escaped: ASCII out
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string text(data, n > 0 ? static_cast<size_t>(std::min<long>(n, 1024)) : 0);
  BIO_free(bio);
  for (char& c : text) {
    if (c < 0x20 || c > 0x7e) c = '?';  // RFC 2253 escaping leaves none; a guard all the same
  }
  return text;
}

std::string TimeText(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "";
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void SubjectAltNames(Writer& w, X509* cert) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return;
  w.Key("san");
  w.StartArray();
  const int n = sk_GENERAL_NAME_num(names);
  for (int i = 0; i < n && i < 64; ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    std::string text;
    if (g->type == GEN_DNS || g->type == GEN_EMAIL || g->type == GEN_URI) {
      const ASN1_IA5STRING* s = g->d.ia5;
      const std::string_view prefix = g->type == GEN_DNS     ? "DNS:"
                                      : g->type == GEN_EMAIL ? "email:"
                                                             : "URI:";
      text = std::string(prefix) +
             std::string(reinterpret_cast<const char*>(s->data), static_cast<size_t>(s->length));
    } else if (g->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = g->d.ip;
      char buf[64] = {};
      if (s->length == 4) {
        inet_ntop(AF_INET, s->data, buf, sizeof(buf));
      } else if (s->length == 16) {
        inet_ntop(AF_INET6, s->data, buf, sizeof(buf));
      }
      if (buf[0] != '\0') text = std::string("IP:") + buf;
    }
    // Only printable ASCII goes into the JSON text.
    bool printable = !text.empty();
    for (char c : text) printable = printable && c >= 0x20 && c < 0x7f;
    if (printable) w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  }
  w.EndArray();
  GENERAL_NAMES_free(names);
}

}  // namespace

SslCtxPtr NewDetectionTlsContext() {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_min_proto_version(ctx.get(), 0);  // the lowest this OpenSSL has
  SSL_CTX_set_options(ctx.get(), SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET);
  SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  return ctx;
}

std::string TlsFactsJson(SSL* ssl) {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  X509* cert = SSL_get1_peer_certificate(ssl);
  std::string json = TlsFactsJson(SSL_get_version(ssl),
                                  cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "", cert);
  X509_free(cert);
  return json;
}

std::string TlsFactsJson(std::string_view version, std::string_view cipher, X509* cert) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "version", version);
  Str(w, "cipher", cipher);
  if (cert != nullptr) {
    const std::string subject = NameText(X509_get_subject_name(cert));
    const std::string issuer = NameText(X509_get_issuer_name(cert));
    Str(w, "subject", subject);
    Str(w, "issuer", issuer);
    Str(w, "not_before", TimeText(X509_get0_notBefore(cert)));
    Str(w, "not_after", TimeText(X509_get0_notAfter(cert)));
    w.Key("self_signed");
    w.Bool(X509_check_issued(cert, cert) == X509_V_OK);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) {
      std::string hex;
      for (unsigned i = 0; i < md_len; ++i) hex += fmt::format("{:02x}", md[i]);
      Str(w, "sha256", hex);
    }
    SubjectAltNames(w, cert);
  }
  w.EndObject();
  return buf.GetString();
}

}  // namespace portatlas::scan
