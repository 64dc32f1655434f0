#pragma once
// Who is calling, and what may they do. Workspaces (tenants), users with argon2id passwords and
// login sessions (cookie + CSRF token), API keys for programs, per-workspace ingestion tokens,
// roles owner > admin > viewer. Secrets are random (libsodium), shown once, and stored only as
// SHA-256 hashes; comparisons of secrets are constant-time. No sockets, no SQL.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "../store/accounts.hpp"
#include "../store/store.hpp"
#include "login_throttle.hpp"

namespace sesami::app {

/// A failure with a stable code the HTTP layer maps to a status ("auth.forbidden" → 403).
struct failure {
  // Not an aggregate on purpose: outcome<std::string> must not take a lone string for a failure.
  failure() = default;
  failure(std::string c, std::string m) : code(std::move(c)), message(std::move(m)) {}
  std::string code;
  std::string message;
};
inline std::ostream& operator<<(std::ostream& os, const failure& f) {
  return os << f.code << ": " << f.message;
}
template <class T>
using outcome = boost::system::result<T, failure>;
inline failure from_store(const store::error& e) { return {std::string(e.id()), e.message}; }

/// The one rule for a login name, shared by the sign-in form, the API and the CLI: an email
/// address as HTML's <input type="email"> accepts it (WHATWG "valid email address": local part of
/// letters, digits and .!#$%&'*+/=?^_`{|}~-, then @, then dot-separated labels of letters, digits
/// and inner hyphens, at most 63 each; no dot needed, so admin@localhost is one), at most 254.
bool valid_email(std::string_view email) noexcept;

enum class role : std::uint8_t { viewer, admin, owner };  // ordered: a role includes those below
std::string_view to_string(role r) noexcept;
std::optional<role> parse_role(std::string_view s) noexcept;

/// The authenticated caller, scoped to one workspace.
struct principal {
  std::string workspace;
  role access = role::viewer;
  std::string user_id;  // empty for API keys
  std::string key_id;   // empty for users
  bool via_cookie = false;
  std::string csrf;  // the session's CSRF token (cookie callers only)
  /// Signed in with a one-time password: only setting a password, the session and sign-out allowed.
  bool must_change_password = false;
  bool allows(role need) const noexcept { return access >= need; }
};

struct new_workspace {
  std::string id;
  std::string name;
  std::string ingest_token;   // in the ingestion URLs; shown once
  std::string ingest_secret;  // the EventBridge API-key header value; shown once
  std::string api_key;        // owner rights; shown once
  std::string api_key_id;
};

struct login_result {
  std::string session;  // cookie value; shown once
  std::string csrf;
  std::string user_id;
  std::string email;
  std::vector<store::membership_row> workspaces;
  bool must_change_password = false;
};

struct ingest_target {
  std::string workspace;
  std::string secret_hash;
};

class auth {
 public:
  auth(store::store& s, store::accounts& a);

  // ---- primitives ----
  static std::string random_token(std::size_t bytes = 32);  // base64url, no padding
  static std::string sha256(std::string_view s);            // 32 raw bytes
  static bool equal_secret(std::string_view a, std::string_view b) noexcept;  // constant-time
  static outcome<std::string> hash_password(std::string_view password);
  static bool check_password(std::string_view hash, std::string_view password);

  // ---- workspaces ----
  /// Creates a workspace (id: the name as a slug), its ingestion token and secret, and an owner
  /// API key. Fails with "conflict" when the id exists.
  outcome<new_workspace> create_workspace(std::string_view name);
  /// New ingestion token and secret; the old ones stop working at once.
  outcome<std::pair<std::string, std::string>> rotate_ingest(std::string_view workspace);
  outcome<void> connect_aws_account(std::string_view workspace, std::string_view account_id);
  outcome<bool> aws_account_connected(std::string_view workspace, std::string_view account_id);
  outcome<std::vector<std::string>> aws_accounts(std::string_view workspace);

  // ---- users ----
  /// Returns the user id. `one_time`: the password was made for the user (printed once), so the
  /// first sign-in must set a new one. An existing user only joins the workspace.
  outcome<std::string> add_user(std::string_view email, std::string_view password,
                                std::string_view workspace, role r, bool one_time = false);
  /// On a database without users: creates workspace `workspace` (if needed) and an owner
  /// `email` with a random one-time password, returned once. nullopt when users exist.
  outcome<std::optional<std::string>> bootstrap_owner(std::string_view workspace,
                                                      std::string_view email);
  /// The user's own change: the current password is needed, the new one must differ from it.
  outcome<void> change_password(std::string_view user_id, std::string_view old_password,
                                std::string_view new_password);
  /// The operator's reset (`sesami user reset-password`): a new random one-time password,
  /// returned once; every session of the user ends. "store.not_found" for an unknown email.
  outcome<std::string> reset_password(std::string_view email);

  // ---- login ----
  /// Throttled per email and per remote address: after 5 failures in 15 minutes, "auth.throttled"
  /// until the window passes (the answer does not say whether the password was right).
  outcome<login_result> login(std::string_view email, std::string_view password,
                              std::string_view remote);
  void logout(std::string_view session);

  // ---- requests ----
  outcome<principal> from_api_key(std::string_view key);
  /// A session cookie's caller in `workspace` (empty: the user's only or first workspace). A
  /// workspace the user does not belong to answers not_found, like one that does not exist.
  outcome<principal> from_session(std::string_view session, std::string_view workspace);
  outcome<std::vector<store::membership_row>> session_workspaces(std::string_view session);

  // ---- API keys ----
  outcome<std::pair<std::string, std::string>> create_api_key(std::string_view workspace, role r,
                                                              std::string_view name);  // id, key
  outcome<std::vector<store::api_key_row>> api_keys(std::string_view workspace);
  outcome<bool> delete_api_key(std::string_view workspace, std::string_view id);

  // ---- ingestion ----
  outcome<ingest_target> ingest_for_token(std::string_view token);

  static constexpr std::int64_t session_lifetime_ms = 7LL * 24 * 3600 * 1000;

 private:
  outcome<void> set_ingest(std::string_view workspace, const std::string& token,
                           const std::string& secret);

  store::store& store_;
  store::accounts& acc_;

  // Hot lookups cached: every ingestion request resolves its token, every API call its key.
  std::mutex cache_mu_;
  std::map<std::string, ingest_target, std::less<>> ingest_cache_;  // token hash →
  std::map<std::string, principal, std::less<>> key_cache_;         // key hash →
  std::map<std::string, std::vector<std::string>, std::less<>> aws_cache_;

  login_throttle throttle_;
};

}  // namespace sesami::app
