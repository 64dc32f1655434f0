// The accounts tables in PostgreSQL: the semantics of accounts_sqlite.cpp. Small, rare queries on
// pooled connections; hashes are bytea, sent and read as hex.
#include "../accounts.hpp"
#include "connection.hpp"
#include "pg_store.hpp"

namespace sesami::store {
namespace {
using pg::connection;
using pg::params;
using pg::done;
using pg::rows;

std::string hex(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) out += digits[c >> 4], out += digits[c & 15];
  return out;
}
std::string unhex(std::string_view h) {
  auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out(h.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(v(h[2 * i]) * 16 + v(h[2 * i + 1]));
  return out;
}

class pg_accounts final : public accounts {
 public:
  explicit pg_accounts(const std::string& url) : pool_(url, 4) {}

  result<std::int64_t> user_count() override {
    auto r = pool_.exec("SELECT count(*) FROM users", {}, "cannot count users");
    if (!r) return r.error();
    return r->int64(0, 0);
  }

  status create_user(const user_row& u) override {
    auto r = pool_.exec(
        "INSERT INTO users (id, email, password_hash, created_at, "
        "must_change_password) VALUES ($1, $2, $3, $4, $5)",
        params()
            .text(u.id)
            .text(u.email)
            .text(u.password_hash)
            .integer(u.created_at)
            .text(u.must_change_password ? "true" : "false"),
        "cannot create user");
    if (!r) {
      if (r.error().message.find("23505") != std::string::npos)
        return error{errc::bad_input, "a user with that email exists"};
      return r.error();
    }
    return {};
  }

  result<std::optional<user_row>> user_by_email(std::string_view email) override {
    return user_where(
        "SELECT id, email, password_hash, created_at, must_change_password::int FROM users "
        "WHERE email = $1",
        email);
  }
  result<std::optional<user_row>> user_by_id(std::string_view id) override {
    return user_where(
        "SELECT id, email, password_hash, created_at, must_change_password::int FROM users "
        "WHERE id = $1",
        id);
  }

  status set_password(std::string_view user_id, std::string_view hash) override {
    return done(pool_.exec(
        "UPDATE users SET password_hash = $1, must_change_password = false WHERE id = $2",
        params().text(hash).text(user_id), "cannot set password"));
  }

  result<bool> reset_password(std::string_view user_id, std::string_view hash) override {
    // One statement, so one transaction: the flag and the end of every session of the user.
    auto r = pool_.exec(
        "WITH u AS (UPDATE users SET password_hash = $1, must_change_password = true "
        "WHERE id = $2 RETURNING id), "
        "d AS (DELETE FROM sessions WHERE user_id IN (SELECT id FROM u)) "
        "SELECT count(*) FROM u",
        params().text(hash).text(user_id), "cannot reset password");
    if (!r) return r.error();
    return r->int64(0, 0) > 0;
  }

  status set_membership(const membership_row& m) override {
    return done(
        pool_.exec("INSERT INTO memberships (workspace, user_id, role) VALUES ($1, $2, $3) "
            "ON CONFLICT (workspace, user_id) DO UPDATE SET role = excluded.role",
            params().text(m.workspace).text(m.user_id).text(m.role), "cannot set membership"));
  }

  result<std::vector<membership_row>> memberships_of_user(std::string_view user_id) override {
    return memberships(
        "SELECT workspace, user_id, role FROM memberships WHERE user_id = $1 ORDER BY workspace",
        user_id);
  }
  result<std::vector<membership_row>> members_of(std::string_view workspace) override {
    return memberships(
        "SELECT workspace, user_id, role FROM memberships WHERE workspace = $1 ORDER BY user_id",
        workspace);
  }

  status add_api_key(const api_key_row& k) override {
    return done(
        pool_.exec("INSERT INTO api_keys (hash, id, workspace, role, name, created_at) "
            "VALUES (decode($1, 'hex'), $2, $3, $4, $5, $6)",
            params()
                .text(hex(k.hash))
                .text(k.id)
                .text(k.workspace)
                .text(k.role)
                .text(k.name)
                .integer(k.created_at),
            "cannot add API key"));
  }

  result<std::optional<api_key_row>> api_key_by_hash(std::string_view hash) override {
    auto r =
        pool_.exec("SELECT encode(hash, 'hex'), id, workspace, role, name, created_at FROM api_keys "
            "WHERE hash = decode($1, 'hex')",
            params().text(hex(hash)), "cannot read API key");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<api_key_row>{};
    return std::optional<api_key_row>{key_of(*r, 0)};
  }

  result<std::vector<api_key_row>> api_keys_of(std::string_view workspace) override {
    auto r =
        pool_.exec("SELECT encode(hash, 'hex'), id, workspace, role, name, created_at FROM api_keys "
            "WHERE workspace = $1 ORDER BY created_at, id",
            params().text(workspace), "cannot list API keys");
    if (!r) return r.error();
    std::vector<api_key_row> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(key_of(*r, i));
    return out;
  }

  result<bool> delete_api_key(std::string_view workspace, std::string_view id) override {
    auto r = pool_.exec("DELETE FROM api_keys WHERE workspace = $1 AND id = $2",
                 params().text(workspace).text(id), "cannot delete API key");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  status add_session(const session_row& s) override {
    return done(
        pool_.exec("INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) "
            "VALUES (decode($1, 'hex'), $2, $3, $4, $5)",
            params()
                .text(hex(s.hash))
                .text(s.user_id)
                .text(s.csrf)
                .integer(s.created_at)
                .integer(s.expires_at),
            "cannot add session"));
  }

  result<std::optional<session_row>> session_by_hash(std::string_view hash) override {
    auto r = pool_.exec(
        "SELECT encode(s.hash, 'hex'), s.user_id, s.csrf, s.created_at, s.expires_at, "
        "coalesce(u.must_change_password, false)::int FROM sessions s "
        "LEFT JOIN users u ON u.id = s.user_id WHERE s.hash = decode($1, 'hex')",
        params().text(hex(hash)), "cannot read session");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<session_row>{};
    return std::optional<session_row>{session_row{unhex(r->text(0, 0)), std::string(r->text(0, 1)),
                                                  std::string(r->text(0, 2)), r->int64(0, 3),
                                                  r->int64(0, 4), r->int64(0, 5) != 0}};
  }

  status delete_session(std::string_view hash) override {
    return done(pool_.exec("DELETE FROM sessions WHERE hash = decode($1, 'hex')", params().text(hex(hash)),
                    "cannot delete session"));
  }

  status delete_expired_sessions(std::int64_t now) override {
    return done(pool_.exec("DELETE FROM sessions WHERE expires_at <= $1", params().integer(now),
                    "cannot expire sessions"));
  }

  status set_ingest(const ingest_row& r) override {
    return done(pool_.exec(
        "INSERT INTO ingest_tokens (workspace, token_hash, secret_hash, rotated_at) "
        "VALUES ($1, decode($2, 'hex'), decode($3, 'hex'), $4) ON CONFLICT (workspace) DO UPDATE "
        "SET token_hash = excluded.token_hash, secret_hash = excluded.secret_hash, "
        "rotated_at = excluded.rotated_at",
        params()
            .text(r.workspace)
            .text(hex(r.token_hash))
            .text(hex(r.secret_hash))
            .integer(r.rotated_at),
        "cannot set ingestion token"));
  }

  result<std::optional<ingest_row>> ingest_by_token(std::string_view token_hash) override {
    auto r =
        pool_.exec("SELECT workspace, encode(token_hash, 'hex'), encode(secret_hash, 'hex'), rotated_at "
            "FROM ingest_tokens WHERE token_hash = decode($1, 'hex')",
            params().text(hex(token_hash)), "cannot read ingestion token");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<ingest_row>{};
    return std::optional<ingest_row>{ingest_row{std::string(r->text(0, 0)), unhex(r->text(0, 1)),
                                                unhex(r->text(0, 2)), r->int64(0, 3)}};
  }

  status add_aws_account(std::string_view workspace, std::string_view account_id) override {
    return done(pool_.exec(
        "INSERT INTO aws_accounts (workspace, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        params().text(workspace).text(account_id), "cannot add AWS account"));
  }

  result<std::vector<std::string>> aws_accounts(std::string_view workspace) override {
    auto r = pool_.exec("SELECT account_id FROM aws_accounts WHERE workspace = $1 ORDER BY account_id",
                 params().text(workspace), "cannot list AWS accounts");
    if (!r) return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.emplace_back(r->text(i, 0));
    return out;
  }

 private:
  static api_key_row key_of(const rows& r, int i) {
    return {unhex(r.text(i, 0)),       std::string(r.text(i, 1)), std::string(r.text(i, 2)),
            std::string(r.text(i, 3)), std::string(r.text(i, 4)), r.int64(i, 5)};
  }
  result<std::optional<user_row>> user_where(const char* sql, std::string_view v) {
    auto r = pool_.exec(sql, params().text(v), "cannot read user");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<user_row>{};
    return std::optional<user_row>{user_row{std::string(r->text(0, 0)), std::string(r->text(0, 1)),
                                            std::string(r->text(0, 2)), r->int64(0, 3),
                                            r->int64(0, 4) != 0}};
  }
  result<std::vector<membership_row>> memberships(const char* sql, std::string_view v) {
    auto r = pool_.exec(sql, params().text(v), "cannot list memberships");
    if (!r) return r.error();
    std::vector<membership_row> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back(
          {std::string(r->text(i, 0)), std::string(r->text(i, 1)), std::string(r->text(i, 2))});
    return out;
  }

  pg::pool pool_;
};
}  // namespace

result<std::unique_ptr<accounts>> open_postgres_accounts(const std::string& url) {
  auto a = std::make_unique<pg_accounts>(url);
  if (auto n = a->user_count(); !n) return n.error();  // reachable and migrated
  return std::unique_ptr<accounts>(std::move(a));
}

}  // namespace sesami::store
