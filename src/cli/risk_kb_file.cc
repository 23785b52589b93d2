#include "cli/risk_kb_file.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace portatlas::cli {

Result<inventory::RiskKb> LoadRiskKb(const std::string& override_path) {
  auto kb = inventory::RiskKb::BuiltIn();
  if (!kb) return kb.error();
  std::string path = override_path;
  if (path.empty() && std::filesystem::exists(kSystemRiskKb)) path = kSystemRiskKb;
  if (path.empty()) return kb;
  std::ifstream in(path);
  if (!in) return NotFound(fmt::format("cannot read risk knowledge base {}", path));
  std::stringstream text;
  text << in.rdbuf();
  PA_RETURN_IF_ERROR(kb->Overlay(text.str(), path));
  return kb;
}

}  // namespace portatlas::cli
