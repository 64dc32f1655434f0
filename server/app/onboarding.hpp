#pragma once
// The customer onboarding CloudFormation template of one delivery mode with a workspace's values
// filled in: one function behind both `sesami connect` and POST /settings/aws/template, so the
// file a customer downloads from the dashboard and the one the CLI writes are the same bytes.
// The templates are deploy/templates/sesami-customer-<mode>.json, embedded at build time
// (embed_templates.cmake): what the customer gets is exactly what deploy/'s tests checked.
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "auth.hpp"

namespace sesami::app {

/// The embedded template for "sqs", "api-destination" or "event-bus"; empty for any other mode.
std::string_view customer_template(std::string_view mode) noexcept;

struct template_request {
  std::string mode = "sqs";
  std::string sesami_account;           // SESami's AWS account id; empty: left for the customer
  std::string external_id;              // the workspace's; required
  std::string configuration_set;        // empty: the template's default (sesami)
  std::string ingest_url;               // api-destination only; empty: left for the customer
  std::string event_bus_arn;            // event-bus only; empty: left for the customer
  std::vector<std::string> identities;  // up to 5 sending identities
  std::string stack_name = "sesami";
  std::string file_name;  // in the command line; empty: sesami-<mode>.json
};

struct filled_template {
  std::string mode;
  std::string file_name;
  std::string text;                  // two-space indented JSON, ends with a newline
  boost::json::object parameters;    // every parameter filled in: name → value
  std::vector<std::string> missing;  // required parameters the customer still has to give
  std::string command;               // `aws cloudformation deploy ...`, ready to paste
};

/// Fills `r` into its mode's template as the parameters' defaults (a console upload shows them
/// pre-filled). Every value is checked against the template's own AllowedPattern first, so a typo
/// is a validation.* failure naming the parameter rather than a CloudFormation error halfway
/// through a deploy. The API destination's IngestSecret is never filled in: the command reads it
/// from $SESAMI_INGEST_SECRET, so no secret is written to a file or a page.
outcome<filled_template> fill_customer_template(const template_request& r);

/// SESami's AWS account id from SESAMI_AWS_ACCOUNT_ID (what `sesami connect` also reads), or "".
std::string configured_sesami_account();

/// Quotes a value for a POSIX shell when it needs it.
std::string shell_quote(std::string_view s);

}  // namespace sesami::app
