#include "cli/risk_kb_file.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/file.h"

namespace portatlas::cli {

Result<inventory::RiskKb> LoadRiskKb(const std::string& override_path) {
  auto kb = inventory::RiskKb::BuiltIn();
  if (!kb) return kb.error();
  std::string path = override_path;
  if (path.empty() && std::filesystem::exists(kSystemRiskKb)) path = kSystemRiskKb;
  if (path.empty()) return kb;
  auto text = ReadFileCapped(path, 64 << 20);
  if (!text) return text.error().WithContext("risk knowledge base");
  PA_RETURN_IF_ERROR(kb->Overlay(*text, path));
  return kb;
}

}  // namespace portatlas::cli
