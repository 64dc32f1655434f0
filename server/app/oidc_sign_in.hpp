#pragma once
// What an identity verified by the OpenID provider may do in SESami (docs/security.md, section 9).
// The verified email is the SESami user of that email. Membership comes from invitations (the
// invitations flow: a new account joins the workspaces that invited its email; an existing one
// accepts its invitations after signing in) or, when the operator names a claim
// (--oidc-membership-claim cognito:groups), from the claim's values "WORKSPACE:ROLE", which add
// memberships in existing workspaces (never change or remove one). An email that neither an
// account, an invitation nor the claim knows gets no account and no session.
#include <string>
#include <vector>

#include "auth.hpp"
#include "oidc.hpp"

namespace sesami::app {

/// A membership the claim grants: "billing:admin" → {billing, admin}; "billing" → viewer.
/// nullopt for a value that is not a workspace id with an optional role.
std::optional<store::membership_row> claim_membership(std::string_view value);

/// Signs the identity in: "oidc.no_access" when the email has no account, no invitation and no
/// membership from the claim.
outcome<login_result> oidc_sign_in(auth& a, store::accounts& acc, store::store& st,
                                   const oidc_identity& id);

}  // namespace sesami::app
