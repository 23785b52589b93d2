#include "cli/token_command.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "api/auth/secrets.h"
#include "api/http.h"
#include "cli/data_dir.h"
#include "cli/exit_code.h"
#include "cli/log_flags.h"
#include "core/json_writer.h"
#include "core/log.h"

namespace portatlas::cli {
namespace {

struct TokenArgs {
  std::string data_dir = kDefaultDataDir;
  std::string project;
  std::vector<std::string> eps;
  bool aksk = false;
  std::string id;
};

using Writer = JsonWriter;

void Str(Writer& w, const char* k, std::string_view v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

void Print(const rapidjson::StringBuffer& buf) { fmt::print("{}\n", buf.GetString()); }

int Fail(const Status& st) {
  logging::Logger().error("{}", st.ToString());
  return st.kind() == ErrorKind::kInvalidArgument ? 2 : 1;
}

Status CheckName(std::string_view what, std::string_view v) {
  if (v.empty() || v.size() > 64)
    return InvalidArgument(fmt::format("{} must have 1-64 characters", what));
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return InvalidArgument(fmt::format("{} may hold only A-Z a-z 0-9 . _ -", what));
  }
  return Status::Ok();
}

int Create(const TokenArgs& a) {
  Status st = CheckName("--project", a.project);
  for (const std::string& e : a.eps) {
    if (st.ok() && e != "0") st = CheckName("--enterprise-project", e);
  }
  if (!st.ok()) return Fail(st);
  auto dir = OpenDataDir(a.data_dir, "");
  if (!dir) return Fail(dir.error());
  store::CredentialRow c;
  c.project = a.project;
  c.eps = a.eps.empty() ? std::vector<std::string>{"0"} : a.eps;
  c.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  Str(w, "project", c.project);
  if (a.aksk) {
    c.kind = store::CredentialKind::kAkSk;
    c.id = "ak_" + api::NewRequestId().substr(0, 16);
    c.access_key = api::auth::NewAccessKey();
    const std::string sk = api::auth::NewSecretKey();
    auto sealed = dir->box.Seal(sk, c.access_key);
    if (!sealed) return Fail(sealed.error());
    c.sealed_sk = std::move(*sealed);
    Str(w, "ak", c.access_key);
    Str(w, "sk", sk);
  } else {
    c.id = "tok_" + api::NewRequestId().substr(0, 16);
    const std::string token = api::auth::NewToken();
    c.token_hash = api::auth::HashToken(token);
    Str(w, "token", token);
  }
  Str(w, "id", c.id);
  w.Key("enterprise_projects");
  w.StartArray();
  for (const std::string& e : c.eps) w.String(e.c_str());
  w.EndArray();
  w.EndObject();
  if (Status put = dir->store->PutCredential(c); !put.ok()) return Fail(put);
  Print(buf);  // the secret is shown once, here, and never stored or logged in clear
  return 0;
}

int List(const TokenArgs& a) {
  auto dir = OpenDataDir(a.data_dir, "");
  if (!dir) return Fail(dir.error());
  auto all = dir->store->ListCredentials();
  if (!all) return Fail(all.error());
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const store::CredentialRow& c : *all) {
    w.StartObject();
    Str(w, "id", c.id);
    Str(w, "kind", c.kind == store::CredentialKind::kToken ? "token" : "aksk");
    Str(w, "project", c.project);
    if (c.kind == store::CredentialKind::kAkSk) Str(w, "ak", c.access_key);
    w.Key("enterprise_projects");
    w.StartArray();
    for (const std::string& e : c.eps) w.String(e.c_str());
    w.EndArray();
    w.Key("created");
    w.Int64(c.created_ms);
    w.Key("revoked");
    w.Bool(c.revoked);
    w.EndObject();
  }
  w.EndArray();
  Print(buf);
  return 0;
}

int Revoke(const TokenArgs& a) {
  auto dir = OpenDataDir(a.data_dir, "");
  if (!dir) return Fail(dir.error());
  if (Status st = dir->store->RevokeCredential(a.id); !st.ok()) return Fail(st);
  fmt::print("{{\"revoked\": \"{}\"}}\n", a.id);
  return 0;
}

void Run(int rc) { ExitCode() = rc; }

}  // namespace

void AddTokenCommand(CLI::App& app) {
  auto args = std::make_shared<TokenArgs>();
  CLI::App* cmd = app.add_subcommand("token", "Create, list and revoke API credentials");
  cmd->require_subcommand(1);
  auto add_dir = [&](CLI::App* sub) {
    sub->add_option("--data-dir", args->data_dir, "Server data directory")->capture_default_str();
  };
  CLI::App* create = cmd->add_subcommand(
      "create", "New X-Auth-Token (or, with --aksk, an AK/SK pair); prints it once as JSON");
  add_dir(create);
  create->add_option("--project", args->project, "Project the credential belongs to")->required();
  create->add_option("--enterprise-project", args->eps,
                     "Enterprise project it is granted (repeatable; default \"0\")");
  create->add_flag("--aksk", args->aksk, "Create an access key / secret key pair");
  create->callback([args] {
    StartLogging("token", false);
    Run(Create(*args));
  });
  CLI::App* list = cmd->add_subcommand("list", "List credentials (never their secrets)");
  add_dir(list);
  list->callback([args] {
    StartLogging("token", false);
    Run(List(*args));
  });
  CLI::App* revoke = cmd->add_subcommand("revoke", "Revoke a credential by id");
  add_dir(revoke);
  revoke->add_option("id", args->id, "Credential id (from create or list)")->required();
  revoke->callback([args] {
    StartLogging("token", false);
    Run(Revoke(*args));
  });
}

}  // namespace portatlas::cli
