#include "scan/detect/detector_refine.h"

#include <gtest/gtest.h>

namespace portatlas::scan {
namespace {

TEST(DetectorRefineTest, TlsServiceNames) {
  EXPECT_EQ(TlsServiceName("http"), "https");
  EXPECT_EQ(TlsServiceName("ssl/http"), "https");
  EXPECT_EQ(TlsServiceName("imap"), "imaps");
  EXPECT_EQ(TlsServiceName("pop3"), "pop3s");
  EXPECT_EQ(TlsServiceName("ssl"), "ssl");
  EXPECT_EQ(TlsServiceName("https"), "https");
  EXPECT_EQ(TlsServiceName("mqtt"), "ssl/mqtt");
  EXPECT_EQ(TlsServiceName("ssl/mqtt"), "ssl/mqtt");
  EXPECT_EQ(TlsServiceName(""), "ssl");
}

TEST(DetectorRefineTest, MariaDbBehindNmapsMysqlLine) {
  ServiceMatch m;
  m.service = "mysql";
  m.product = "MySQL";
  m.version = "5.5.5-10.11.6-MariaDB-0+deb12u1";
  m.cpes = {"cpe:/a:mysql:mysql:5.5.5-10.11.6-MariaDB-0+deb12u1"};
  Refine(m, 3306, true, {});
  EXPECT_EQ(m.product, "MariaDB");
  EXPECT_EQ(m.version, "10.11.6");
  EXPECT_EQ(m.info, "0+deb12u1");
  EXPECT_EQ(m.cpes, (std::vector<std::string>{"cpe:/a:mariadb:mariadb:10.11.6"}));
  // MySQL stays MySQL.
  ServiceMatch my;
  my.service = "mysql";
  my.product = "MySQL";
  my.version = "8.0.36";
  Refine(my, 3306, true, {});
  EXPECT_EQ(my.product, "MySQL");
  EXPECT_EQ(my.version, "8.0.36");
}

TEST(DetectorRefineTest, SambaFixedVersionIsDroppedAndSmbNamedByPort) {
  ServiceMatch m;
  m.service = "netbios-ssn";
  m.product = "Samba smbd";
  m.version = "4.6.2";
  m.probe = "SMBProgNeg";
  m.cpes = {"cpe:/a:samba:samba:4.6.2"};
  ServiceMatch on139 = m;
  Refine(m, 445, true, {});
  EXPECT_EQ(m.service, "microsoft-ds");
  EXPECT_TRUE(m.version.empty());
  EXPECT_NE(m.info.find("not disclosed"), std::string::npos);
  EXPECT_EQ(m.cpes, (std::vector<std::string>{"cpe:/a:samba:samba"}));
  Refine(on139, 139, true, {});
  EXPECT_EQ(on139.service, "netbios-ssn");
  // A version from another probe's reply is kept.
  ServiceMatch other = on139;
  other.version = "4.6.2";
  other.probe = "SMBNegotiateSession";
  Refine(other, 139, true, {});
  EXPECT_EQ(other.version, "4.6.2");
}

}  // namespace
}  // namespace portatlas::scan
