#include "aws_connection.hpp"

#include <algorithm>
#include <chrono>
#include <regex>

#include <sodium.h>

namespace sesami::app {

namespace {
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::string new_external_id() {
  unsigned char b[20];
  randombytes_buf(b, sizeof b);
  char hex[sizeof b * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, b, sizeof b);
  return hex;
}

std::optional<failure> validate_queue_url(std::string_view url, std::string_view role_arn,
                                          std::string_view region) {
  // The queue is read with the workspace's role and nothing else, so it must be in the role's
  // account; the region signs the requests, so the queue must be in it.
  const std::string account = role_account(role_arn);
  const std::string expected = "queueUrl must be the URL of an SQS queue in the role's account " +
                               account + " and region " + std::string(region) + ": " +
                               aws::sqs_endpoint(region) + "/" + account + "/<queue name>";
  auto q = aws::parse_sqs_queue_url(url);
  if (!q) return failure{"validation.queue_url", expected + " (" + q.error() + ")"};
  if (q->account != account)
    return failure{"validation.queue_url",
                   expected + " (this queue is in account " + q->account + ")"};
  if (q->region != region)
    return failure{"validation.queue_url",
                   expected + " (this queue is in region " + q->region + ")"};
  return std::nullopt;
}

std::optional<failure> validate(const aws_settings_input& in) {
  // IAM role ARNs (with an optional path) in the aws, aws-cn and aws-us-gov partitions.
  static const std::regex role(R"(arn:aws(-cn|-us-gov)?:iam::\d{12}:role/[\w+=,.@/-]{1,512})");
  static const std::regex region(R"([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})");
  static const std::regex set(R"([A-Za-z0-9_-]{1,64})");
  if (in.role_arn.empty() || !std::regex_match(in.role_arn, role))
    return failure{
        "validation.role_arn",
        "roleArn must be an IAM role ARN such as arn:aws:iam::123456789012:role/SesamiAccess"};
  if (in.region.empty() || !std::regex_match(in.region, region))
    return failure{"validation.region", "region must be an AWS region name such as eu-west-1"};
  if (!in.configuration_set.empty() && !std::regex_match(in.configuration_set, set))
    return failure{"validation.configuration_set",
                   "configurationSet: 1 to 64 letters, digits, '_' or '-'"};
  if (!in.queue_url.empty())
    if (auto bad = validate_queue_url(in.queue_url, in.role_arn, in.region)) return bad;
  if (!in.mode.empty() && in.mode != "sqs" && in.mode != "api-destination" &&
      in.mode != "event-bus")
    return failure{"validation.mode", "mode must be one of sqs, api-destination, event-bus"};
  if (in.mode == "sqs" && in.queue_url.empty())
    return failure{"validation.queue_url", "mode sqs needs a queueUrl"};
  return std::nullopt;
}

std::string role_account(std::string_view arn) {
  // arn:<partition>:iam::<account>:role/<name>
  if (!arn.starts_with("arn:aws")) return {};
  const auto at = arn.find(":iam::");
  if (at == std::string_view::npos || arn.size() < at + 6 + 13) return {};
  const auto account = arn.substr(at + 6, 12);
  if (arn[at + 6 + 12] != ':' ||
      !std::all_of(account.begin(), account.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return {};
  return std::string(account);
}

aws_connection_service::aws_connection_service(store::aws_connections& db,
                                               aws::role_credentials& roles, aws::http_client& http,
                                               std::string ses_endpoint_override)
    : db_(db),
      roles_(roles),
      http_(http),
      ses_endpoint_override_(std::move(ses_endpoint_override)) {}

outcome<store::aws_connection_row> aws_connection_service::get(std::string_view workspace) {
  auto r = db_.ensure(workspace, new_external_id(), now_ms());
  if (!r) return from_store(r.error());
  return std::move(*r);
}

outcome<store::aws_connection_row> aws_connection_service::put(std::string_view workspace,
                                                               const aws_settings_input& in) {
  if (auto bad = validate(in)) return *bad;
  auto row = db_.ensure(workspace, new_external_id(), now_ms());
  if (!row) return from_store(row.error());
  row->role_arn = in.role_arn;
  row->region = in.region;
  row->configuration_set = in.configuration_set;
  row->queue_url = in.queue_url;
  row->mode = in.mode;
  row->updated_at = now_ms();
  if (auto r = db_.connect(*row); !r) return from_store(r.error());
  return std::move(*row);
}

outcome<void> aws_connection_service::remove(std::string_view workspace) {
  if (auto cur = db_.get(workspace); cur && *cur && (*cur)->connected())
    roles_.invalidate(
        {std::string(workspace), (*cur)->role_arn, (*cur)->external_id, (*cur)->region});
  if (auto r = db_.disconnect(workspace, now_ms()); !r) return from_store(r.error());
  return {};
}

std::optional<aws::workspace_aws> aws_connection_service::lookup(std::string_view workspace) {
  auto r = db_.get(workspace);
  if (!r || !*r || !(*r)->connected()) return std::nullopt;
  const auto& row = **r;
  return aws::workspace_aws{{row.workspace, row.role_arn, row.external_id, row.region},
                            row.configuration_set};
}

outcome<std::optional<std::string>> aws_connection_service::connected_account(
    std::string_view workspace) {
  auto r = db_.get(workspace);
  if (!r) return from_store(r.error());
  if (!*r || !(*r)->connected()) return std::optional<std::string>();
  auto account = role_account((*r)->role_arn);
  if (account.empty()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(account));
}

outcome<aws::connection_report> aws_connection_service::verify(std::string_view workspace) {
  auto row = db_.get(workspace);
  if (!row) return from_store(row.error());
  if (!*row || !(*row)->connected())
    return failure{"aws.not_connected",
                   "this workspace has no AWS connection configured (role ARN and region); "
                   "nothing was checked"};
  const auto& c = **row;
  const aws::workspace_aws conn{{c.workspace, c.role_arn, c.external_id, c.region},
                                c.configuration_set};
  // The mode says where the configuration set's event destination must point.
  auto r = aws::check_connection(roles_, http_, conn, ses_endpoint_override_, c.mode);
  if (!r) return failure{r.error().code, r.error().message};
  return std::move(*r);
}

}  // namespace sesami::app
