#include "scan/pipeline/resume.h"

#include <fmt/format.h>
#include <openssl/sha.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "core/file.h"

namespace portatlas::scan {
namespace {

constexpr size_t kMaxResumeBytes = 4096;

}  // namespace

std::string ScanFingerprint(const TargetSet& targets, const std::vector<uint16_t>& tcp,
                            const std::vector<uint16_t>& udp, std::string_view tcp_engine) {
  std::string text(tcp_engine);
  for (const AddrRange& r : targets.ranges()) text += "|" + RangeToString(r);
  text += "|T";
  for (uint16_t p : tcp) text += fmt::format(",{}", p);
  text += "|U";
  for (uint16_t p : udp) text += fmt::format(",{}", p);
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), d);
  std::string hex;
  for (unsigned char c : d) hex += fmt::format("{:02x}", c);
  return hex;
}

Result<std::optional<ResumePoint>> LoadResume(const std::string& path) {
  if (access(path.c_str(), F_OK) != 0) return std::optional<ResumePoint>();
  PA_ASSIGN_OR_RETURN(text, ReadFileCapped(path, kMaxResumeBytes));
  const auto bad = [&] {
    return InvalidArgument(fmt::format("{} is not a portatlas resume file", path));
  };
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return bad();
  for (const char* k : {"fingerprint", "seed", "tcp_next", "udp_next"}) {
    if (!d.HasMember(k)) return bad();
  }
  if (!d["fingerprint"].IsString() || !d["seed"].IsUint64() || !d["tcp_next"].IsUint64() ||
      !d["udp_next"].IsUint64()) {
    return bad();
  }
  ResumePoint p;
  p.fingerprint = d["fingerprint"].GetString();
  p.seed = d["seed"].GetUint64();
  p.tcp_next = d["tcp_next"].GetUint64();
  p.udp_next = d["udp_next"].GetUint64();
  return std::optional<ResumePoint>(p);
}

Status SaveResume(const std::string& path, const ResumePoint& p) {
  const std::string tmp = path + ".tmp";
  FILE* f = fopen(tmp.c_str(), "w");
  if (f == nullptr) return ErrnoStatus(errno, "write " + tmp);
  fmt::print(f, "{{\"fingerprint\":\"{}\",\"seed\":{},\"tcp_next\":{},\"udp_next\":{}}}\n",
             p.fingerprint, p.seed, p.tcp_next, p.udp_next);
  if (fclose(f) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    return ErrnoStatus(errno, "write " + path);
  }
  return Status::Ok();
}

}  // namespace portatlas::scan
