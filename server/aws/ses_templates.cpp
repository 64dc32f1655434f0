// A connected workspace's templates in SES, through its role (see ses_templates.hpp).
#include "ses_templates.hpp"

#include <chrono>

namespace sesami::aws {

app::failure template_failure(const ses_error& e, std::string_view name) {
  if (e.aws_code == "AlreadyExistsException")
    return {"template.exists", "SES already has a template named '" + std::string(name) +
                                   "': PUT replaces it (" + e.message + ")"};
  if (e.aws_code == "NotFoundException")
    return {"template.not_found",
            "SES has no template named '" + std::string(name) + "' (" + e.message + ")"};
  if (e.aws_code == "BadRequestException")
    return {"validation.template", "SES refused the template: " + e.message};
  if (e.aws_code == "LimitExceededException")
    return {"template.limit", "SES's template limit is reached: " + e.message};
  switch (e.code) {
    case app::send_errc::not_authorized:
      return {"aws.ses_permission",
              "SES refused the template call through the workspace's role "
              "(allow ses:*EmailTemplate* on it): " +
                  e.message};
    case app::send_errc::throttled:
      return {"aws.throttled", e.message};
    case app::send_errc::unavailable:
      return {"aws.unreachable", e.message};
    case app::send_errc::not_connected:
      return {"aws.not_connected", e.message};
    default:
      return {"aws.bad_response", e.message};
  }
}

ses_templates::ses_templates(http_client& http, role_credentials& roles, connection_lookup lookup,
                             std::string ses_endpoint_override)
    : http_(http),
      roles_(roles),
      lookup_(std::move(lookup)),
      endpoint_override_(std::move(ses_endpoint_override)) {}

ses_v2_client& ses_templates::client_for(const std::string& region) {
  std::lock_guard lock(mu_);
  auto& c = clients_[region];
  if (!c) c = std::make_unique<ses_v2_client>(http_, region, endpoint_override_);
  return *c;
}

bool ses_templates::connected(std::string_view workspace) { return lookup_(workspace).has_value(); }

template <class T, class Op>
app::outcome<T> ses_templates::run(std::string_view workspace, std::string_view name, Op op) {
  auto conn = lookup_(workspace);
  if (!conn) return app::failure{"aws.not_connected", "the workspace has no AWS connection"};
  auto& client = client_for(conn->target.region);
  for (int attempt = 0;; ++attempt) {
    auto creds = roles_.get(conn->target);
    if (!creds) return app::failure{std::string(to_id(creds.error().code)), creds.error().message};
    auto r = op(client, creds->creds);
    if (r) return T(std::move(*r));
    if (attempt == 0 && stale_credentials(r.error())) {
      roles_.invalidate(conn->target);
      continue;
    }
    return template_failure(r.error(), name);
  }
}

namespace {
ses_template to_ses(const app::template_fields& t) { return {t.name, t.subject, t.text, t.html}; }
std::int64_t ms_of(clock_time t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
// A void call as a value for run().
template <class R>
ses_result<bool> done(R r) {
  if (!r) return r.error();
  return true;
}
}  // namespace

app::outcome<void> ses_templates::create(std::string_view workspace,
                                         const app::template_fields& t) {
  auto r = run<bool>(workspace, t.name, [&](ses_v2_client& c, const credentials& cr) {
    return done(c.create_email_template(cr, to_ses(t)));
  });
  if (!r) return r.error();
  return {};
}

app::outcome<void> ses_templates::update(std::string_view workspace,
                                         const app::template_fields& t) {
  auto r = run<bool>(workspace, t.name, [&](ses_v2_client& c, const credentials& cr) {
    return done(c.update_email_template(cr, to_ses(t)));
  });
  if (!r) return r.error();
  return {};
}

app::outcome<void> ses_templates::remove(std::string_view workspace, std::string_view name) {
  auto r = run<bool>(workspace, name, [&](ses_v2_client& c, const credentials& cr) {
    return done(c.delete_email_template(cr, name));
  });
  if (!r) return r.error();
  return {};
}

app::outcome<store::stored_template> ses_templates::get(std::string_view workspace,
                                                        std::string_view name) {
  auto r = run<ses_template>(workspace, name, [&](ses_v2_client& c, const credentials& cr) {
    return c.get_email_template(cr, name);
  });
  if (!r) return r.error();
  store::stored_template t;
  t.workspace = std::string(workspace);
  t.name = std::move(r->name), t.subject = std::move(r->subject);
  t.text = std::move(r->text), t.html = std::move(r->html);
  return t;
}

app::outcome<store::template_page> ses_templates::list(std::string_view workspace,
                                                       std::string_view cursor, std::size_t limit) {
  const int page_size =
      static_cast<int>(std::min<std::size_t>(std::max<std::size_t>(limit, 1), 100));
  auto r = run<ses_template_page>(workspace, "", [&](ses_v2_client& c, const credentials& cr) {
    return c.list_email_templates(cr, cursor, page_size);
  });
  if (!r) return r.error();
  store::template_page page;
  for (auto& [name, created] : r->items) {
    store::stored_template t;
    t.workspace = std::string(workspace), t.name = std::move(name);
    t.created_at = t.updated_at = ms_of(created);
    page.items.push_back(std::move(t));
  }
  if (!r->next_token.empty()) page.next = r->next_token;
  return page;
}

}  // namespace sesami::aws
