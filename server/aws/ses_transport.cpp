#include "ses_transport.hpp"

namespace sesami::aws {

namespace {
using app::send_errc;

app::send_error to_send_error(const ses_error& e) { return {e.code, e.aws_code, e.message}; }

// Runs `op(client, creds)` with the workspace's credentials, once more with fresh ones when SES
// says they went stale.
template <class Op>
auto with_credentials(role_credentials& roles, const workspace_aws& conn, ses_v2_client& client,
                      Op op)
    -> app::send_result<typename decltype(op(client,
                                             std::declval<const credentials&>()))::value_type> {
  for (int attempt = 0;; ++attempt) {
    auto creds = roles.get(conn.target);
    if (!creds) return to_send_error(creds.error());
    auto r = op(client, creds->creds);
    if (r) return std::move(*r);
    if (attempt == 0 && stale_credentials(r.error())) {
      roles.invalidate(conn.target);
      continue;
    }
    return to_send_error(r.error());
  }
}
}  // namespace

app::send_error to_send_error(const sts_error& e) {
  send_errc c = send_errc::not_authorized;
  if (e.code == sts_errc::throttled) c = send_errc::throttled;
  if (e.code == sts_errc::unreachable) c = send_errc::unavailable;
  return {c, e.aws_code, e.message};
}

ses_transport::ses_transport(http_client& http, role_credentials& roles, connection_lookup lookup,
                             std::string ses_endpoint_override)
    : http_(http),
      roles_(roles),
      lookup_(std::move(lookup)),
      endpoint_override_(std::move(ses_endpoint_override)) {}

ses_v2_client& ses_transport::client_for(const std::string& region) {
  std::lock_guard lock(mu_);
  auto& c = clients_[region];
  if (!c) c = std::make_unique<ses_v2_client>(http_, region, endpoint_override_);
  return *c;
}

app::send_result<std::string> ses_transport::send(std::string_view workspace,
                                                  const app::outgoing_mail& mail) {
  auto conn = lookup_(workspace);
  if (!conn)
    return app::send_error{send_errc::not_connected, "", "the workspace has no AWS connection"};
  const app::outgoing_mail* m = &mail;
  app::outgoing_mail with_set;
  if (mail.configuration_set.empty() && !conn->configuration_set.empty()) {
    with_set = mail;
    with_set.configuration_set = conn->configuration_set;
    m = &with_set;
  }
  return with_credentials(
      roles_, *conn, client_for(conn->target.region),
      [&](ses_v2_client& c, const credentials& cr) { return c.send_email(cr, *m); });
}

app::send_result<std::vector<app::bulk_entry_result>> ses_transport::send_bulk(
    std::string_view workspace, const app::bulk_mail& mail) {
  auto conn = lookup_(workspace);
  if (!conn)
    return app::send_error{send_errc::not_connected, "", "the workspace has no AWS connection"};
  if (mail.destinations.empty() || mail.destinations.size() > 50)
    return app::send_error{send_errc::bad_request, "", "a bulk call takes 1 to 50 destinations"};
  const app::bulk_mail* m = &mail;
  app::bulk_mail with_set;
  if (mail.configuration_set.empty() && !conn->configuration_set.empty()) {
    with_set = mail;
    with_set.configuration_set = conn->configuration_set;
    m = &with_set;
  }
  return with_credentials(
      roles_, *conn, client_for(conn->target.region),
      [&](ses_v2_client& c, const credentials& cr) { return c.send_bulk_email(cr, *m); });
}

boost::system::result<connection_report, connection_problem> check_connection(
    role_credentials& roles, http_client& http, const workspace_aws& conn,
    std::string_view ses_endpoint_override, std::string_view mode) {
  const auto& region = conn.target.region;
  ses_v2_client ses(http, region, std::string(ses_endpoint_override));
  auto creds = roles.get(conn.target);
  if (!creds)
    return connection_problem{std::string(to_id(creds.error().code)), creds.error().message};
  auto account = ses.get_account(creds->creds);
  if (!account && stale_credentials(account.error())) {  // revoked or expired early: once more
    roles.invalidate(conn.target);
    creds = roles.get(conn.target);
    if (!creds)
      return connection_problem{std::string(to_id(creds.error().code)), creds.error().message};
    account = ses.get_account(creds->creds);
  }
  auto problem = [&](const ses_error& e, std::string_view action) -> connection_problem {
    if (e.code == send_errc::not_authorized)
      return {
          "aws.ses_permission",
          "The role " + conn.target.role_arn + " was assumed, but SES refused " +
              std::string(action) + " in " + region + ": attach a policy to the role that allows " +
              "ses:GetAccount, ses:SendEmail, ses:SendRawEmail, ses:SendBulkEmail, "
              "ses:ListSuppressedDestinations, ses:GetSuppressedDestination, "
              "ses:PutSuppressedDestination, ses:DeleteSuppressedDestination, "
              "ses:GetConfigurationSet and ses:GetConfigurationSetEventDestinations — the "
              "onboarding stack (`sesami connect`, docs/connect-aws.md) grants exactly these (" +
              e.message + ")"};
    if (e.code == send_errc::throttled) return {"aws.throttled", e.message};
    if (e.code == send_errc::unavailable)
      return {"aws.unreachable", "SES in " + region + " could not be reached: " + e.message +
                                     " (check the region name)"};
    return {"aws.bad_response", e.message};
  };
  if (!account) return problem(account.error(), "ses:GetAccount");
  if (!conn.configuration_set.empty()) {
    auto set = ses.get_configuration_set(creds->creds, conn.configuration_set);
    if (!set) {
      if (set.error().aws_code == "NotFoundException")
        return connection_problem{
            "aws.wrong_region",
            "The configuration set '" + conn.configuration_set + "' does not exist in " + region +
                ": SES configuration sets are regional — pick the region where it was created, or "
                "create it there with an event destination for SESami"};
      return problem(set.error(), "ses:GetConfigurationSet");
    }
  }
  connection_report r;
  if (!conn.configuration_set.empty()) {
    // Reported, not failed: the role and account work; the dashboard and doctor say what to fix.
    auto dests = ses.get_configuration_set_event_destinations(creds->creds, conn.configuration_set);
    r.event_destination = dests ? check_event_destinations(conn.configuration_set, mode, *dests)
                                : event_destinations_unreadable(
                                      conn.configuration_set, conn.target.role_arn, dests.error());
  }
  r.account_id = creds->account_id;
  r.region = region;
  r.assumed_role_arn = creds->assumed_role_arn;
  r.account = *account;
  r.credentials_expire_at = creds->creds.expires.value_or(std::chrono::system_clock::time_point{});
  return r;
}

}  // namespace sesami::aws
