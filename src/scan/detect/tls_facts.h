// TLS for service detection: a client context that talks to anything (no verification, every
// protocol version OpenSSL still has, security level 0: an inventory wants to see the old and
// the broken too), and the facts of an established session as the compact JSON object that a
// ScanRecord's `tls` field carries:
//
//   {"version":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384","subject":"CN=h1.pa-tb.test",
//    "issuer":"CN=h1.pa-tb.test","not_before":"2026-11-21T10:00:00Z",
//    "not_after":"2027-11-21T10:00:00Z","self_signed":true,"sha256":"<hex of the DER>",
//    "san":["DNS:h1.pa-tb.test"]}
//
// Names are RFC 2253 strings; times UTC; fields the peer did not give are left out.
#ifndef PORTATLAS_SCAN_DETECT_TLS_FACTS_H_
#define PORTATLAS_SCAN_DETECT_TLS_FACTS_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

namespace portatlas::scan {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// nullptr only when OpenSSL cannot make a context at all.
SslCtxPtr NewDetectionTlsContext();

// The facts of the session on `ssl` (after a finished handshake) as a JSON object.
std::string TlsFactsJson(SSL* ssl);

// The same from parts: the protocol version and cipher names ("" to leave out) and the peer's
// certificate (nullptr: none). Printable ASCII whatever the certificate holds (names escaped as
// RFC 2253 does, other SAN entries dropped).
std::string TlsFactsJson(std::string_view version, std::string_view cipher, X509* cert);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_DETECT_TLS_FACTS_H_
