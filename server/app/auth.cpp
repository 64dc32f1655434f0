#include "auth.hpp"

#include "base64.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include <sodium.h>

#include <sesami/ascii.hpp>

#include "import.hpp"  // now_ms

namespace sesami::app {
namespace {
constexpr std::string_view code_throttled = "auth.throttled";
constexpr std::string_view code_busy = "auth.busy";
constexpr std::string_view code_member = "users.member";
constexpr std::string_view code_invited = "users.invited";
constexpr std::string_view code_no_member = "users.not_found";
constexpr std::string_view code_changed = "users.changed";
constexpr std::string_view code_last_owner = "users.last_owner";
constexpr std::string_view code_invite_not_found = "invite.not_found";

failure fail(std::string_view code, std::string message) {
  return {std::string(code), std::move(message)};
}

struct sodium_ready {
  sodium_ready() {
    if (::sodium_init() < 0) std::abort();  // no randomness: nothing here can be safe
  }
};
void ensure_sodium() { static sodium_ready once; }

std::atomic<std::uint64_t> hashes_run{0};

// Workspace ids double as CLI arguments and URL parts: a short lower-case slug.
std::optional<std::string> slug(std::string_view name) {
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u))
      out.push_back(ascii_lower(c));
    else if ((c == '-' || c == '_' || c == ' ' || c == '.') && !out.empty() && out.back() != '-')
      out.push_back('-');
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.empty() || out.size() > 64) return std::nullopt;
  return out;
}
}  // namespace

bool valid_email(std::string_view e) noexcept {
  if (e.empty() || e.size() > 254) return false;
  const auto at = e.find('@');
  if (at == 0 || at == std::string_view::npos) return false;
  static constexpr std::string_view local_extra = ".!#$%&'*+/=?^_`{|}~-";
  for (char c : e.substr(0, at))
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        local_extra.find(c) == std::string_view::npos)
      return false;
  auto domain = e.substr(at + 1);  // labels: [A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?
  if (domain.empty()) return false;
  while (true) {
    const auto dot = domain.find('.');
    const auto label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    domain.remove_prefix(dot + 1);
  }
}

std::string_view to_string(role r) noexcept {
  switch (r) {
    case role::owner:
      return "owner";
    case role::admin:
      return "admin";
    case role::viewer:
      return "viewer";
  }
  return "viewer";
}
std::optional<role> parse_role(std::string_view s) noexcept {
  if (s == "owner") return role::owner;
  if (s == "admin") return role::admin;
  if (s == "viewer") return role::viewer;
  return std::nullopt;
}

auth::auth(store::store& s, store::accounts& a, const secret_box* box)
    : store_(s), acc_(a), box_(box) {
  ensure_sodium();
}

std::string auth::random_token(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  auto out = base64url_encode(raw);
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::string auth::sha256(std::string_view s) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(s.data()), s.size());
  return out;
}

bool auth::equal_secret(std::string_view a, std::string_view b) noexcept {
  // Hash both first: equal lengths for sodium_memcmp, and the length of the secret leaks nothing.
  const auto ha = sha256(a), hb = sha256(b);
  return sodium_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

outcome<std::string> auth::hash_password(std::string_view password) {
  ensure_sodium();
  if (password.size() < 8)
    return fail("validation.password", "a password needs 8 characters or more");
  if (password.size() > 1024) return fail("validation.password", "password too long");
  char out[crypto_pwhash_STRBYTES];
  hashes_run.fetch_add(1, std::memory_order_relaxed);
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return fail("internal", "out of memory hashing a password");
  return std::string(out);
}

bool auth::check_password(std::string_view hash, std::string_view password) {
  ensure_sodium();
  const std::string h(hash);
  hashes_run.fetch_add(1, std::memory_order_relaxed);
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

outcome<new_workspace> auth::create_workspace(std::string_view name) {
  const auto id = slug(name);
  if (!id)
    return fail("validation.workspace",
                "a workspace name needs letters or digits (at most 64 once reduced to a slug)");
  store::workspace w{*id, std::string(name), now_ms(), 0};
  if (auto found = store_.find_workspace(*id); !found)
    return from_store(found.error());
  else if (*found)
    return fail("conflict", "workspace '" + *id + "' exists");
  if (auto r = store_.create_workspace(w); !r) return from_store(r.error());
  new_workspace out;
  out.id = *id;
  out.name = std::string(name);
  out.ingest_token = random_token();
  out.ingest_secret = random_token();
  if (auto r = set_ingest(*id, out.ingest_token, out.ingest_secret); !r) return r.error();
  auto key = create_api_key(*id, {role::owner, key_scope::admin, "created with the workspace", 0});
  if (!key) return key.error();
  out.api_key_id = key->id;
  out.api_key = key->key;
  out.access_key_id = key->access_key_id;
  out.secret_access_key = key->secret_access_key;
  return out;
}

outcome<void> auth::connect_aws_account(std::string_view workspace, std::string_view account_id) {
  if (account_id.size() != 12 || !std::all_of(account_id.begin(), account_id.end(),
                                              [](char c) { return c >= '0' && c <= '9'; }))
    return fail("validation.account", "an AWS account id is 12 digits");
  if (auto r = acc_.add_aws_account(workspace, account_id); !r) return from_store(r.error());
  std::lock_guard lock(cache_mu_);
  aws_cache_.erase(std::string(workspace));
  return {};
}

outcome<std::vector<std::string>> auth::aws_accounts(std::string_view workspace) {
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = aws_cache_.find(workspace); it != aws_cache_.end()) return it->second;
  }
  auto r = acc_.aws_accounts(workspace);
  if (!r) return from_store(r.error());
  std::lock_guard lock(cache_mu_);
  aws_cache_[std::string(workspace)] = *r;
  return *r;
}

outcome<bool> auth::aws_account_connected(std::string_view workspace, std::string_view account_id) {
  auto list = aws_accounts(workspace);
  if (!list) return list.error();
  return std::find(list->begin(), list->end(), account_id) != list->end();
}

outcome<std::string> auth::add_user(std::string_view email_in, std::string_view password,
                                    std::string_view workspace, role r, bool one_time) {
  const std::string email = ascii_lower(email_in);
  if (!valid_email(email))
    return fail("validation.email",
                "'" + email.substr(0, 254) +
                    "' is not an email address (a login is one, e.g. admin@localhost)");
  auto ws = store_.find_workspace(workspace);
  if (!ws) return from_store(ws.error());
  if (!*ws) return fail("store.not_found", "no workspace '" + std::string(workspace) + "'");
  auto existing = acc_.user_by_email(email);
  if (!existing) return from_store(existing.error());
  std::string user_id;
  if (*existing) {
    // A known user joins another workspace; their password is not changed by this.
    user_id = (*existing)->id;
  } else {
    auto hash = hash_password(password);
    if (!hash) return hash.error();
    user_id = "u_" + random_token(12);
    if (auto c = acc_.create_user({user_id, email, *hash, now_ms(), one_time}); !c)
      return from_store(c.error());
  }
  if (auto m = acc_.set_membership({std::string(workspace), user_id, std::string(to_string(r))});
      !m)
    return from_store(m.error());
  return user_id;
}

outcome<std::optional<std::string>> auth::bootstrap_owner(std::string_view workspace,
                                                          std::string_view email) {
  auto n = acc_.user_count();
  if (!n) return from_store(n.error());
  if (*n > 0) return std::optional<std::string>{};
  if (auto w = store_.ensure_workspace(workspace); !w) return from_store(w.error());
  auto password = random_token(18);
  if (auto u = add_user(email, password, workspace, role::owner, true); !u) return u.error();
  return std::optional<std::string>{password};
}

outcome<auth::password_attempt> auth::begin_password_check(std::string_view email,
                                                           std::string_view remote) {
  // Reserved before anything is hashed, atomically: concurrent wrong passwords are counted as
  // failures while they run, so they cannot all pass the check before the first one fails.
  auto ticket = throttle_.reserve(email, remote, now_ms());
  if (!ticket) {
    throttled_.fetch_add(1, std::memory_order_relaxed);
    return fail(code_throttled, "too many failed sign-ins; wait 15 minutes");
  }
  auto slot = gate_.try_enter();
  if (!slot) {
    ticket->not_tried();
    return fail(code_busy, "the server is busy checking passwords; retry in a second");
  }
  return password_attempt{std::move(*ticket), std::move(*slot)};
}

outcome<void> auth::change_password(std::string_view user_id, std::string_view old_password,
                                    std::string_view new_password, std::string_view keep_session,
                                    std::string_view remote) {
  auto u = acc_.user_by_id(user_id);
  if (!u) return from_store(u.error());
  if (!*u) return fail("auth.unauthenticated", "no such user");
  auto attempt = begin_password_check((*u)->email, remote);
  if (!attempt) return attempt.error();
  if (!check_password((*u)->password_hash, old_password))
    return fail("auth.bad_credentials", "the current password is wrong");
  attempt->ticket.succeeded();
  if (new_password == old_password)
    return fail("validation.password", "choose a new password, not the current one");
  auto hash = hash_password(new_password);
  if (!hash) return hash.error();
  if (auto r = acc_.set_password(user_id, *hash); !r) return from_store(r.error());
  // Whoever else holds a session of this user (a stolen cookie, a forgotten browser) is out.
  if (auto r = acc_.delete_other_sessions(user_id, sha256(keep_session)); !r)
    return from_store(r.error());
  return {};
}

outcome<std::string> auth::reset_password(std::string_view email_in) {
  const std::string email = ascii_lower(email_in);
  auto u = acc_.user_by_email(email);
  if (!u) return from_store(u.error());
  if (!*u) return fail("store.not_found", "no user '" + email + "'");
  auto password = random_token(18);
  auto hash = hash_password(password);
  if (!hash) return hash.error();
  auto r = acc_.reset_password((*u)->id, *hash);
  if (!r) return from_store(r.error());
  if (!*r) return fail("store.not_found", "no user '" + email + "'");  // deleted meanwhile
  throttle_.clear_email(email);
  return password;
}

outcome<login_result> auth::start_session(const store::user_row& u) {
  const auto now = now_ms();
  login_result out;
  // A fresh session id at every login: a session id planted before login (fixation) is useless.
  out.session = random_token();
  out.csrf = random_token();
  out.user_id = u.id;
  out.email = u.email;
  out.must_change_password = u.must_change_password;
  if (auto r = acc_.add_session(
          {sha256(out.session), out.user_id, out.csrf, now, now + session_lifetime_ms});
      !r)
    return from_store(r.error());
  auto ms = acc_.memberships_of_user(out.user_id);
  if (!ms) return from_store(ms.error());
  out.workspaces = std::move(*ms);
  (void)acc_.delete_expired_sessions(now);
  (void)acc_.delete_expired_invitations(now);
  return out;
}

outcome<login_result> auth::login(std::string_view email_in, std::string_view password,
                                  std::string_view remote) {
  const std::string email = ascii_lower(email_in);
  auto attempt = begin_password_check(email, remote);
  if (!attempt) return attempt.error();
  auto u = acc_.user_by_email(email);
  if (!u) {
    attempt->ticket.not_tried();
    return from_store(u.error());
  }
  // Hash even for unknown users so timing does not tell which emails exist.
  static const auto dummy = hash_password("not-a-real-password-at-all");
  const bool ok = *u ? check_password((*u)->password_hash, password)
                     : (check_password(dummy ? *dummy : std::string(), password), false);
  if (!ok) return fail("auth.bad_credentials", "wrong email or password");
  attempt->ticket.succeeded();
  return start_session(**u);
}

// ---- members and invitations ----------------------------------------------------------------

outcome<invitation> auth::invite(const principal& by, std::string_view email_in, role r) {
  const std::string email = ascii_lower(email_in);
  if (!valid_email(email)) return fail("validation.email", "invite someone by email address");
  // Membership in the inviter's own workspace is no secret to it (GET /users lists it); whether
  // the email has an account anywhere else never shows in the answer.
  auto existing = acc_.user_by_email(email);
  if (!existing) return from_store(existing.error());
  if (*existing) {
    auto ms = acc_.memberships_of_user((*existing)->id);
    if (!ms) return from_store(ms.error());
    for (const auto& m : *ms)
      if (m.workspace == by.workspace)
        return fail(code_member,
                    "already a member of this workspace; change a role with PATCH /users/{id}");
  }
  invitation out;
  out.token = random_token();
  const auto now = now_ms();
  // An expired invitation is gone: it neither blocks a new one nor shows in GET /users.
  if (auto d = acc_.delete_expired_invitations(now); !d) return from_store(d.error());
  out.row = {"inv_" + random_token(12),
             sha256(out.token),
             by.workspace,
             email,
             std::string(to_string(r)),
             by.user_id.empty() ? by.key_id : by.user_id,
             now,
             now + invitation_lifetime_ms};
  if (auto a = acc_.add_invitation(out.row); !a) {
    if (a.error().code == store::errc::bad_input)
      return fail(code_invited,
                  "that email has a pending invitation; revoke it (DELETE /users/{id}) to send "
                  "another");
    return from_store(a.error());
  }
  return out;
}

outcome<role> auth::change_role(const principal& by, std::string_view user_id, role r) {
  auto ms = acc_.members_of(by.workspace);
  if (!ms) return from_store(ms.error());
  const auto it =
      std::find_if(ms->begin(), ms->end(), [&](const auto& m) { return m.user_id == user_id; });
  if (it == ms->end()) return fail(code_no_member, "no such member in this workspace");
  const auto current = parse_role(it->role).value_or(role::viewer);
  if ((current == role::owner || r == role::owner) && !by.allows(role::owner))
    return fail("auth.forbidden", "only an owner grants or revokes the owner role");
  if (!by.allows(current) || !by.allows(r))
    return fail("auth.forbidden", "cannot change a role above your own");
  auto c =
      acc_.change_member({by.workspace, std::string(user_id), std::string(to_string(r))}, it->role);
  if (!c) return from_store(c.error());
  switch (*c) {
    case store::member_change::done:
      return r;
    case store::member_change::not_member:
      return fail(code_no_member, "no such member in this workspace");
    case store::member_change::changed_meanwhile:
      return fail(code_changed, "the member's role changed meanwhile; reload and retry");
    case store::member_change::last_owner:
      return fail(code_last_owner,
                  "the last owner of a workspace stays an owner; make someone else owner first");
  }
  return r;
}

outcome<void> auth::remove_member(const principal& by, std::string_view id) {
  if (id.starts_with("inv_")) {
    auto inv = acc_.invitation_by_id(id);
    if (!inv) return from_store(inv.error());
    if (!*inv || (*inv)->workspace != by.workspace)
      return fail(code_no_member, "no such member or invitation in this workspace");
    // An owner invitation is revoked by an owner, like the role itself.
    if (!by.allows(parse_role((*inv)->role).value_or(role::owner)))
      return fail("auth.forbidden", "only an owner revokes an owner's invitation");
    if (auto d = acc_.delete_invitation(id); !d) return from_store(d.error());
    return {};
  }
  auto ms = acc_.members_of(by.workspace);
  if (!ms) return from_store(ms.error());
  const auto it =
      std::find_if(ms->begin(), ms->end(), [&](const auto& m) { return m.user_id == id; });
  if (it == ms->end()) return fail(code_no_member, "no such member in this workspace");
  const auto current = parse_role(it->role).value_or(role::viewer);
  if (current == role::owner && !by.allows(role::owner))
    return fail("auth.forbidden", "only an owner removes an owner");
  if (!by.allows(current)) return fail("auth.forbidden", "cannot remove a role above your own");
  auto c = acc_.change_member({by.workspace, std::string(id), std::string()}, it->role);
  if (!c) return from_store(c.error());
  switch (*c) {
    case store::member_change::done:
      return {};
    case store::member_change::not_member:
      return fail(code_no_member, "no such member in this workspace");
    case store::member_change::changed_meanwhile:
      return fail(code_changed, "the member's role changed meanwhile; reload and retry");
    case store::member_change::last_owner:
      return fail(code_last_owner, "the last owner of a workspace cannot be removed");
  }
  return {};
}

outcome<std::vector<invitation_for_user>> auth::invitations_for(std::string_view user_id) {
  auto u = acc_.user_by_id(user_id);
  if (!u) return from_store(u.error());
  if (!*u) return fail("auth.unauthenticated", "no such user");
  auto list = acc_.invitations_for((*u)->email);
  if (!list) return from_store(list.error());
  std::vector<invitation_for_user> out;
  const auto now = now_ms();
  for (auto& i : *list) {
    if (i.expires_at <= now) continue;
    auto w = store_.find_workspace(i.workspace);
    if (!w) return from_store(w.error());
    if (!*w) continue;  // the workspace is gone
    out.push_back({std::move(i), (*w)->name});
  }
  return out;
}

namespace {
// The invitation `id` when it is addressed to `email` and still valid; else nothing, answered
// alike whatever the reason (another account's invitation is not found, like a made-up one).
outcome<store::invitation_row> own_invitation(store::accounts& acc, std::string_view user_id,
                                              std::string_view id) {
  auto u = acc.user_by_id(user_id);
  if (!u) return from_store(u.error());
  auto inv = acc.invitation_by_id(id);
  if (!inv) return from_store(inv.error());
  if (!*u || !*inv || (*inv)->email != (*u)->email || (*inv)->expires_at <= now_ms())
    return fail(code_invite_not_found, "no such invitation");
  return **inv;
}
}  // namespace

outcome<store::membership_row> auth::accept_invitation(std::string_view user_id,
                                                       std::string_view id) {
  auto inv = own_invitation(acc_, user_id, id);
  if (!inv) return inv.error();
  auto m = acc_.accept_invitation(id, user_id, nullptr);
  if (!m) return from_store(m.error());
  if (!*m) return fail(code_invite_not_found, "no such invitation");
  return **m;
}

outcome<void> auth::decline_invitation(std::string_view user_id, std::string_view id) {
  auto inv = own_invitation(acc_, user_id, id);
  if (!inv) return inv.error();
  auto d = acc_.delete_invitation(id);
  if (!d) return from_store(d.error());
  if (!*d) return fail(code_invite_not_found, "no such invitation");
  return {};
}

outcome<login_result> auth::redeem_invitation(std::string_view token, std::string_view password,
                                              std::string_view remote) {
  // The same rule for every password first, so a short one is refused alike for every email.
  if (password.size() < 8)
    return fail("validation.password", "a password needs 8 characters or more");
  if (password.size() > 1024) return fail("validation.password", "password too long");
  auto inv = acc_.invitation_by_token(sha256(token));
  if (!inv) return from_store(inv.error());
  if (!*inv || (*inv)->expires_at <= now_ms())
    return fail(code_invite_not_found, "no such invitation, or it expired");
  const auto& email = (*inv)->email;
  auto attempt = begin_password_check(email, remote);
  if (!attempt) return attempt.error();
  auto u = acc_.user_by_email(email);
  if (!u) {
    attempt->ticket.not_tried();
    return from_store(u.error());
  }
  store::user_row user;
  std::optional<store::user_row> created;
  if (*u) {
    // An existing account joins only with its own password, which this never changes.
    if (!check_password((*u)->password_hash, password))
      return fail("auth.bad_credentials", "wrong email or password");
    user = **u;
  } else {
    auto hash = hash_password(password);
    if (!hash) {
      attempt->ticket.not_tried();
      return hash.error();
    }
    created = store::user_row{"u_" + random_token(12), email, *hash, now_ms()};
    user = *created;
  }
  attempt->ticket.succeeded();
  auto m = acc_.accept_invitation((*inv)->id, user.id, created ? &*created : nullptr);
  if (!m) {
    if (m.error().code == store::errc::bad_input)
      return fail("conflict", "an account for this email was created meanwhile; sign in");
    return from_store(m.error());
  }
  if (!*m) return fail(code_invite_not_found, "no such invitation, or it expired");
  return start_session(user);
}

std::uint64_t auth::password_hashes() noexcept {
  return hashes_run.load(std::memory_order_relaxed);
}

void auth::render_metrics(std::string& out) const {
  out += "# HELP sesami_password_hashes_total Password hashes computed or verified (argon2id).\n";
  out += "# TYPE sesami_password_hashes_total counter\n";
  out += "sesami_password_hashes_total " + std::to_string(password_hashes()) + "\n";
  out += "# HELP sesami_password_checks_refused_total Password checks refused before hashing.\n";
  out += "# TYPE sesami_password_checks_refused_total counter\n";
  out += "sesami_password_checks_refused_total{reason=\"throttled\"} " +
         std::to_string(throttled_.load(std::memory_order_relaxed)) + "\n";
  out += "sesami_password_checks_refused_total{reason=\"busy\"} " +
         std::to_string(gate_.refused()) + "\n";
}

void auth::logout(std::string_view session) { (void)acc_.delete_session(sha256(session)); }

outcome<std::vector<store::membership_row>> auth::session_workspaces(std::string_view session) {
  auto s = acc_.session_by_hash(sha256(session));
  if (!s) return from_store(s.error());
  if (!*s || (*s)->expires_at <= now_ms())
    return fail("auth.unauthenticated", "not signed in, or the session expired");
  auto ms = acc_.memberships_of_user((*s)->user_id);
  if (!ms) return from_store(ms.error());
  return *ms;
}

outcome<store::session_row> auth::session_user(std::string_view session) {
  auto s = acc_.session_by_hash(sha256(session));
  if (!s) return from_store(s.error());
  if (!*s || (*s)->expires_at <= now_ms())
    return fail("auth.unauthenticated", "not signed in, or the session expired");
  return **s;
}

outcome<principal> auth::from_session(std::string_view session, std::string_view workspace) {
  auto s = acc_.session_by_hash(sha256(session));
  if (!s) return from_store(s.error());
  if (!*s || (*s)->expires_at <= now_ms())
    return fail("auth.unauthenticated", "not signed in, or the session expired");
  auto ms = acc_.memberships_of_user((*s)->user_id);
  if (!ms) return from_store(ms.error());
  if (ms->empty()) return fail("auth.forbidden", "this user belongs to no workspace");
  const store::membership_row* m = nullptr;
  if (workspace.empty()) {
    m = &ms->front();
  } else {
    for (const auto& x : *ms)
      if (x.workspace == workspace) m = &x;
    if (!m) return fail("http.not_found", "no such workspace");
  }
  principal p;
  p.workspace = m->workspace;
  p.access = parse_role(m->role).value_or(role::viewer);
  p.user_id = (*s)->user_id;
  p.via_cookie = true;
  p.csrf = (*s)->csrf;
  p.must_change_password = (*s)->must_change_password;
  return p;
}

}  // namespace sesami::app
