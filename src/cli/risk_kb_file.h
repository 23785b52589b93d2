// The risk knowledge base as the commands load it: built-in, overlaid by the operator's file
// (`--risk-kb FILE`, or /etc/portatlas/risk_kb.toml when it exists).
#ifndef PORTATLAS_CLI_RISK_KB_FILE_H_
#define PORTATLAS_CLI_RISK_KB_FILE_H_

#include <string>

#include "inventory/risk_kb.h"

namespace portatlas::cli {

inline constexpr const char* kSystemRiskKb = "/etc/portatlas/risk_kb.toml";

// kNotFound for a named file that cannot be read; the parser's error for a malformed one.
Result<inventory::RiskKb> LoadRiskKb(const std::string& override_path);

}  // namespace portatlas::cli

#endif  // PORTATLAS_CLI_RISK_KB_FILE_H_
