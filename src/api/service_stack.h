// For the API's tests: everything ApiService needs, wired as RunServe wires it, on a SQLite
// store in a temporary directory (removed at destruction): a SecretBox with a fixed key, the
// built-in risk knowledge base, an Ingestor, an Authenticator on the given clock.
#ifndef PORTATLAS_API_SERVICE_STACK_H_
#define PORTATLAS_API_SERVICE_STACK_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api_service.h"
#include "api/auth/secrets.h"
#include "core/check.h"
#include "store/sqlite/temp_sqlite_store.h"

namespace portatlas::api {

class ServiceStack {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  ServiceStack(std::string_view name, WallClock auth_now,
               tasks::TaskHandlers::NowMs task_now = {}) {
    store::TempSqliteStore t = store::OpenTempSqliteStore(name);
    dir_ = std::move(t.dir);
    store_ = std::move(t.store);
    auto box = auth::SecretBox::FromKey(std::string(32, 'k'));
    PA_CHECK(box.has_value());
    box_ = std::make_unique<auth::SecretBox>(std::move(*box));
    auto kb = inventory::RiskKb::BuiltIn();
    PA_CHECK(kb.has_value());
    kb_ = std::move(*kb);
    ingestor_ = std::make_unique<inventory::Ingestor>(*store_, kb_, services_);
    auth_ = std::make_unique<Authenticator>(*store_, *box_, std::move(auth_now));
    service_ = std::make_unique<ApiService>(*store_, *ingestor_, *auth_, std::move(task_now));
  }
  ~ServiceStack() {
    service_.reset();
    auth_.reset();
    ingestor_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  ServiceStack(const ServiceStack&) = delete;
  ServiceStack& operator=(const ServiceStack&) = delete;

  store::Store& store() { return *store_; }
  auth::SecretBox& box() { return *box_; }
  ApiService& service() { return *service_; }
  inventory::Ingestor& ingestor() { return *ingestor_; }

  // A token credential ("id-" + token) of `project` for these enterprise projects.
  Status AddToken(const std::string& token, const std::string& project,
                  std::vector<std::string> eps = {"0"}) {
    store::CredentialRow c;
    c.id = "id-" + token;
    c.project = project;
    c.eps = std::move(eps);
    c.token_hash = auth::HashToken(token);
    return store_->PutCredential(c);
  }

 private:
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<auth::SecretBox> box_;
  inventory::RiskKb kb_;
  inventory::ServicesDb services_;
  std::unique_ptr<inventory::Ingestor> ingestor_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<ApiService> service_;
};

}  // namespace portatlas::api

#endif  // PORTATLAS_API_SERVICE_STACK_H_
