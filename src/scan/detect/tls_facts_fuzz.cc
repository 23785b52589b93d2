// libFuzzer target for the certificate facts: arbitrary bytes as a DER certificate (what a TLS
// peer sends); whatever OpenSSL accepts must give a JSON object of printable ASCII.
#include <openssl/x509.h>
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "scan/detect/tls_facts.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const unsigned char* p = data;
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(size));
  if (cert == nullptr) return 0;
  const std::string json = portatlas::scan::TlsFactsJson("TLSv1.3", "TLS_AES_128_GCM_SHA256", cert);
  X509_free(cert);
  for (const char c : json) {
    if (c < 0x20 || c > 0x7e) std::abort();
  }
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("self_signed")) std::abort();
  return 0;
}
