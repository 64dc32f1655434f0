// The aws_connections table (migration 3) in PostgreSQL: the semantics of
// sqlite/aws_connections.cpp. A handful of reads per minute on pooled connections.
#include "../aws_connections.hpp"
#include "connection.hpp"

namespace sesami::store {
namespace {
using pg::params;
using pg::rows;

constexpr const char* select_cols =
    "SELECT workspace, external_id, coalesce(role_arn, ''), coalesce(region, ''), "
    "coalesce(configuration_set, ''), coalesce(queue_url, ''), coalesce(mode, ''), updated_at "
    "FROM aws_connections ";

aws_connection_row row_of(const rows& r, int i) {
  return {std::string(r.text(i, 0)), std::string(r.text(i, 1)),
          std::string(r.text(i, 2)), std::string(r.text(i, 3)),
          std::string(r.text(i, 4)), std::string(r.text(i, 5)),
          std::string(r.text(i, 6)), r.int64(i, 7)};
}

params& text_or_null(params& p, std::string_view v) { return v.empty() ? p.null() : p.text(v); }

class pg_aws_connections final : public aws_connections {
 public:
  explicit pg_aws_connections(const std::string& url) : pool_(url, 2) {}

  result<aws_connection_row> ensure(std::string_view workspace, std::string_view new_external_id,
                                    std::int64_t now_ms) override {
    // The first caller's External ID wins: a concurrent insert (another node) is a no-op here.
    auto r = pool_.exec(
        "INSERT INTO aws_connections (workspace, external_id, updated_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (workspace) DO NOTHING",
        params().text(workspace).text(new_external_id).integer(now_ms),
        "cannot create the AWS connection");
    if (!r) return r.error();
    auto row = get(workspace);
    if (!row) return row.error();
    if (!*row) return error{errc::unavailable, "the AWS connection vanished while being created"};
    return std::move(**row);
  }

  result<std::optional<aws_connection_row>> get(std::string_view workspace) override {
    auto r = pool_.exec(std::string(select_cols) + "WHERE workspace = $1", params().text(workspace),
                        "cannot read the AWS connection");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<aws_connection_row>{};
    return std::optional<aws_connection_row>{row_of(*r, 0)};
  }

  status connect(const aws_connection_row& row) override {
    params p;
    text_or_null(p, row.role_arn);
    text_or_null(p, row.region);
    text_or_null(p, row.configuration_set);
    text_or_null(p, row.queue_url);
    text_or_null(p, row.mode);
    p.integer(row.updated_at).text(row.workspace);
    auto r = pool_.exec(
        "UPDATE aws_connections SET role_arn = $1, region = $2, configuration_set = $3, "
        "queue_url = $4, mode = $5, updated_at = $6 WHERE workspace = $7",
        p, "cannot save the AWS connection");
    if (!r) return r.error();
    if (r->affected() == 0) return error{errc::not_found, "the workspace has no AWS settings row"};
    return {};
  }

  status disconnect(std::string_view workspace, std::int64_t now_ms) override {
    auto r = pool_.exec(
        "UPDATE aws_connections SET role_arn = NULL, region = NULL, configuration_set = NULL, "
        "queue_url = NULL, mode = NULL, updated_at = $1 WHERE workspace = $2",
        params().integer(now_ms).text(workspace), "cannot remove the AWS connection");
    if (!r) return r.error();
    return {};
  }

  result<std::vector<aws_connection_row>> connected() override {
    auto r = pool_.exec(std::string(select_cols) + "WHERE role_arn IS NOT NULL ORDER BY workspace",
                        params(), "cannot list AWS connections");
    if (!r) return r.error();
    std::vector<aws_connection_row> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(row_of(*r, i));
    return out;
  }

 private:
  pg::pool pool_;
};
}  // namespace

result<std::unique_ptr<aws_connections>> open_postgres_aws_connections(const std::string& url) {
  auto a = std::make_unique<pg_aws_connections>(url);
  if (auto r = a->connected(); !r) return r.error();  // reachable and migrated
  return std::unique_ptr<aws_connections>(std::move(a));
}

}  // namespace sesami::store
