// `sesami doctor`: proves the sending-and-events pipeline of one workspace end to end, step by
// step, and stops at the first failure with what to fix. It talks to the running server through
// its API (an admin API key), so it checks what actually runs:
//   1. the server answers                      GET /health
//   2. the API key is accepted                 GET /settings/aws
//   3. an AWS connection is saved              (--allow-simulator: go on with the simulator)
//   4. the role is assumable with the External ID, 5. SES production access and sending enabled
//                                              GET /verify-sts
//   6. the configuration set exists, sends, and has its EventBridge destination on the default
//      bus for the event types SESami needs (aws/event_destinations.hpp, the same verdict as
//      GET /verify-sts; OPEN/CLICK/SUBSCRIPTION missing only warn): read through the customer's
//      role itself, with SESami's own AWS credentials on this machine (skipped, saying so,
//      where there are none)
//   7. a test send to success@simulator.amazonses.com      POST /mail
//   8. its Send and Delivery events arrive within --timeout GET /events?messageId=
// Exit status: 0 all passed, 1 a check failed, 2 usage.
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/serialize.hpp>

#include "../app/pipeline_hints.hpp"
#include "../aws/credentials.hpp"
#include "../aws/event_destinations.hpp"
#include "../aws/ses_v2.hpp"
#include "../aws/sigv4.hpp"
#include "../aws/sts.hpp"
#include "api_client.hpp"
#include "cmd_store_common.hpp"

namespace sesami::cli {
namespace {

namespace json = boost::json;

class report {
 public:
  explicit report(bool as_json) : json_(as_json) {}
  void ok(std::string name, std::string detail = {}) {
    add("ok", std::move(name), std::move(detail));
  }
  void skip(std::string name, std::string detail) {
    add("skip", std::move(name), std::move(detail));
  }
  /// Passed, with something the person may want to change; the run goes on.
  void warn(std::string name, std::string detail) {
    add("warn", std::move(name), std::move(detail));
  }
  /// Records the failure and returns the exit status.
  int fail(std::string name, std::string detail) {
    add("fail", std::move(name), std::move(detail));
    return finish(false);
  }
  int finish(bool passed) {
    if (json_) {
      json::array steps;
      for (const auto& s : steps_)
        steps.push_back(json::object{{"step", s.name}, {"status", s.status}, {"detail", s.detail}});
      std::printf("%s\n", json::serialize(json::object{{"ok", passed}, {"steps", steps}}).c_str());
    } else {
      std::printf(passed ? "all checks passed\n" : "stopped at the first failure\n");
    }
    std::fflush(stdout);
    return passed ? 0 : 1;
  }

 private:
  struct step {
    std::string status, name, detail;
  };
  void add(std::string status, std::string name, std::string detail) {
    if (!json_) {
      std::printf("  %-5s %s\n", status == "fail" ? "FAIL" : status.c_str(), name.c_str());
      if (!detail.empty()) {
        // Indent every line of the detail under the step.
        std::string indented = "        ";
        for (char c : detail) {
          indented += c;
          if (c == '\n') indented += "        ";
        }
        std::printf("%s\n", indented.c_str());
      }
      std::fflush(stdout);
    }
    steps_.push_back({std::move(status), std::move(name), std::move(detail)});
  }
  bool json_;
  std::vector<step> steps_;
};

double num_member(const json::value& v, std::string_view key) {
  if (const auto* o = v.if_object())
    if (const auto* m = o->if_contains(key)) {
      if (m->is_double()) return m->get_double();
      if (m->is_int64()) return static_cast<double>(m->get_int64());
      if (m->is_uint64()) return static_cast<double>(m->get_uint64());
    }
  return 0;
}
bool bool_member(const json::value& v, std::string_view key) {
  if (const auto* o = v.if_object())
    if (const auto* m = o->if_contains(key); m && m->is_bool()) return m->get_bool();
  return false;
}

std::string hex_token() {
  std::random_device rd;
  std::uniform_int_distribution<unsigned> d(0, 15);
  std::string s;
  for (int i = 0; i < 16; ++i) s += "0123456789abcdef"[d(rd)];
  return s;
}

struct aws_endpoints {
  std::string sts, ses;  // empty: AWS's own for the region
};

struct check {
  std::string status;  // "ok", "warn", "skip", "fail"
  std::string detail;
};

/// Step 6: the configuration set as SES sees it, through the customer's role.
check configuration_set_check(const json::value& settings, const aws_endpoints& ep) {
  const auto region = str_member(settings, "region");
  const auto cs = str_member(settings, "configurationSet");
  if (cs.empty())
    return {"fail",
            "Settings > AWS names no configuration set: save the stack's ConfigurationSet "
            "output there, or SES publishes no events for SESami's mail"};
  aws::http_client http;
  aws::credentials_provider own(aws::process_env(), http);
  auto c = own.get();
  if (!c)
    return {"skip", "needs SESami's own AWS credentials on this machine, as the server has them (" +
                        c.error().message + "); the test send below still proves the path"};
  aws::assume_role_params p{str_member(settings, "roleArn"), str_member(settings, "externalId"),
                            "sesami-doctor", std::chrono::seconds(900)};
  auto role = aws::assume_role(http, c->creds, aws::sts_endpoint(region, ep.sts), region, p);
  if (!role)
    return {"fail", "AssumeRole with this machine's credentials (" + c->source + "): " +
                        std::string(aws::to_id(role.error().code)) + ": " + role.error().message};
  aws::ses_v2_client ses(http, region, ep.ses);
  const auto denied = [&](const aws::ses_error& e, const char* action) -> std::optional<check> {
    if (e.aws_code == "NotFoundException")
      return check{"fail", "configuration set '" + cs + "' does not exist in " + region +
                               ": deploy the stack in that region, or save the name its "
                               "ConfigurationSet output shows"};
    if (e.http_status == 403)
      return check{"fail", std::string("the role may not call ") + action + " (" + e.aws_code +
                               "): deploy the current template (`sesami connect`)"};
    return std::nullopt;
  };
  auto info = ses.get_configuration_set(role->creds, cs);
  if (!info) {
    if (auto d = denied(info.error(), "ses:GetConfigurationSet")) return *d;
    return {"fail", "GetConfigurationSet: " + info.error().aws_code + " " + info.error().message};
  }
  if (!info->sending_enabled)
    return {"fail", "sending is paused on configuration set '" + cs +
                        "': SES console > Configuration sets > " + cs + " > enable sending"};
  // The verdict GET /verify-sts gives too (aws/event_destinations.hpp): one decision, two callers.
  auto dests = ses.get_configuration_set_event_destinations(role->creds, cs);
  const auto v = dests ? aws::check_event_destinations(cs, str_member(settings, "mode"), *dests)
                       : aws::event_destinations_unreadable(cs, p.role_arn, dests.error());
  return {v.status, v.message};
}

}  // namespace

int run_doctor(args a) {
  CLI::App app{"Check a workspace's AWS connection and event pipeline, step by step.",
               "sesami doctor"};
  api_target target;
  add_api_options(app, target);
  std::string from, to = "success@simulator.amazonses.com";
  int timeout_s = 60;
  bool allow_simulator = false, as_json = false;
  app.add_option("--from", from,
                 "sender of the test mail: an address of one of the stack's sending identities")
      ->required();
  app.add_option("--to", to,
                 "recipient of the test mail (default success@simulator.amazonses.com)");
  app.add_option("--timeout", timeout_s,
                 "seconds to wait for the Send and Delivery events (default 60)")
      ->check(CLI::Range(1, 3600));
  app.add_flag("--allow-simulator", allow_simulator,
               "without an AWS connection, check the pipeline with the built-in simulator");
  app.add_flag("--json", as_json, "print one JSON object instead of the steps");
  // The same endpoint settings as `sesami serve`, so doctor reads what the server would.
  aws_endpoints ep;
  app.add_option("--aws-sts-endpoint", ep.sts, "STS endpoint URL (env SESAMI_AWS_STS_ENDPOINT)")
      ->envname("SESAMI_AWS_STS_ENDPOINT");
  app.add_option("--aws-ses-endpoint", ep.ses, "SES v2 endpoint URL (env SESAMI_AWS_SES_ENDPOINT)")
      ->envname("SESAMI_AWS_SES_ENDPOINT");
  if (int rc = parse_args(app, a); rc >= 0) return rc;

  api_client api(target);
  report rep(as_json);
  if (!as_json) std::printf("sesami doctor: %s\n", api.url().c_str());

  // 1. The server answers.
  {
    auto r = api.call("GET", "/health", {}, 5000);
    if (!r)
      return rep.fail("SESami answers",
                      r.error() + "\nIs `sesami serve` running there? (--url, SESAMI_URL)");
    if (r->status != 200)
      return rep.fail("SESami answers", "GET /health answered " + std::to_string(r->status) +
                                            " (storage: " + str_member(r->body, "storage") + ")");
    rep.ok("SESami answers", "version " + str_member(r->body, "version"));
  }

  // 2-3. The API key, and the saved connection.
  json::value settings;
  {
    auto r = api.call("GET", "/settings/aws");
    if (!r) return rep.fail("API key accepted", r.error());
    if (r->status == 401)
      return rep.fail("API key accepted",
                      "the API key was refused (401 " + r->error_code() +
                          "): create one in Settings > API keys (role admin) and pass it with "
                          "--api-key or SESAMI_API_KEY");
    if (r->status == 403)
      return rep.fail("API key accepted", "the API key is not an admin key (403 " +
                                              r->error_code() + "): doctor sends a test mail");
    if (r->status == 404)
      return rep.fail(
          "API key accepted",
          "this server has no GET /settings/aws: it predates AWS connections; upgrade it");
    if (r->status != 200)
      return rep.fail(
          "API key accepted",
          "GET /settings/aws answered " + std::to_string(r->status) + ": " + r->error_message());
    rep.ok("API key accepted");
    settings = r->body;
  }

  const bool connected = bool_member(settings, "connected");
  const std::string mode = connected ? str_member(settings, "mode") : std::string();
  const std::string config_set = str_member(settings, "configurationSet");
  if (!connected) {
    if (!allow_simulator)
      return rep.fail("AWS connection saved",
                      "this workspace has no AWS connection. Run `sesami connect` for the "
                      "CloudFormation template and the deploy command, deploy it, then save its "
                      "outputs (RoleArn, Region, ConfigurationSet, QueueUrl) in Settings > AWS. "
                      "External ID: " +
                          str_member(settings, "externalId") +
                          "\n(--allow-simulator checks the pipeline with the built-in simulator)");
    rep.skip("AWS connection saved", "not connected: the test send goes to the built-in simulator");
  } else {
    rep.ok("AWS connection saved", str_member(settings, "roleArn") + " in " +
                                       str_member(settings, "region") + ", delivery " +
                                       (mode.empty() ? std::string("sqs") : mode));

    // 4-5. Assume the role with the External ID; read the SES account.
    auto r = api.call("GET", "/verify-sts", {}, 30000);
    if (!r) return rep.fail("role assumable with the External ID", r.error());
    if (r->status != 200) {
      // The server checks, in order: AssumeRole, GetAccount, GetConfigurationSet; its error code
      // says which one stopped it.
      const auto code = r->error_code();
      std::string step = "SES reachable through the role";
      if (code == "aws.assume_role_denied" || code == "aws.own_credentials_expired" ||
          code == "aws.own_credentials_invalid" || code == "aws.no_credentials" ||
          code == "aws.invalid_role")
        step = "role assumable with the External ID";
      else if (code == "aws.ses_permission")
        step = "SES account readable through the role";
      else if (code == "aws.wrong_region")
        step = "region and configuration set";
      std::string fix;
      if (code == "aws.assume_role_denied")
        fix =
            "\nThe role's trust policy must name SESami's account and this workspace's External "
            "ID (" +
            str_member(settings, "externalId") +
            "): deploy the template `sesami connect` prints, and save the stack's RoleArn output.";
      else if (code == "aws.ses_permission")
        fix = "\nThe role lacks ses:GetAccount: deploy the current template (`sesami connect`).";
      return rep.fail(step, code + ": " + r->error_message() + fix);
    }
    rep.ok("role assumable with the External ID",
           "assumed " + str_member(r->body, "assumedRoleArn"));
    if (!bool_member(r->body, "sendingEnabled"))
      return rep.fail("SES production access and sending enabled",
                      "sending is disabled for this SES account in " +
                          str_member(settings, "region") +
                          " (AWS pauses it after reputation problems): SES console > Account "
                          "dashboard shows why and how to ask for it back");
    if (!bool_member(r->body, "productionAccess"))
      return rep.fail("SES production access and sending enabled",
                      "the SES account in " + str_member(settings, "region") +
                          " is in the sandbox: it may only send to verified addresses. Request "
                          "production access (SES console > Account dashboard > Request "
                          "production access)");
    char quota[160];
    std::snprintf(quota, sizeof quota, "%.0f/s, %.0f of %.0f sent in the last 24 h",
                  num_member(r->body, "maxSendRate"), num_member(r->body, "sentLast24Hours"),
                  num_member(r->body, "max24HourSend"));
    rep.ok("SES production access and sending enabled", quota);

    // 6. The configuration set, read through the role.
    const auto cs = configuration_set_check(settings, ep);
    const std::string step = "configuration set with its event destination";
    if (cs.status == "fail") return rep.fail(step, cs.detail);
    if (cs.status == "skip")
      rep.skip(step, cs.detail);
    else if (cs.status == "warn")
      rep.warn(step, cs.detail);
    else
      rep.ok(step, cs.detail);
  }

  // 7. The test send.
  const std::string correlation = "doctor-" + hex_token();
  std::string message_id;
  {
    json::object body{{"from", from},
                      {"to", json::array{json::value(to)}},
                      {"subject", "SESami doctor " + correlation},
                      {"text", "A test message from `sesami doctor`; nothing to do."},
                      {"correlationId", correlation}};
    auto r = api.call("POST", "/mail", json::serialize(body), 60000);
    const std::string step = "test send to " + to;
    if (!r) return rep.fail(step, r.error());
    if (r->status != 200) {
      std::string fix;
      const auto code = r->error_code();
      if (r->status == 403 || code.find("permission") != std::string::npos ||
          code.find("denied") != std::string::npos)
        fix =
            "\nThe role may send only through the stack's SendingIdentity parameters and its "
            "configuration set: is " +
            from + " (or its domain) one of them, and verified in SES?";
      return rep.fail(step,
                      std::to_string(r->status) + " " + code + ": " + r->error_message() + fix);
    }
    message_id = str_member(r->body, "messageId");
    const std::string transport = str_member(r->body, "transport");
    if (message_id.empty()) return rep.fail(step, "POST /mail answered 200 without a messageId");
    if (connected && transport != "ses")
      return rep.fail(step, "the workspace is connected but the mail went through '" + transport +
                                "', not SES: the server did not use the saved connection");
    rep.ok(step, "messageId " + message_id + " via " + transport);
  }

  // 8. Its events, through the configured path.
  {
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + std::chrono::seconds(timeout_s);
    bool send = false, delivery = false;
    std::string last_error;
    const std::string path = "/events?messageId=" + aws::uri_encode(message_id) + "&limit=50";
    for (;;) {
      auto r = api.call("GET", path);
      if (!r)
        last_error = r.error();
      else if (r->status != 200)
        last_error =
            "GET /events answered " + std::to_string(r->status) + ": " + r->error_message();
      else if (const auto* o = r->body.if_object())
        if (const auto* evs = o->if_contains("events"); evs && evs->is_array())
          for (const auto& e : evs->get_array()) {
            const auto type = str_member(e, "type");
            send = send || type == "send";
            delivery = delivery || type == "delivery";
          }
      if (send && delivery) break;
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    const auto waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f s", waited);
    const std::string step = "Send and Delivery events arrive";
    if (!send)
      return rep.fail(
          step, "no Send event for " + message_id + " within " + std::to_string(timeout_s) + " s" +
                    (last_error.empty() ? "" : " (" + last_error + ")") + ". " +
                    app::missing_events_hint({mode, str_member(settings, "queueUrl"), config_set}));
    if (!delivery)
      return rep.fail(step,
                      "the Send event arrived but no Delivery within " + std::to_string(timeout_s) +
                          " s: the event destination must publish DELIVERY events (redeploy the "
                          "stack if it was edited), or SES is slow today (try --timeout 180)");
    rep.ok(step, std::string("both within ") + secs);
  }
  return rep.finish(true);
}

}  // namespace sesami::cli
