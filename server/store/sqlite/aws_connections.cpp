// The aws_connections table in SQLite (migration 7). One connection behind a mutex: a handful of
// reads per minute (settings pages, transport lookups are cached above this layer).
#include <mutex>

#include "aws_connections.hpp"
#include "sqlite/connection.hpp"

namespace sesami::store {
namespace {
using sqlite::connection;
using sqlite::reset_guard;
using sqlite::statement;

constexpr const char* select_cols =
    "SELECT workspace, external_id, coalesce(role_arn, ''), coalesce(region, ''), "
    "coalesce(configuration_set, ''), coalesce(queue_url, ''), coalesce(mode, ''), updated_at "
    "FROM aws_connections ";

aws_connection_row row_of(const statement& st) {
  return {std::string(st.text(0)), std::string(st.text(1)),
          std::string(st.text(2)), std::string(st.text(3)),
          std::string(st.text(4)), std::string(st.text(5)),
          std::string(st.text(6)), st.int64(7)};
}

class sqlite_aws_connections final : public aws_connections {
 public:
  explicit sqlite_aws_connections(std::unique_ptr<connection> c) : db_(std::move(c)) {}

  result<aws_connection_row> ensure(std::string_view workspace, std::string_view new_external_id,
                                    std::int64_t now_ms) override {
    {
      std::lock_guard lock(mu_);
      auto s = db_->prepare_static(
          "INSERT OR IGNORE INTO aws_connections (workspace, external_id, updated_at) "
          "VALUES (?, ?, ?)");
      if (!s) return s.error();
      reset_guard g{**s};
      (*s)->bind(1, workspace), (*s)->bind(2, new_external_id), (*s)->bind(3, now_ms);
      if (auto r = sqlite::run(*db_, **s, "cannot create the AWS connection"); !r) return r.error();
    }
    auto row = get(workspace);
    if (!row) return row.error();
    if (!*row) return error{errc::unavailable, "the AWS connection vanished while being created"};
    return std::move(**row);
  }

  result<std::optional<aws_connection_row>> get(std::string_view workspace) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare(std::string(select_cols) + "WHERE workspace = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, workspace);
    const int rc = (*s)->step();
    if (rc == SQLITE_DONE) return std::optional<aws_connection_row>{};
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read the AWS connection");
    return std::optional<aws_connection_row>{row_of(**s)};
  }

  status connect(const aws_connection_row& r) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE aws_connections SET role_arn = ?, region = ?, configuration_set = ?, "
        "queue_url = ?, mode = ?, updated_at = ? WHERE workspace = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind_or_null(1, r.role_arn);
    (*s)->bind_or_null(2, r.region);
    (*s)->bind_or_null(3, r.configuration_set);
    (*s)->bind_or_null(4, r.queue_url);
    (*s)->bind_or_null(5, r.mode);
    (*s)->bind(6, r.updated_at);
    (*s)->bind(7, r.workspace);
    if (auto st = sqlite::run(*db_, **s, "cannot save the AWS connection"); !st) return st;
    if (db_->changes() == 0) return error{errc::not_found, "the workspace has no AWS settings row"};
    return {};
  }

  status disconnect(std::string_view workspace, std::int64_t now_ms) override {
    std::lock_guard lock(mu_);
    auto s = db_->prepare_static(
        "UPDATE aws_connections SET role_arn = NULL, region = NULL, configuration_set = NULL, "
        "queue_url = NULL, mode = NULL, updated_at = ? WHERE workspace = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, now_ms);
    (*s)->bind(2, workspace);
    return sqlite::run(*db_, **s, "cannot remove the AWS connection");
  }

  result<std::vector<aws_connection_row>> connected() override {
    std::lock_guard lock(mu_);
    auto s =
        db_->prepare(std::string(select_cols) + "WHERE role_arn IS NOT NULL ORDER BY workspace");
    if (!s) return s.error();
    reset_guard g{**s};
    std::vector<aws_connection_row> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW) out.push_back(row_of(**s));
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list AWS connections");
    return out;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<connection> db_;
};
}  // namespace

result<std::unique_ptr<aws_connections>> open_sqlite_aws_connections(const std::string& path,
                                                                     int busy_timeout_ms) {
  auto c = sqlite::open_existing(path, busy_timeout_ms);
  if (!c) return c.error();
  return std::unique_ptr<aws_connections>(new sqlite_aws_connections(std::move(*c)));
}

}  // namespace sesami::store
