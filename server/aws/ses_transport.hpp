#pragma once
// The SES transport: app::mail_transport over SES v2 in the workspace's own AWS account. For each
// call: the workspace's AWS connection → its assumed-role credentials (role_credentials: cached,
// refreshed before expiry) → SES v2 in the connection's region. Credentials that SES says have
// expired or were revoked are dropped and fetched once more before the error is reported.
//
// Also the connection check behind GET /verify-sts: AssumeRole + GetAccount (+ the configuration
// set and its event destinations when one is named), each failure turned into the error a person
// can act on.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "app/mail_transport.hpp"
#include "event_destinations.hpp"
#include "ses_v2.hpp"
#include "sts.hpp"

namespace sesami::aws {

/// What the transport needs of a workspace's AWS connection.
struct workspace_aws {
  role_target target;             // workspace, role ARN, External ID, region
  std::string configuration_set;  // default for mails that name none
};
/// nullopt: the workspace has no AWS connection.
using connection_lookup = std::function<std::optional<workspace_aws>(std::string_view workspace)>;

class ses_transport final : public app::mail_transport {
 public:
  ses_transport(http_client& http, role_credentials& roles, connection_lookup lookup,
                std::string ses_endpoint_override = {});
  std::string_view name() const noexcept override { return "ses"; }
  app::send_result<std::string> send(std::string_view workspace,
                                     const app::outgoing_mail& mail) override;
  app::send_result<std::vector<app::bulk_entry_result>> send_bulk(
      std::string_view workspace, const app::bulk_mail& mail) override;

 private:
  ses_v2_client& client_for(const std::string& region);
  http_client& http_;
  role_credentials& roles_;
  connection_lookup lookup_;
  std::string endpoint_override_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<ses_v2_client>, std::less<>> clients_;
};

/// An STS failure as a send error (credentials and trust problems are not_authorized).
app::send_error to_send_error(const sts_error& e);

// ---- GET /verify-sts ------------------------------------------------------------------------
struct connection_report {
  std::string account_id;
  std::string region;
  std::string assumed_role_arn;
  account_info account;
  std::chrono::system_clock::time_point credentials_expire_at;
  /// The configuration set's event destinations as `sesami doctor` judges them; nullopt when no
  /// configuration set is saved. A failing verdict does not fail the check: the connection works.
  std::optional<event_destination_verdict> event_destination;
};
struct connection_problem {
  std::string code;     // "aws.assume_role_denied", "aws.ses_permission", "aws.wrong_region", ...
  std::string message;  // what to fix
};
/// `mode`: the saved delivery mode, for where the event destination must point.
boost::system::result<connection_report, connection_problem> check_connection(
    role_credentials& roles, http_client& http, const workspace_aws& conn,
    std::string_view ses_endpoint_override = {}, std::string_view mode = {});

}  // namespace sesami::aws
