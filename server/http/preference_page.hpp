#pragma once
// The page behind a mail's unsubscribe link (RFC 8058 and issue #20): no sign-in, the signed
// token in the path is the only authority, and it names one workspace and one address (and, for a
// topic mail, one topic). docs/security.md "Signed preference links" gives the boundary.
//   GET  /unsubscribe/{token}  the page: one-click unsubscribe, every topic's choice, re-subscribe.
//                              Never changes anything (link scanners follow GET links).
//   POST /unsubscribe/{token}  body List-Unsubscribe=One-Click: the link's own unsubscribe (its
//                              topic only; without a topic, every mail). Other bodies are the
//                              page's forms, which must carry the page's form token and come from
//                              this origin.
#include <string>

#include "../app/mail.hpp"
#include "../app/topics.hpp"
#include "../store/store.hpp"
#include "router.hpp"

namespace sesami::http {

struct preference_deps {
  app::mailer& mail;
  app::topics* topics;  // null: the page offers the one-click unsubscribe only
  store::store& store;
  std::string public_url;  // --public-url: this server's origin as recipients reach it
};

response preference_page_get(context& ctx, const preference_deps& d);
response preference_page_post(context& ctx, const preference_deps& d);

}  // namespace sesami::http
