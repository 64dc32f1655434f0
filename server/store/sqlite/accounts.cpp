// The accounts tables in SQLite. One connection behind a mutex: these are small, rare queries
// (the hot ones — ingest token and API key lookups — are cached by the auth use case).
#include <mutex>

#include "accounts.hpp"
#include "sqlite/connection.hpp"

namespace sesami::store {
namespace {
using sqlite::connection;
using sqlite::reset_guard;
using sqlite::statement;

// Milliseconds since the epoch, in SQL: when a membership was joined (the first joined is a user's
// default workspace).
#define NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
#define INVITATION_COLUMNS                                                                  \
  "SELECT id, token_hash, workspace, email, role, invited_by, created_at, expires_at FROM " \
  "invitations"

class sqlite_accounts final : public accounts {
 public:
  explicit sqlite_accounts(std::unique_ptr<connection> c) : db_(std::move(c)) {}

  result<std::int64_t> user_count() override {
    std::lock_guard lock(mu_);
    auto s = prep("SELECT count(*) FROM users");
    if (!s) return s.error();
    reset_guard g{**s};
    const int rc = (*s)->step();
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot count users");
    return (*s)->int64(0);
  }

  status create_user(const user_row& u) override {
    std::lock_guard lock(mu_);
    return insert_user(u);
  }

  result<std::optional<user_row>> user_by_email(std::string_view email) override {
    return user_where(
        "SELECT id, email, password_hash, created_at, must_change_password FROM users "
        "WHERE email = ?",
        email);
  }
  result<std::optional<user_row>> user_by_id(std::string_view id) override {
    return user_where(
        "SELECT id, email, password_hash, created_at, must_change_password FROM users WHERE id = ?",
        id);
  }

  status set_password(std::string_view user_id, std::string_view hash) override {
    return exec2("UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?", hash,
                 user_id, "cannot set password");
  }

  result<bool> reset_password(std::string_view user_id, std::string_view hash) override {
    std::lock_guard lock(mu_);
    bool found = false;
    auto r = sqlite::in_transaction(*db_, [&]() -> status {
      auto s = prep("UPDATE users SET password_hash = ?, must_change_password = 1 WHERE id = ?");
      if (!s) return s.error();
      {
        reset_guard g{**s};
        (*s)->bind(1, hash), (*s)->bind(2, user_id);
        if (auto x = sqlite::run(*db_, **s, "cannot reset password"); !x) return x;
      }
      found = db_->changes() > 0;
      auto d = prep("DELETE FROM sessions WHERE user_id = ?");
      if (!d) return d.error();
      reset_guard g{**d};
      (*d)->bind(1, user_id);
      return sqlite::run(*db_, **d, "cannot end the user's sessions");
    });
    if (!r) return r.error();
    return found;
  }

  status set_membership(const membership_row& m) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "INSERT INTO memberships (workspace, user_id, role, joined_at) VALUES (?, ?, ?, " NOW_MS
        ") ON CONFLICT (workspace, user_id) DO UPDATE SET role = excluded.role");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, m.workspace), (*s)->bind(2, m.user_id), (*s)->bind(3, m.role);
    return sqlite::run(*db_, **s, "cannot set membership");
  }

  result<bool> add_membership(const membership_row& m) override {
    std::lock_guard lock(mu_);
    return insert_membership(m);
  }

  result<member_change> change_member(const membership_row& m, std::string_view expected) override {
    std::lock_guard lock(mu_);
    member_change out = member_change::done;
    // BEGIN IMMEDIATE: the check and the change see and make one state, even across processes.
    auto r = sqlite::in_transaction(*db_, [&]() -> status {
      auto s = prep("SELECT user_id, role FROM memberships WHERE workspace = ?");
      if (!s) return s.error();
      std::string current;
      bool found = false;
      int owners = 0, rc;
      {
        reset_guard g{**s};
        (*s)->bind(1, m.workspace);
        while ((rc = (*s)->step()) == SQLITE_ROW) {
          if ((*s)->text(1) == "owner") ++owners;
          if ((*s)->text(0) == m.user_id) found = true, current = std::string((*s)->text(1));
        }
        if (rc != SQLITE_DONE) return db_->fail(rc, "cannot read memberships");
      }
      out = decide_member_change(found, current, expected, m.role, owners);
      if (out != member_change::done) return {};
      auto w = prep(m.role.empty()
                        ? "DELETE FROM memberships WHERE workspace = ?1 AND user_id = ?2"
                        : "UPDATE memberships SET role = ?3 WHERE workspace = ?1 AND user_id = ?2");
      if (!w) return w.error();
      reset_guard g{**w};
      (*w)->bind(1, m.workspace), (*w)->bind(2, m.user_id);
      if (!m.role.empty()) (*w)->bind(3, m.role);
      return sqlite::run(*db_, **w, "cannot change membership");
    });
    if (!r) return r.error();
    return out;
  }

  result<std::vector<membership_row>> memberships_of_user(std::string_view user_id) override {
    return memberships(
        "SELECT workspace, user_id, role FROM memberships WHERE user_id = ? "
        "ORDER BY joined_at, workspace",
        user_id);
  }
  result<std::vector<membership_row>> members_of(std::string_view workspace) override {
    return memberships(
        "SELECT workspace, user_id, role FROM memberships WHERE workspace = ? "
        "ORDER BY user_id",
        workspace);
  }

  static constexpr const char* key_columns =
      "SELECT hash, id, workspace, role, name, created_at, scope, coalesce(access_key_id, ''), "
      "secret_sealed, expires_at, last_used_at, revoked_at FROM api_keys ";

  status add_api_key(const api_key_row& k) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "INSERT INTO api_keys (hash, id, workspace, role, name, created_at, scope, access_key_id, "
        "secret_sealed, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind_blob(1, k.hash), (*s)->bind(2, k.id), (*s)->bind(3, k.workspace);
    (*s)->bind(4, k.role), (*s)->bind(5, k.name), (*s)->bind(6, k.created_at);
    (*s)->bind(7, k.scope), (*s)->bind_or_null(8, k.access_key_id);
    (*s)->bind(9, k.secret_sealed), (*s)->bind(10, k.expires_at);
    return sqlite::run(*db_, **s, "cannot add API key");
  }

  result<std::optional<api_key_row>> api_key_by_hash(std::string_view hash) override {
    return one_key(std::string(key_columns) + "WHERE hash = ?", hash, true);
  }
  result<std::optional<api_key_row>> api_key_by_access_key(std::string_view id) override {
    return one_key(std::string(key_columns) + "WHERE access_key_id = ?", id, false);
  }

  result<std::vector<api_key_row>> api_keys_of(std::string_view workspace) override {
    std::lock_guard lock(mu_);
    auto s = prep(std::string(key_columns) + "WHERE workspace = ? ORDER BY created_at, id");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, workspace);
    std::vector<api_key_row> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW) out.push_back(key_of(**s));
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list API keys");
    return out;
  }

  result<bool> revoke_api_key(std::string_view workspace, std::string_view id,
                              std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "UPDATE api_keys SET revoked_at = ? WHERE workspace = ? AND id = ? AND revoked_at = 0");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, now), (*s)->bind(2, workspace), (*s)->bind(3, id);
    if (auto r = sqlite::run(*db_, **s, "cannot revoke API key"); !r) return r.error();
    return db_->changes() > 0;
  }

  status touch_api_key(std::string_view id, std::int64_t at) override {
    std::lock_guard lock(mu_);
    auto s = prep("UPDATE api_keys SET last_used_at = ? WHERE id = ? AND last_used_at < ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, at), (*s)->bind(2, id), (*s)->bind(3, at);
    return sqlite::run(*db_, **s, "cannot record the API key's use");
  }

  status add_session(const session_row& r) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind_blob(1, r.hash), (*s)->bind(2, r.user_id), (*s)->bind(3, r.csrf);
    (*s)->bind(4, r.created_at), (*s)->bind(5, r.expires_at);
    return sqlite::run(*db_, **s, "cannot add session");
  }

  result<std::optional<session_row>> session_by_hash(std::string_view hash) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "SELECT s.hash, s.user_id, s.csrf, s.created_at, s.expires_at, "
        "coalesce(u.must_change_password, 0) FROM sessions s "
        "LEFT JOIN users u ON u.id = s.user_id WHERE s.hash = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind_blob(1, hash);
    const int rc = (*s)->step();
    if (rc == SQLITE_DONE) return std::optional<session_row>{};
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read session");
    auto& st = **s;
    return std::optional<session_row>{session_row{std::string(st.blob(0)), std::string(st.text(1)),
                                                  std::string(st.text(2)), st.int64(3), st.int64(4),
                                                  st.int64(5) != 0}};
  }

  status delete_session(std::string_view hash) override {
    std::lock_guard lock(mu_);
    auto s = prep("DELETE FROM sessions WHERE hash = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind_blob(1, hash);
    return sqlite::run(*db_, **s, "cannot delete session");
  }

  status delete_expired_sessions(std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto s = prep("DELETE FROM sessions WHERE expires_at <= ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, now);
    return sqlite::run(*db_, **s, "cannot expire sessions");
  }

  status delete_other_sessions(std::string_view user_id, std::string_view keep_hash) override {
    std::lock_guard lock(mu_);
    auto s = prep("DELETE FROM sessions WHERE user_id = ? AND hash <> ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, user_id), (*s)->bind_blob(2, keep_hash);
    return sqlite::run(*db_, **s, "cannot end sessions");
  }

  status add_invitation(const invitation_row& i) override {
    std::lock_guard lock(mu_);
    auto s = prep(
        "INSERT INTO invitations (id, token_hash, workspace, email, role, invited_by, created_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, i.id), (*s)->bind_blob(2, i.token_hash), (*s)->bind(3, i.workspace);
    (*s)->bind(4, i.email), (*s)->bind(5, i.role), (*s)->bind(6, i.invited_by);
    (*s)->bind(7, i.created_at), (*s)->bind(8, i.expires_at);
    const int rc = (*s)->step();
    if (rc == SQLITE_CONSTRAINT)
      return error{errc::bad_input, "that email has a pending invitation to this workspace"};
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot add invitation");
    return {};
  }

  result<std::vector<invitation_row>> invitations_of(std::string_view workspace) override {
    return invitations(INVITATION_COLUMNS " WHERE workspace = ? ORDER BY created_at, id",
                       workspace);
  }
  result<std::vector<invitation_row>> invitations_for(std::string_view email) override {
    return invitations(INVITATION_COLUMNS " WHERE email = ? ORDER BY created_at, id", email);
  }
  result<std::optional<invitation_row>> invitation_by_id(std::string_view id) override {
    auto r = invitations(INVITATION_COLUMNS " WHERE id = ?", id);
    if (!r) return r.error();
    if (r->empty()) return std::optional<invitation_row>{};
    return std::optional<invitation_row>{std::move(r->front())};
  }
  result<std::optional<invitation_row>> invitation_by_token(std::string_view hash) override {
    auto r = invitations(INVITATION_COLUMNS " WHERE token_hash = ?", hash, true);
    if (!r) return r.error();
    if (r->empty()) return std::optional<invitation_row>{};
    return std::optional<invitation_row>{std::move(r->front())};
  }

  result<bool> delete_invitation(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto s = prep("DELETE FROM invitations WHERE id = ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, id);
    if (auto r = sqlite::run(*db_, **s, "cannot delete invitation"); !r) return r.error();
    return db_->changes() > 0;
  }

  status delete_expired_invitations(std::int64_t now) override {
    std::lock_guard lock(mu_);
    auto s = prep("DELETE FROM invitations WHERE expires_at <= ?");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, now);
    return sqlite::run(*db_, **s, "cannot expire invitations");
  }

  result<std::optional<membership_row>> accept_invitation(std::string_view id,
                                                          std::string_view user_id,
                                                          const user_row* new_user) override {
    std::lock_guard lock(mu_);
    std::optional<membership_row> out;
    auto r = sqlite::in_transaction(*db_, [&]() -> status {
      auto s = prep("DELETE FROM invitations WHERE id = ? RETURNING workspace, role");
      if (!s) return s.error();
      membership_row m;
      {
        reset_guard g{**s};
        (*s)->bind(1, id);
        int rc = (*s)->step();
        if (rc == SQLITE_DONE) return {};  // gone: nothing to do
        if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read invitation");
        m = {std::string((*s)->text(0)), std::string(user_id), std::string((*s)->text(1))};
        while ((rc = (*s)->step()) == SQLITE_ROW) {
        }
        if (rc != SQLITE_DONE) return db_->fail(rc, "cannot consume invitation");
      }
      if (new_user) {
        if (auto c = insert_user(*new_user); !c) return c;
      }
      if (auto a = insert_membership(m); !a) return a.error();
      out = std::move(m);
      return {};
    });
    if (!r) return r.error();
    return out;
  }

  status set_ingest(const ingest_row& r) override {
    std::lock_guard lock(mu_);
    // On rotation the replaced token and secret become previous_* (bare names in DO UPDATE are
    // the existing row's), in the one statement.
    auto s = prep(
        "INSERT INTO ingest_tokens (workspace, token_hash, secret_hash, rotated_at, token_sealed, "
        "secret_sealed) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace) DO UPDATE SET "
        "previous_token_hash = token_hash, previous_secret_hash = secret_hash, "
        "token_hash = excluded.token_hash, secret_hash = excluded.secret_hash, "
        "rotated_at = excluded.rotated_at, token_sealed = excluded.token_sealed, "
        "secret_sealed = excluded.secret_sealed");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, r.workspace), (*s)->bind_blob(2, r.token_hash), (*s)->bind_blob(3, r.secret_hash);
    (*s)->bind(4, r.rotated_at), (*s)->bind(5, r.token_sealed), (*s)->bind(6, r.secret_sealed);
    return sqlite::run(*db_, **s, "cannot set ingestion token");
  }

  result<std::optional<ingest_row>> ingest_by_token(std::string_view token_hash) override {
    return read_ingest("WHERE token_hash = ?1 OR previous_token_hash = ?1", token_hash, true);
  }

  result<std::optional<ingest_row>> ingest_of(std::string_view workspace) override {
    return read_ingest("WHERE workspace = ?1", workspace, false);
  }

  result<std::optional<ingest_row>> read_ingest(const std::string& where, std::string_view key,
                                                bool blob) {
    std::lock_guard lock(mu_);
    auto s = db_->prepare(
        "SELECT workspace, token_hash, secret_hash, rotated_at, token_sealed, secret_sealed, "
        "coalesce(previous_token_hash, x''), coalesce(previous_secret_hash, x'') "
        "FROM ingest_tokens " +
        where);
    if (!s) return s.error();
    reset_guard g{**s};
    if (blob)
      (*s)->bind_blob(1, key);
    else
      (*s)->bind(1, key);
    const int rc = (*s)->step();
    if (rc == SQLITE_DONE) return std::optional<ingest_row>{};
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read ingestion token");
    auto& st = **s;
    return std::optional<ingest_row>{ingest_row{std::string(st.text(0)), std::string(st.blob(1)),
                                                std::string(st.blob(2)), st.int64(3),
                                                std::string(st.text(4)), std::string(st.text(5)),
                                                std::string(st.blob(6)), std::string(st.blob(7))}};
  }

  status add_aws_account(std::string_view workspace, std::string_view account_id) override {
    return exec2("INSERT OR IGNORE INTO aws_accounts (workspace, account_id) VALUES (?, ?)",
                 workspace, account_id, "cannot add AWS account");
  }

  result<std::vector<std::string>> aws_accounts(std::string_view workspace) override {
    std::lock_guard lock(mu_);
    auto s = prep("SELECT account_id FROM aws_accounts WHERE workspace = ? ORDER BY account_id");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, workspace);
    std::vector<std::string> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW) out.emplace_back((*s)->text(0));
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list AWS accounts");
    return out;
  }

 private:
  result<statement*> prep(const char* sql) { return db_->prepare(sql); }
  result<statement*> prep(const std::string& sql) { return db_->prepare(sql); }

  // The bodies shared by a public call and a transaction; the caller holds mu_.
  status insert_user(const user_row& u) {
    auto s = prep(
        "INSERT INTO users (id, email, password_hash, created_at, must_change_password) "
        "VALUES (?, ?, ?, ?, ?)");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, u.id), (*s)->bind(2, u.email), (*s)->bind(3, u.password_hash);
    (*s)->bind(4, u.created_at), (*s)->bind(5, std::int64_t{u.must_change_password});
    const int rc = (*s)->step();
    if (rc == SQLITE_CONSTRAINT) return error{errc::bad_input, "a user with that email exists"};
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot create user");
    return {};
  }
  result<bool> insert_membership(const membership_row& m) {
    auto s = prep(
        "INSERT INTO memberships (workspace, user_id, role, joined_at) VALUES (?, ?, ?, " NOW_MS
        ") ON CONFLICT (workspace, user_id) DO NOTHING");
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, m.workspace), (*s)->bind(2, m.user_id), (*s)->bind(3, m.role);
    if (auto r = sqlite::run(*db_, **s, "cannot add membership"); !r) return r.error();
    return db_->changes() > 0;
  }

  result<std::vector<invitation_row>> invitations(const char* sql, std::string_view v,
                                                  bool blob = false) {
    std::lock_guard lock(mu_);
    auto s = prep(sql);
    if (!s) return s.error();
    reset_guard g{**s};
    if (blob)
      (*s)->bind_blob(1, v);
    else
      (*s)->bind(1, v);
    std::vector<invitation_row> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW) {
      const auto& st = **s;
      out.push_back({std::string(st.text(0)), std::string(st.blob(1)), std::string(st.text(2)),
                     std::string(st.text(3)), std::string(st.text(4)), std::string(st.text(5)),
                     st.int64(6), st.int64(7)});
    }
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot read invitations");
    return out;
  }

  static api_key_row key_of(const statement& st) {
    return {std::string(st.blob(0)),
            std::string(st.text(1)),
            std::string(st.text(2)),
            std::string(st.text(3)),
            std::string(st.text(4)),
            st.int64(5),
            std::string(st.text(6)),
            std::string(st.text(7)),
            std::string(st.text(8)),
            st.int64(9),
            st.int64(10),
            st.int64(11)};
  }
  result<std::optional<api_key_row>> one_key(const std::string& sql, std::string_view v,
                                             bool blob) {
    std::lock_guard lock(mu_);
    auto s = prep(sql);
    if (!s) return s.error();
    reset_guard g{**s};
    if (blob)
      (*s)->bind_blob(1, v);
    else
      (*s)->bind(1, v);
    const int rc = (*s)->step();
    if (rc == SQLITE_DONE) return std::optional<api_key_row>{};
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read API key");
    return std::optional<api_key_row>{key_of(**s)};
  }

  status exec2(const char* sql, std::string_view a, std::string_view b, std::string_view what) {
    std::lock_guard lock(mu_);
    auto s = prep(sql);
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, a), (*s)->bind(2, b);
    return sqlite::run(*db_, **s, what);
  }

  result<std::optional<user_row>> user_where(const char* sql, std::string_view v) {
    std::lock_guard lock(mu_);
    auto s = prep(sql);
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, v);
    const int rc = (*s)->step();
    if (rc == SQLITE_DONE) return std::optional<user_row>{};
    if (rc != SQLITE_ROW) return db_->fail(rc, "cannot read user");
    auto& st = **s;
    return std::optional<user_row>{user_row{std::string(st.text(0)), std::string(st.text(1)),
                                            std::string(st.text(2)), st.int64(3),
                                            st.int64(4) != 0}};
  }

  result<std::vector<membership_row>> memberships(const char* sql, std::string_view v) {
    std::lock_guard lock(mu_);
    auto s = prep(sql);
    if (!s) return s.error();
    reset_guard g{**s};
    (*s)->bind(1, v);
    std::vector<membership_row> out;
    int rc;
    while ((rc = (*s)->step()) == SQLITE_ROW)
      out.push_back(
          {std::string((*s)->text(0)), std::string((*s)->text(1)), std::string((*s)->text(2))});
    if (rc != SQLITE_DONE) return db_->fail(rc, "cannot list memberships");
    return out;
  }

  std::mutex mu_;
  std::unique_ptr<connection> db_;
};
}  // namespace

result<std::unique_ptr<accounts>> open_sqlite_accounts(const std::string& path,
                                                       int busy_timeout_ms) {
  auto c = sqlite::open_existing(path, busy_timeout_ms);
  if (!c) return c.error();
  return std::unique_ptr<accounts>(new sqlite_accounts(std::move(*c)));
}

}  // namespace sesami::store
