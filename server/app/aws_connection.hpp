#pragma once
// The workspace's AWS connection as a use case: read it (generating the External ID the first
// time), change it (validated: role ARN, region, configuration set, queue URL, mode), remove it,
// check it (AssumeRole + SES GetAccount + the configuration set's event destinations: GET
// /verify-sts), and look it up for the SES transport.
#include <optional>
#include <string>
#include <string_view>

#include "app/auth.hpp"
#include "aws/ses_transport.hpp"
#include "aws/sqs.hpp"
#include "store/aws_connections.hpp"

namespace sesami::app {

struct aws_settings_input {
  std::string role_arn;
  std::string region;
  std::string configuration_set;  // optional: empty
  std::string queue_url;          // optional: empty
  std::string mode;               // optional: "sqs" | "api-destination" | "event-bus" | ""
};

/// A fresh External ID: 20 random bytes (160 bits) from libsodium, as 40 hex digits.
std::string new_external_id();

/// Field checks, each a validation.* failure naming the field; nullopt when the input is valid.
std::optional<failure> validate(const aws_settings_input& in);
/// A queue the workspace may poll: an SQS queue URL (aws::parse_sqs_queue_url) in the role's own
/// account and the connection's region; else validation.queue_url saying what is expected.
std::optional<failure> validate_queue_url(std::string_view url, std::string_view role_arn,
                                          std::string_view region);

/// The 12-digit account of an IAM role ARN (arn:<partition>:iam::<account>:role/...); empty when
/// `role_arn` is not one.
std::string role_account(std::string_view role_arn);

class aws_connection_service {
 public:
  aws_connection_service(store::aws_connections& db, aws::role_credentials& roles,
                         aws::http_client& http, std::string ses_endpoint_override = {});

  outcome<store::aws_connection_row> get(std::string_view workspace);
  outcome<store::aws_connection_row> put(std::string_view workspace, const aws_settings_input& in);
  outcome<void> remove(std::string_view workspace);
  /// aws.not_connected when there is no connection; the aws.* problem codes of check_connection.
  outcome<aws::connection_report> verify(std::string_view workspace);
  /// For the SES transport and the transport resolver: nullopt when not connected.
  std::optional<aws::workspace_aws> lookup(std::string_view workspace);
  /// The account of the workspace's connected role (SNS topics of that account are accepted);
  /// nullopt when not connected.
  outcome<std::optional<std::string>> connected_account(std::string_view workspace);

 private:
  store::aws_connections& db_;
  aws::role_credentials& roles_;
  aws::http_client& http_;
  std::string ses_endpoint_override_;
};

}  // namespace sesami::app
