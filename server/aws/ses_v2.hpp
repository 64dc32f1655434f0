#pragma once
// The SES v2 REST-JSON API (https://docs.aws.amazon.com/ses/latest/APIReference-V2/), the calls
// SESami makes with a workspace's assumed-role credentials: GetAccount (/verify-sts), SendEmail
// (simple with attachments and headers, raw, template), SendBulkEmail, the account-level
// suppression list, and the configuration set checks behind `sesami doctor`. Errors carry SES's
// own code and the send_errc the mail use case acts on (retry, reject, re-authenticate).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/system/result.hpp>

#include "app/mail_transport.hpp"
#include "http_client.hpp"
#include "sigv4.hpp"

namespace sesami::aws {

struct ses_error {
  app::send_errc code = app::send_errc::unavailable;
  std::string aws_code;  // "MessageRejected", "TooManyRequestsException", ...; empty: transport
  std::string message;
  long http_status = 0;
};
template <class T>
using ses_result = boost::system::result<T, ses_error>;

/// SES's words for credentials that stopped being valid under us (expired early, or the role's
/// session was revoked): worth one fresh AssumeRole.
bool stale_credentials(const ses_error& e) noexcept;

/// The send_errc for an SES error code and HTTP status.
app::send_errc classify_ses_error(std::string_view aws_code, long http_status) noexcept;

struct account_info {
  bool production_access = false;  // false: the sandbox
  bool sending_enabled = false;
  std::string enforcement_status;  // "HEALTHY", "PROBATION", "SHUTDOWN"
  double max_send_rate = 0;        // per second
  double max_24_hour_send = 0;
  double sent_last_24_hours = 0;
};

using clock_time = std::chrono::system_clock::time_point;

struct suppressed_destination {
  std::string email_address;
  std::string reason;  // "BOUNCE" | "COMPLAINT"
  std::chrono::system_clock::time_point last_update_time;
};
struct suppression_page {
  std::vector<suppressed_destination> items;
  std::string next_token;  // empty: last page
};
struct list_suppressed_params {
  std::vector<std::string> reasons;  // empty: all
  std::optional<std::chrono::system_clock::time_point> start_date, end_date;
  std::string next_token;
  int page_size = 1000;  // SES allows 1..1000
};

struct configuration_set_info {
  std::string name;
  bool sending_enabled = true;
  bool reputation_metrics_enabled = false;
  std::string tls_policy;                       // "REQUIRE" | "OPTIONAL"
  std::vector<std::string> suppressed_reasons;  // the set's own suppression options, if any
};
struct event_destination {
  std::string name;
  bool enabled = false;
  std::vector<std::string> matching_event_types;  // "SEND", "BOUNCE", ...
  std::string kind;        // "sns" | "event-bridge" | "cloudwatch" | "firehose" | "pinpoint"
  std::string target_arn;  // topic / event bus / stream ARN where there is one
};

/// An SES v2 EmailTemplateContent with its name.
struct ses_template {
  std::string name, subject, text, html;
};
struct ses_template_page {
  std::vector<std::pair<std::string, clock_time>> items;  // name, CreatedTimestamp
  std::string next_token;                                 // empty: last page
};

/// "https://email.<region>.amazonaws.com" unless `override_url` is set.
std::string ses_endpoint(std::string_view region, std::string_view override_url = {});

class ses_v2_client {
 public:
  ses_v2_client(http_client& http, std::string region, std::string endpoint_override = {});

  ses_result<account_info> get_account(const credentials& c);
  /// SendEmail; the MessageId.
  ses_result<std::string> send_email(const credentials& c, const app::outgoing_mail& m);
  /// SendBulkEmail (≤ 50 destinations): one entry per destination, in order.
  ses_result<std::vector<app::bulk_entry_result>> send_bulk_email(const credentials& c,
                                                                  const app::bulk_mail& m);
  ses_result<suppression_page> list_suppressed_destinations(const credentials& c,
                                                            const list_suppressed_params& p);
  ses_result<void> put_suppressed_destination(const credentials& c, std::string_view email,
                                              std::string_view reason);
  /// NotFound is an error (aws_code "NotFoundException"): the caller decides whether it matters.
  ses_result<void> delete_suppressed_destination(const credentials& c, std::string_view email);
  ses_result<configuration_set_info> get_configuration_set(const credentials& c,
                                                           std::string_view name);
  ses_result<std::vector<event_destination>> get_configuration_set_event_destinations(
      const credentials& c, std::string_view name);

  // Stored templates (issue #20): CreateEmailTemplate, UpdateEmailTemplate, DeleteEmailTemplate,
  // GetEmailTemplate, ListEmailTemplates (PageSize 1..100), TestRenderEmailTemplate (the MIME).
  ses_result<void> create_email_template(const credentials& c, const ses_template& t);
  ses_result<void> update_email_template(const credentials& c, const ses_template& t);
  ses_result<void> delete_email_template(const credentials& c, std::string_view name);
  ses_result<ses_template> get_email_template(const credentials& c, std::string_view name);
  ses_result<ses_template_page> list_email_templates(const credentials& c,
                                                     std::string_view next_token, int page_size);
  ses_result<std::string> test_render_email_template(const credentials& c, std::string_view name,
                                                     std::string_view template_data);

  const std::string& region() const noexcept { return region_; }
  const std::string& endpoint() const noexcept { return endpoint_; }

 private:
  ses_result<http_response> call(const credentials& c, std::string method, std::string path,
                                 std::string query, std::string body);
  http_client& http_;
  std::string region_;
  std::string endpoint_;
};

/// The JSON bodies, exposed for tests.
std::string send_email_body(const app::outgoing_mail& m);
std::string send_bulk_email_body(const app::bulk_mail& m);
std::string base64_encode(std::string_view bytes);

}  // namespace sesami::aws
