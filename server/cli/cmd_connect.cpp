// `sesami connect`: hands the customer the CloudFormation template of their delivery mode with the
// workspace's values already filled in (as the parameters' defaults, so a console upload shows
// them pre-filled), plus the console steps and the `aws cloudformation deploy` command line.
// The filling-in is app/onboarding.hpp's, shared with POST /settings/aws/template (the
// dashboard's download): both hand out the same bytes.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "../app/onboarding.hpp"
#include "api_client.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {

int run_connect(args a) {
  CLI::App app{"Print the CloudFormation template that connects an AWS account to this workspace.",
               "sesami connect"};
  api_target target;
  add_api_options(app, target);
  std::string mode, sesami_account, config_set, ingest_url, bus_arn, out_file, stack = "sesami";
  std::vector<std::string> identities;
  app.add_option("--mode", mode,
                 "event delivery: sqs (default; SESami polls a queue in your account), "
                 "api-destination (EventBridge posts to SESami), event-bus (SESami's bus)")
      ->check(CLI::IsMember({"sqs", "api-destination", "event-bus"}));
  app.add_option("--sesami-account", sesami_account,
                 "the AWS account SESami runs under (12 digits): the role trusts only it")
      ->envname("SESAMI_AWS_ACCOUNT_ID")
      ->required();
  app.add_option("--identity", identities,
                 "a verified SES identity SESami may send from (domain or address); up to 5");
  app.add_option(
      "--configuration-set", config_set,
      "name of the configuration set the stack creates (default: the saved one, else sesami)");
  app.add_option("--ingest-url", ingest_url,
                 "api-destination: https://<public SESami>/ingest/eventbridge/<ingest token>");
  app.add_option("--event-bus-arn", bus_arn,
                 "event-bus: the SesamiSide stack's EventBusArn output");
  app.add_option("--out", out_file, "write the template here (default sesami-<mode>.json)");
  app.add_option("--stack-name", stack,
                 "CloudFormation stack name in the command (default sesami)");
  if (int rc = parse_args(app, a); rc >= 0) return rc;

  api_client api(target);
  auto r = api.call("GET", "/settings/aws");
  if (!r) {
    std::fprintf(stderr, "sesami connect: %s\n", r.error().c_str());
    return 1;
  }
  if (r->status != 200) {
    std::fprintf(stderr, "sesami connect: GET /settings/aws answered %ld %s: %s\n", r->status,
                 r->error_code().c_str(), r->error_message().c_str());
    return 1;
  }
  const std::string external_id = str_member(r->body, "externalId");
  if (external_id.empty()) {
    std::fprintf(stderr, "sesami connect: the server sent no External ID for this workspace\n");
    return 1;
  }
  if (mode.empty()) mode = str_member(r->body, "mode");
  if (mode.empty()) mode = "sqs";
  if (config_set.empty()) config_set = str_member(r->body, "configurationSet");
  if (config_set.empty()) config_set = "sesami";
  if (out_file.empty()) out_file = "sesami-" + mode + ".json";

  app::template_request req;
  req.mode = mode;
  req.sesami_account = sesami_account;
  req.external_id = external_id;
  req.configuration_set = config_set;
  req.ingest_url = ingest_url;
  req.event_bus_arn = bus_arn;
  req.identities = identities;
  req.stack_name = stack;
  req.file_name = out_file;
  auto filled = app::fill_customer_template(req);
  if (!filled) {
    std::fprintf(stderr, "sesami connect: %s\n", filled.error().message.c_str());
    return 2;
  }
  {
    std::ofstream f(out_file, std::ios::binary | std::ios::trunc);
    if (!(f << filled->text) || !(f.flush())) {
      std::fprintf(stderr, "sesami connect: cannot write %s\n", out_file.c_str());
      return 1;
    }
  }
  const auto& missing = filled->missing;
  const std::string& cmd = filled->command;

  std::printf("Wrote %s: the %s template for this workspace (External ID %s).\n\n",
              out_file.c_str(), mode.c_str(), external_id.c_str());
  if (!missing.empty()) {
    std::printf("Still to fill in:");
    for (const auto& m : missing) std::printf(" %s", m.c_str());
    std::printf(missing.size() == 1 && missing[0] == "SendingIdentity1"
                    ? " (a domain or address verified in SES; --identity fills it)\n\n"
                    : "\n\n");
  }
  std::printf(
      "Console: CloudFormation > Create stack > Upload a template file > %s, check the\n"
      "parameters, tick \"I acknowledge that AWS CloudFormation might create IAM resources\", "
      "Submit.\n\n"
      "Command line (AWS CLI, in the region you send from):\n\n%s\n\n",
      out_file.c_str(), cmd.c_str());
  if (mode == "api-destination")
    std::printf(
        "IngestSecret is the workspace's ingest secret (shown once by `sesami workspace create` "
        "or\n"
        "`sesami workspace rotate-token`); CloudFormation never shows it back. Then connect the\n"
        "account: POST /workspace/aws-accounts {\"accountId\":\"<your account>\"}.\n\n");
  std::printf(
      "Then: aws cloudformation describe-stacks --stack-name %s --query 'Stacks[0].Outputs'\n"
      "and save RoleArn, Region, ConfigurationSet%s in Settings > AWS (PUT /settings/aws),\n"
      "then check everything with: sesami doctor --from <address at a sending identity>\n"
      "Removing it all later: aws cloudformation delete-stack --stack-name %s "
      "(docs/connect-aws.md)\n",
      app::shell_quote(stack).c_str(), mode == "sqs" ? " and QueueUrl" : "",
      app::shell_quote(stack).c_str());
  return 0;
}

}  // namespace sesami::cli
