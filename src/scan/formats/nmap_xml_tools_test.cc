// NmapXmlWriter's output against nmap's own tools and files: Debian's ndiff reads and compares
// it, it validates against nmap's DTD, and it uses only elements and attributes that real nmap
// 7.93 output uses. Tests skip when a tool is not installed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <pugixml.hpp>
#include <set>

#include "scan/formats/formats_test_util.h"
#include "scan/formats/nmap_xml_writer.h"

namespace portatlas::scan {
namespace {

constexpr const char* kNdiff = "/usr/bin/ndiff";
constexpr const char* kXmllint = "/usr/bin/xmllint";
constexpr const char* kNmapDtd = "/usr/share/nmap/nmap.dtd";

class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "nmapxml.XXXXXX").string();
    PA_CHECK(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string File(std::string_view name, std::string_view content) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// Runs `command` (arguments are scratch paths, no quoting needed) and collects its stdout.
CommandResult Execute(const std::string& command) {
  CommandResult r;
  std::FILE* p = popen((command + " 2>&1").c_str(), "r");
  PA_CHECK(p != nullptr);
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

ScanRecord Open(uint16_t port, std::string service = "", std::string product = "") {
  ScanRecord r;
  r.ip = *ParseIpAddr("198.18.0.1");
  r.port = port;
  r.reason = "syn-ack";
  r.reason_ttl = 64;
  r.updated_at_ms = 1700000003000;
  r.service = std::move(service);
  r.product = std::move(product);
  return r;
}

std::string ScanXml(const std::vector<ScanRecord>& records, int64_t start_s) {
  std::string out;
  NmapXmlWriter w(&out, [](Proto, uint16_t port) -> std::string {
    return port == 22 ? "ssh" : port == 80 ? "http" : "";
  });
  NmapRunHeader h;
  h.args = "portatlas scan -p 1-65535 198.18.0.1";
  h.version = "0.1.0";
  h.start_s = start_s;
  h.scans = {{"syn", Proto::kTcp, {22, 80, 443, 8080}}};
  PA_CHECK(w.Begin(h).ok());
  for (const ScanRecord& r : records) w.AddRecord(r);
  ScanRecord closed = Open(23);
  closed.state = "closed";
  closed.reason = "reset";
  w.AddRecord(closed);
  PA_CHECK(w.End({.end_s = start_s + 9, .elapsed_s = 9, .hosts_up = 1, .hosts_total = 1}).ok());
  return out;
}

TEST(NmapXmlToolsTest, NdiffComparesTwoScans) {
  if (access(kNdiff, X_OK) != 0) GTEST_SKIP() << kNdiff << " is not installed";
  ScratchDir dir;
  const std::string before = dir.File("before.xml", ScanXml({Open(22), Open(80)}, 1700000000));
  const std::string after = dir.File(
      "after.xml", ScanXml({Open(22), Open(8080, "http-proxy", "Apache Tomcat")}, 1700003600));

  const CommandResult same = Execute(std::string(kNdiff) + " " + before + " " + before);
  EXPECT_EQ(same.exit_code, 0) << same.output;

  const CommandResult text = Execute(std::string(kNdiff) + " " + before + " " + after);
  EXPECT_EQ(text.exit_code, 1) << text.output;  // 1: the scans differ
  EXPECT_NE(text.output.find("198.18.0.1"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("-80/tcp"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("+8080/tcp"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("Apache Tomcat"), std::string::npos) << text.output;
  EXPECT_EQ(text.output.find("22/tcp"), std::string::npos) << text.output;  // unchanged

  const CommandResult xml = Execute(std::string(kNdiff) + " --xml " + before + " " + after);
  EXPECT_EQ(xml.exit_code, 1) << xml.output;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.output.c_str())) << xml.output;
  std::set<std::string> changed;  // "a:80", "b:8080": the side on which each port was open
  for (const pugi::xpath_node n : doc.select_nodes("//portdiff/*/port[state]")) {
    changed.insert(std::string(n.parent().name()) + ":" + n.node().attribute("portid").value());
  }
  EXPECT_EQ(changed, (std::set<std::string>{"a:80", "b:8080"})) << xml.output;
}

TEST(NmapXmlToolsTest, ValidatesAgainstNmapsDtd) {
  if (access(kXmllint, X_OK) != 0 || access(kNmapDtd, R_OK) != 0) {
    GTEST_SKIP() << "needs " << kXmllint << " and " << kNmapDtd;
  }
  std::string xml = ScanXml({Open(22), Open(80, "http", "nginx"), Open(443)}, 1700000000);
  // The DTD enumerates one scanner, "nmap"; every other element and attribute must pass as is.
  const std::string ours = "scanner=\"portatlas\"";
  const size_t at = xml.find(ours);
  ASSERT_NE(at, std::string::npos);
  xml.replace(at, ours.size(), "scanner=\"nmap\"");
  ScratchDir dir;
  const CommandResult r = Execute(std::string(kXmllint) + " --noout --dtdvalid " + kNmapDtd + " " +
                                  dir.File("scan.xml", xml));
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n" << xml;
}

// element path -> attribute names, over a whole document.
std::map<std::string, std::set<std::string>> Shape(const pugi::xml_node& root) {
  std::map<std::string, std::set<std::string>> shape;
  struct Walker : pugi::xml_tree_walker {
    std::map<std::string, std::set<std::string>>* shape;
    bool for_each(pugi::xml_node& node) override {
      if (node.type() != pugi::node_element) return true;
      std::string path;
      for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
        path = "/" + std::string(n.name()) + path;
      }
      auto& attrs = (*shape)[path];
      for (const pugi::xml_attribute a : node.attributes()) attrs.insert(a.name());
      return true;
    }
  } walker;
  walker.shape = &shape;
  pugi::xml_node copy = root;
  copy.traverse(walker);
  return shape;
}

TEST(NmapXmlToolsTest, UsesOnlyElementsAndAttributesRealNmapWrites) {
  pugi::xml_document real;
  ASSERT_TRUE(real.load_string(testing::ReadTestdata("nmap-7.93-sv.xml").c_str()));
  pugi::xml_document ours;
  const std::string xml = ScanXml({Open(22), Open(80, "http", "nginx")}, 1700000000);
  ASSERT_TRUE(ours.load_string(xml.c_str()));
  const auto want = Shape(real);
  const auto got = Shape(ours);
  for (const auto& [path, attrs] : got) {
    const auto it = want.find(path);
    ASSERT_NE(it, want.end()) << "nmap writes no " << path;
    for (const std::string& a : attrs) {
      EXPECT_TRUE(it->second.contains(a)) << "nmap writes no " << path << " @" << a;
    }
  }
  // And the other way round for the attributes nmap always writes on what we write.
  for (const char* path :
       {"/nmaprun", "/nmaprun/scaninfo", "/nmaprun/host", "/nmaprun/host/status",
        "/nmaprun/host/address", "/nmaprun/host/ports/port", "/nmaprun/host/ports/port/state",
        "/nmaprun/runstats/finished", "/nmaprun/runstats/hosts"}) {
    ASSERT_TRUE(got.contains(path)) << path;
    EXPECT_EQ(got.at(path), want.at(path)) << path;
  }
}

}  // namespace
}  // namespace portatlas::scan
