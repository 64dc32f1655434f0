#include "oidc_sign_in.hpp"

#include "import.hpp"  // now_ms

namespace sesami::app {

std::optional<store::membership_row> claim_membership(std::string_view value) {
  const auto colon = value.find(':');
  const auto ws = value.substr(0, colon);
  const auto r = colon == std::string_view::npos ? std::optional<role>(role::viewer)
                                                 : parse_role(value.substr(colon + 1));
  if (ws.empty() || ws.size() > 64 || !r) return std::nullopt;
  for (char c : ws)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
  return store::membership_row{std::string(ws), "", std::string(to_string(*r))};
}

outcome<login_result> oidc_sign_in(auth& a, store::accounts& acc, store::store& st,
                                   const oidc_identity& id) {
  // Memberships the claim grants, in workspaces that exist.
  std::vector<store::membership_row> grants;
  for (const auto& g : id.groups) {
    auto m = claim_membership(g);
    if (!m) continue;
    auto w = st.find_workspace(m->workspace);
    if (!w) return from_store(w.error());
    if (*w) grants.push_back(std::move(*m));
  }
  auto u = acc.user_by_email(id.email);
  if (!u) return from_store(u.error());
  std::optional<store::user_row> user = *u;
  if (!user) {
    auto invited = acc.invitations_for(id.email);
    if (!invited) return from_store(invited.error());
    std::erase_if(*invited, [now = now_ms()](const auto& i) { return i.expires_at <= now; });
    if (invited->empty() && grants.empty())
      return failure{"oidc.no_access",
                     id.email +
                         " has no SESami account and no invitation; ask an admin to "
                         "invite this address"};
    // An account without a password: it signs in through the provider (or after an operator's
    // reset-password). Created with its first invitation, in one transaction.
    store::user_row fresh{"u_" + auth::random_token(12), id.email, "", now_ms(), false};
    bool created = false;
    for (const auto& inv : *invited) {
      auto m = acc.accept_invitation(inv.id, fresh.id, created ? nullptr : &fresh);
      if (!m) {
        if (m.error().code == store::errc::bad_input)
          return failure{"conflict", "an account for this email was created meanwhile; retry"};
        return from_store(m.error());
      }
      if (*m) created = true;
    }
    if (!created) {
      if (grants.empty())
        return failure{"oidc.no_access", "the invitation of " + id.email + " was used meanwhile"};
      if (auto c = acc.create_user(fresh); !c) return from_store(c.error());
    }
    user = fresh;
  } else if (user->must_change_password) {
    // A one-time password is for a first sign-in; the provider just proved who this is, so the
    // one-time password is void (and the session is not held at "set your password").
    if (auto r = acc.set_password(user->id, ""); !r) return from_store(r.error());
    user->password_hash.clear();
    user->must_change_password = false;
  }
  for (auto& g : grants) {
    g.user_id = user->id;
    if (auto r = acc.add_membership(g); !r) return from_store(r.error());
  }
  return a.open_session(*user);
}

}  // namespace sesami::app
