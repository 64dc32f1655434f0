// The accounts tables in PostgreSQL: the semantics of sqlite/accounts.cpp. Small, rare queries on
// pooled connections; hashes are bytea, sent and read as hex.
#include "../accounts.hpp"
#include "connection.hpp"
#include "pg_store.hpp"

namespace sesami::store {
namespace {
using pg::connection;
using pg::done;
using pg::in_transaction;
using pg::params;
using pg::rows;

// When a membership was joined, in ms (the first joined is a user's default workspace).
#define NOW_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
#define INVITATION_COLUMNS                                                                 \
  "SELECT id, encode(token_hash, 'hex'), workspace, email, role, invited_by, created_at, " \
  "expires_at FROM invitations"

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
        pool_.exec("INSERT INTO memberships (workspace, user_id, role, joined_at) "
                   "VALUES ($1, $2, $3, " NOW_MS ") "
                   "ON CONFLICT (workspace, user_id) DO UPDATE SET role = excluded.role",
                   params().text(m.workspace).text(m.user_id).text(m.role),
                   "cannot set membership"));
  }

  result<bool> add_membership(const membership_row& m) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    return insert_membership(**c, m);
  }

  result<member_change> change_member(const membership_row& m, std::string_view expected) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    member_change out = member_change::done;
    auto r = in_transaction(**c, [&]() -> status {
      // FOR UPDATE locks the workspace's memberships: two owners demoting each other at once are
      // serialised, and the second sees the first's change (no workspace left without owners).
      auto all = (*c)->exec("SELECT user_id, role FROM memberships WHERE workspace = $1 FOR UPDATE",
                            params().text(m.workspace), "cannot read memberships");
      if (!all) return all.error();
      std::string current;
      bool found = false;
      int owners = 0;
      for (int i = 0; i < all->size(); ++i) {
        if (all->text(i, 1) == "owner") ++owners;
        if (all->text(i, 0) == m.user_id) found = true, current = std::string(all->text(i, 1));
      }
      out = decide_member_change(found, current, expected, m.role, owners);
      if (out != member_change::done) return {};
      if (m.role.empty())
        return done((*c)->exec("DELETE FROM memberships WHERE workspace = $1 AND user_id = $2",
                               params().text(m.workspace).text(m.user_id),
                               "cannot remove membership"));
      return done((*c)->exec(
          "UPDATE memberships SET role = $3 WHERE workspace = $1 AND user_id = $2",
          params().text(m.workspace).text(m.user_id).text(m.role), "cannot change membership"));
    });
    if (!r) return r.error();
    return out;
  }

  result<std::vector<membership_row>> memberships_of_user(std::string_view user_id) override {
    return memberships(
        "SELECT workspace, user_id, role FROM memberships WHERE user_id = $1 "
        "ORDER BY joined_at, workspace",
        user_id);
  }
  result<std::vector<membership_row>> members_of(std::string_view workspace) override {
    return memberships(
        "SELECT workspace, user_id, role FROM memberships WHERE workspace = $1 ORDER BY user_id",
        workspace);
  }

  static constexpr std::string_view key_columns =
      "SELECT encode(hash, 'hex'), id, workspace, role, name, created_at, scope, "
      "coalesce(access_key_id, ''), secret_sealed, expires_at, last_used_at, revoked_at "
      "FROM api_keys ";

  status add_api_key(const api_key_row& k) override {
    return done(
        pool_.exec("INSERT INTO api_keys (hash, id, workspace, role, name, created_at, "
                   "scope, access_key_id, secret_sealed, expires_at) "
                   "VALUES (decode($1, 'hex'), $2, $3, $4, $5, $6, $7, NULLIF($8, ''), "
                   "$9, $10)",
                   params()
                       .text(hex(k.hash))
                       .text(k.id)
                       .text(k.workspace)
                       .text(k.role)
                       .text(k.name)
                       .integer(k.created_at)
                       .text(k.scope)
                       .text(k.access_key_id)
                       .text(k.secret_sealed)
                       .integer(k.expires_at),
                   "cannot add API key"));
  }

  result<std::optional<api_key_row>> api_key_by_hash(std::string_view hash) override {
    return one_key("WHERE hash = decode($1, 'hex')", hex(hash));
  }
  result<std::optional<api_key_row>> api_key_by_access_key(std::string_view id) override {
    return one_key("WHERE access_key_id = $1", id);
  }

  result<std::vector<api_key_row>> api_keys_of(std::string_view workspace) override {
    auto r = pool_.exec(std::string(key_columns) + "WHERE workspace = $1 ORDER BY created_at, id",
                        params().text(workspace), "cannot list API keys");
    if (!r) return r.error();
    std::vector<api_key_row> out;
    for (int i = 0; i < r->size(); ++i) out.push_back(key_of(*r, i));
    return out;
  }

  result<bool> revoke_api_key(std::string_view workspace, std::string_view id,
                              std::int64_t now) override {
    auto r = pool_.exec(
        "UPDATE api_keys SET revoked_at = $3 WHERE workspace = $1 AND id = $2 AND revoked_at = 0",
        params().text(workspace).text(id).integer(now), "cannot revoke API key");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  status touch_api_key(std::string_view id, std::int64_t at) override {
    return done(
        pool_.exec("UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND last_used_at < $2",
                   params().text(id).integer(at), "cannot record the API key's use"));
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
    return done(pool_.exec("DELETE FROM sessions WHERE hash = decode($1, 'hex')",
                           params().text(hex(hash)), "cannot delete session"));
  }

  status delete_expired_sessions(std::int64_t now) override {
    return done(pool_.exec("DELETE FROM sessions WHERE expires_at <= $1", params().integer(now),
                           "cannot expire sessions"));
  }

  status delete_other_sessions(std::string_view user_id, std::string_view keep_hash) override {
    return done(pool_.exec("DELETE FROM sessions WHERE user_id = $1 AND hash <> decode($2, 'hex')",
                           params().text(user_id).text(hex(keep_hash)), "cannot end sessions"));
  }

  status add_invitation(const invitation_row& i) override {
    auto r = pool_.exec(
        "INSERT INTO invitations (id, token_hash, workspace, email, role, invited_by, created_at, "
        "expires_at) VALUES ($1, decode($2, 'hex'), $3, $4, $5, $6, $7, $8)",
        params()
            .text(i.id)
            .text(hex(i.token_hash))
            .text(i.workspace)
            .text(i.email)
            .text(i.role)
            .text(i.invited_by)
            .integer(i.created_at)
            .integer(i.expires_at),
        "cannot add invitation");
    if (!r) {
      if (r.error().message.find("23505") != std::string::npos)
        return error{errc::bad_input, "that email has a pending invitation to this workspace"};
      return r.error();
    }
    return {};
  }

  result<std::vector<invitation_row>> invitations_of(std::string_view workspace) override {
    return invitations(INVITATION_COLUMNS " WHERE workspace = $1 ORDER BY created_at, id",
                       params().text(workspace));
  }
  result<std::vector<invitation_row>> invitations_for(std::string_view email) override {
    return invitations(INVITATION_COLUMNS " WHERE email = $1 ORDER BY created_at, id",
                       params().text(email));
  }
  result<std::optional<invitation_row>> invitation_by_id(std::string_view id) override {
    return first(invitations(INVITATION_COLUMNS " WHERE id = $1", params().text(id)));
  }
  result<std::optional<invitation_row>> invitation_by_token(std::string_view hash) override {
    return first(invitations(INVITATION_COLUMNS " WHERE token_hash = decode($1, 'hex')",
                             params().text(hex(hash))));
  }

  result<bool> delete_invitation(std::string_view id) override {
    auto r = pool_.exec("DELETE FROM invitations WHERE id = $1", params().text(id),
                        "cannot delete invitation");
    if (!r) return r.error();
    return r->affected() > 0;
  }

  status delete_expired_invitations(std::int64_t now) override {
    return done(pool_.exec("DELETE FROM invitations WHERE expires_at <= $1", params().integer(now),
                           "cannot expire invitations"));
  }

  result<std::optional<membership_row>> accept_invitation(std::string_view id,
                                                          std::string_view user_id,
                                                          const user_row* new_user) override {
    auto c = pool_.acquire();
    if (!c) return c.error();
    std::optional<membership_row> out;
    auto r = in_transaction(**c, [&]() -> status {
      // The DELETE takes the row: of two concurrent acceptances only one gets it back.
      auto inv = (*c)->exec("DELETE FROM invitations WHERE id = $1 RETURNING workspace, role",
                            params().text(id), "cannot consume invitation");
      if (!inv) return inv.error();
      if (inv->size() == 0) return {};
      membership_row m{std::string(inv->text(0, 0)), std::string(user_id),
                       std::string(inv->text(0, 1))};
      if (new_user) {
        auto u = (*c)->exec(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)",
            params()
                .text(new_user->id)
                .text(new_user->email)
                .text(new_user->password_hash)
                .integer(new_user->created_at),
            "cannot create user");
        if (!u) {
          if (u.error().message.find("23505") != std::string::npos)
            return error{errc::bad_input, "a user with that email exists"};
          return u.error();
        }
      }
      if (auto a = insert_membership(**c, m); !a) return a.error();
      out = std::move(m);
      return {};
    });
    if (!r) return r.error();
    return out;
  }

  status set_ingest(const ingest_row& r) override {
    // On rotation the replaced token and secret become previous_*, in the one statement.
    return done(pool_.exec(
        "INSERT INTO ingest_tokens (workspace, token_hash, secret_hash, rotated_at, token_sealed, "
        "secret_sealed) VALUES ($1, decode($2, 'hex'), decode($3, 'hex'), $4, $5, $6) "
        "ON CONFLICT (workspace) DO UPDATE SET "
        "previous_token_hash = ingest_tokens.token_hash, "
        "previous_secret_hash = ingest_tokens.secret_hash, token_hash = excluded.token_hash, "
        "secret_hash = excluded.secret_hash, rotated_at = excluded.rotated_at, "
        "token_sealed = excluded.token_sealed, secret_sealed = excluded.secret_sealed",
        params()
            .text(r.workspace)
            .text(hex(r.token_hash))
            .text(hex(r.secret_hash))
            .integer(r.rotated_at)
            .text(r.token_sealed)
            .text(r.secret_sealed),
        "cannot set ingestion token"));
  }

  result<std::optional<ingest_row>> ingest_by_token(std::string_view token_hash) override {
    return read_ingest("token_hash = decode($1, 'hex') OR previous_token_hash = decode($1, 'hex')",
                       hex(token_hash));
  }

  result<std::optional<ingest_row>> ingest_of(std::string_view workspace) override {
    return read_ingest("workspace = $1", std::string(workspace));
  }

  result<std::optional<ingest_row>> read_ingest(const std::string& where, const std::string& key) {
    auto r = pool_.exec(
        "SELECT workspace, encode(token_hash, 'hex'), encode(secret_hash, 'hex'), rotated_at, "
        "token_sealed, secret_sealed, encode(coalesce(previous_token_hash, ''::bytea), 'hex'), "
        "encode(coalesce(previous_secret_hash, ''::bytea), 'hex') FROM ingest_tokens WHERE " +
            where,
        params().text(key), "cannot read ingestion token");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<ingest_row>{};
    return std::optional<ingest_row>{
        ingest_row{std::string(r->text(0, 0)), unhex(r->text(0, 1)), unhex(r->text(0, 2)),
                   r->int64(0, 3), std::string(r->text(0, 4)), std::string(r->text(0, 5)),
                   unhex(r->text(0, 6)), unhex(r->text(0, 7))}};
  }

  status add_aws_account(std::string_view workspace, std::string_view account_id) override {
    return done(pool_.exec(
        "INSERT INTO aws_accounts (workspace, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        params().text(workspace).text(account_id), "cannot add AWS account"));
  }

  result<std::vector<std::string>> aws_accounts(std::string_view workspace) override {
    auto r =
        pool_.exec("SELECT account_id FROM aws_accounts WHERE workspace = $1 ORDER BY account_id",
                   params().text(workspace), "cannot list AWS accounts");
    if (!r) return r.error();
    std::vector<std::string> out;
    for (int i = 0; i < r->size(); ++i) out.emplace_back(r->text(i, 0));
    return out;
  }

 private:
  static result<bool> insert_membership(connection& c, const membership_row& m) {
    auto r = c.exec(
        "INSERT INTO memberships (workspace, user_id, role, joined_at) VALUES ($1, $2, $3, " NOW_MS
        ") ON CONFLICT (workspace, user_id) DO NOTHING",
        params().text(m.workspace).text(m.user_id).text(m.role), "cannot add membership");
    if (!r) return r.error();
    return r->affected() > 0;
  }
  result<std::vector<invitation_row>> invitations(const char* sql, const params& p) {
    auto r = pool_.exec(sql, p, "cannot read invitations");
    if (!r) return r.error();
    std::vector<invitation_row> out;
    for (int i = 0; i < r->size(); ++i)
      out.push_back({std::string(r->text(i, 0)), unhex(r->text(i, 1)), std::string(r->text(i, 2)),
                     std::string(r->text(i, 3)), std::string(r->text(i, 4)),
                     std::string(r->text(i, 5)), r->int64(i, 6), r->int64(i, 7)});
    return out;
  }
  static result<std::optional<invitation_row>> first(result<std::vector<invitation_row>> r) {
    if (!r) return r.error();
    if (r->empty()) return std::optional<invitation_row>{};
    return std::optional<invitation_row>{std::move(r->front())};
  }
  static api_key_row key_of(const rows& r, int i) {
    return {unhex(r.text(i, 0)),
            std::string(r.text(i, 1)),
            std::string(r.text(i, 2)),
            std::string(r.text(i, 3)),
            std::string(r.text(i, 4)),
            r.int64(i, 5),
            std::string(r.text(i, 6)),
            std::string(r.text(i, 7)),
            std::string(r.text(i, 8)),
            r.int64(i, 9),
            r.int64(i, 10),
            r.int64(i, 11)};
  }
  result<std::optional<api_key_row>> one_key(std::string_view where, std::string_view v) {
    auto r = pool_.exec(std::string(key_columns) + std::string(where), params().text(v),
                        "cannot read API key");
    if (!r) return r.error();
    if (r->size() == 0) return std::optional<api_key_row>{};
    return std::optional<api_key_row>{key_of(*r, 0)};
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
