// What the detector does to a match after the probe database has spoken: the service name a
// TLS port goes by, and the corrections of known nmap-service-probes answers that are wrong or
// less than the reply says. Each rule is here, small and tested (detector_refine_test.cc).
#ifndef PORTATLAS_SCAN_DETECT_DETECTOR_REFINE_H_
#define PORTATLAS_SCAN_DETECT_DETECTOR_REFINE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "scan/detect/service_probes.h"

namespace portatlas::scan {

// The name of `service` spoken inside TLS, as nmap-services names the TLS ports: http ->
// https, imap -> imaps, pop3 -> pop3s, smtp -> smtps, ftp -> ftps, ldap -> ldaps, nntp -> nntps,
// irc -> ircs, telnet -> telnets; others "ssl/<service>"; "ssl" and names that already say TLS
// stay. A leading "ssl/" (nmap's way to say TLS in a match line) is dropped first.
std::string TlsServiceName(std::string_view service);

// Corrects `m`, the final match for `port` (tcp or not), in place; `reply` is the response that
// matched. The rules:
//  * MariaDB behind nmap's MySQL lines: product "MySQL", version "5.5.5-10.11.6-MariaDB-0+deb12u1"
//    becomes product "MariaDB", version "10.11.6", info the distribution suffix ("0+deb12u1").
//  * Samba refusing SMB1: nmap's line gives a fixed version (4.6.2) for a refusal that every
//    Samba since 4.11 sends by default; the version is dropped, the info says why.
//  * SMB's name by port: direct SMB (not on 139) is "microsoft-ds", NetBIOS session service on
//    139 "netbios-ssn" (nmap names both netbios-ssn).
//  * NTP: nmap's lines put the protocol ("v4") in the version; it moves to the info. A server
//    with the reference ID 127.127.1.1 (chrony's `local` reference; ntpd's local driver says
//    "LOCL") is named chrony. A chrony synchronised to another server shows nothing of itself
//    and stays "NTP".
void Refine(ServiceMatch& m, uint16_t port, bool tcp, std::span<const uint8_t> reply);

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_DETECT_DETECTOR_REFINE_H_
