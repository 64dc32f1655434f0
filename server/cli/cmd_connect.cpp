// `sesami connect`: hands the customer the CloudFormation template of their delivery mode with the
// workspace's values already filled in (as the parameters' defaults, so a console upload shows
// them pre-filled), plus the console steps and the `aws cloudformation deploy` command line.
// The templates are deploy/templates/, embedded at build time (cfn_templates.cpp): what the
// customer gets is exactly what deploy/'s tests checked.
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>

#include "api_client.hpp"
#include "cfn_templates.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {
namespace {

namespace json = boost::json;

/// Two-space indented JSON, keys in the template's order, for a file people read before uploading.
void pretty(const json::value& v, std::string& out, int depth) {
  const std::string pad(static_cast<std::size_t>(depth + 1) * 2, ' ');
  const std::string close(static_cast<std::size_t>(depth) * 2, ' ');
  if (const auto* o = v.if_object()) {
    if (o->empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& kv : *o) {
      if (!first) out += ",\n";
      first = false;
      out += pad + json::serialize(json::string(kv.key())) + ": ";
      pretty(kv.value(), out, depth + 1);
    }
    out += "\n" + close + "}";
  } else if (const auto* a = v.if_array()) {
    if (a->empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < a->size(); ++i) {
      if (i) out += ",\n";
      out += pad;
      pretty((*a)[i], out, depth + 1);
    }
    out += "\n" + close + "]";
  } else {
    out += json::serialize(v);
  }
}

/// Quotes a value for a POSIX shell when it needs it.
std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789@%_+=:,./-") == std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

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
  if (identities.size() > 5) {
    std::fprintf(stderr, "sesami connect: at most 5 --identity (the template has 5 slots)\n");
    return 2;
  }

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

  boost::system::error_code ec;
  auto tpl = json::parse(customer_template(mode), ec);
  if (ec || !tpl.is_object()) {
    std::fprintf(stderr, "sesami connect: no template for mode '%s'\n", mode.c_str());
    return 2;
  }
  auto& params = tpl.as_object()["Parameters"].as_object();

  // Every value is checked against the template's own AllowedPattern first, so a typo is reported
  // here with the option's name rather than by CloudFormation halfway through a deploy.
  std::vector<std::pair<std::string, std::string>> values{{"SesamiAccountId", sesami_account},
                                                          {"ExternalId", external_id},
                                                          {"ConfigurationSetName", config_set}};
  for (std::size_t i = 0; i < identities.size(); ++i)
    values.emplace_back("SendingIdentity" + std::to_string(i + 1), identities[i]);
  if (mode == "api-destination" && !ingest_url.empty())
    values.emplace_back("IngestUrl", ingest_url);
  if (mode == "event-bus" && !bus_arn.empty()) values.emplace_back("SesamiEventBusArn", bus_arn);
  for (const auto& [name, value] : values) {
    auto* p = params.if_contains(name);
    if (!p) {
      std::fprintf(stderr, "sesami connect: the %s template has no parameter %s\n", mode.c_str(),
                   name.c_str());
      return 2;
    }
    auto& po = p->as_object();
    if (const auto* pat = po.if_contains("AllowedPattern"); pat && pat->is_string()) {
      const std::regex re(std::string(pat->get_string()));
      if (!std::regex_match(value, re)) {
        const auto* why = po.if_contains("ConstraintDescription");
        std::fprintf(
            stderr, "sesami connect: %s '%s' is not valid: %s\n", name.c_str(), value.c_str(),
            why && why->is_string() ? std::string(why->get_string()).c_str() : "see the template");
        return 2;
      }
    }
    po["Default"] = value;
  }

  std::string text;
  pretty(tpl, text, 0);
  text += "\n";
  {
    std::ofstream f(out_file, std::ios::binary | std::ios::trunc);
    if (!(f << text) || !(f.flush())) {
      std::fprintf(stderr, "sesami connect: cannot write %s\n", out_file.c_str());
      return 1;
    }
  }

  // The command line: every required parameter that has no default yet appears as a placeholder.
  std::string cmd = "aws cloudformation deploy --stack-name " + shell_quote(stack) +
                    " \\\n  --template-file " + shell_quote(out_file) +
                    " \\\n  --capabilities CAPABILITY_IAM";
  std::string overrides;
  std::vector<std::string> missing;
  for (const auto& kv : params) {
    const auto& po = kv.value().as_object();
    if (po.if_contains("Default")) continue;
    const std::string name(kv.key());
    if (name == "IngestSecret")
      overrides += " \\\n      IngestSecret=\"$SESAMI_INGEST_SECRET\"";
    else {
      overrides += " \\\n      " + name + "=<" + name + ">";
      missing.push_back(name);
    }
  }
  if (!overrides.empty()) cmd += " \\\n  --parameter-overrides" + overrides;

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
      shell_quote(stack).c_str(), mode == "sqs" ? " and QueueUrl" : "", shell_quote(stack).c_str());
  return 0;
}

}  // namespace sesami::cli
