// SES v2 against the real emulator (npm aws-ses-v2-local: SendEmail simple / raw / template,
// SendBulkEmail, GetAccount, templates) and, for what the emulator lacks (the account-level
// suppression list; ExpiredToken; AccessDenied per action), the signature-checking stand-in.
// The SES transport is exercised end to end: stand-in STS → cached credentials → emulator.
#include "aws/ses_templates.hpp"
#include "aws/ses_transport.hpp"
#include "aws/ses_v2.hpp"

#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "standin.hpp"

namespace {
using namespace sesami::aws;
namespace json = boost::json;
namespace app = sesami::app;
using namespace std::chrono;

const std::string ext = "0123456789abcdef0123456789abcdef";

const char* account_json =
    R"({"DedicatedIpAutoWarmupEnabled":false,"Details":{"AdditionalContactEmailAddresses":[],)"
    R"("ContactLanguage":"EN","MailType":"TRANSACTIONAL","ReviewDetails":{"CaseId":"c","Status":"GRANTED"},)"
    R"("UseCaseDescription":"u","WebsiteURL":"https://example.com"},"EnforcementStatus":"HEALTHY",)"
    R"("ProductionAccessEnabled":true,"SendingEnabled":true,"SendQuota":{"Max24HourSend":50000,)"
    R"("MaxSendRate":14,"SentLast24Hours":12},"SuppressionAttributes":{"SuppressedReasons":["BOUNCE"]}})";

// The emulator on a free loopback port, its /store readable.
struct emulator {
  std::unique_ptr<sesami::test::child_process> proc;
  std::string base;
  emulator() {
    const auto port = sesami::test::free_port();
    base = "http://127.0.0.1:" + std::to_string(port);
    proc = std::make_unique<sesami::test::child_process>(
        std::vector<std::string>{"node",
                                 std::string(SESAMI_AWS_TESTS_DIR) +
                                     "/ses-emulator/node_modules/aws-ses-v2-local/dist/cli.js",
                                 "--host", "127.0.0.1", "--port", std::to_string(port)},
        std::vector<std::string>{std::string("AWS_SES_ACCOUNT=") + account_json}, "server running");
  }
  json::array emails() const {
    http_client h;
    auto r = h.perform({"GET", base + "/store", {}, "", 5000, 2000});
    REQUIRE(r.has_value());
    return json::parse(r->body).as_object()["emails"].as_array();
  }
  void create_template(const std::string& name, const std::string& subject,
                       const std::string& text) const {
    http_client h;
    json::object b{
        {"TemplateName", name},
        {"TemplateContent",
         json::object{{"Subject", subject}, {"Text", text}, {"Html", "<p>" + text + "</p>"}}}};
    auto r = h.perform(
        {"POST",
         base + "/v2/email/templates",
         {{"Content-Type", "application/json"}, {"Authorization", "AWS4-HMAC-SHA256 test"}},
         json::serialize(b),
         5000,
         2000});
    REQUIRE(r.has_value());
    REQUIRE(r->status == 200);
  }
};

const credentials any_creds{"AKIAEXAMPLE", "secret", "", {}};

std::string s(const json::value& v) { return std::string(v.as_string()); }
}  // namespace

TEST_CASE("SendEmail bodies follow SES v2's shapes", "[ses]") {
  app::outgoing_mail m;
  m.from = "a@x.com";
  m.to = {"b@y.com"};
  m.simple = app::simple_content{
      "Hi", "text", "", {{"r.pdf", "application/pdf", std::string("\0\1\2", 3), "ATTACHMENT", ""}}};
  m.headers = {{"List-Unsubscribe", "<https://u>"}};
  m.tags = {{"workspace", "w1"}};
  m.configuration_set = "sesami";
  auto o = json::parse(send_email_body(m)).as_object();
  CHECK(o["Content"].at("Simple").at("Attachments").at(0).at("RawContent") == "AAEC");
  CHECK(o["Content"].at("Simple").at("Headers").at(0).at("Name") == "List-Unsubscribe");
  CHECK(o["EmailTags"].at(0).at("Value") == "w1");
  CHECK(o["ConfigurationSetName"] == "sesami");
  CHECK_FALSE(o["Destination"].as_object().contains("CcAddresses"));
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("ab") == "YWI=");
  CHECK(classify_ses_error("TooManyRequestsException", 429) == app::send_errc::throttled);
  CHECK(classify_ses_error("MessageRejected", 400) == app::send_errc::rejected);
  CHECK(classify_ses_error("SendingPausedException", 400) == app::send_errc::account_paused);
  CHECK(classify_ses_error("ExpiredTokenException", 403) == app::send_errc::not_authorized);
  CHECK(classify_ses_error("", 503) == app::send_errc::unavailable);
  CHECK(classify_ses_error("BadRequestException", 400) == app::send_errc::bad_request);
  CHECK(ses_endpoint("eu-west-1") == "https://email.eu-west-1.amazonaws.com");
}

TEST_CASE("SES v2 against the aws-ses-v2-local emulator", "[ses]") {
  emulator emu;
  http_client http;
  ses_v2_client ses(http, "us-east-1", emu.base);

  SECTION("GetAccount") {
    auto a = ses.get_account(any_creds);
    REQUIRE(a.has_value());
    CHECK(a->production_access);
    CHECK(a->sending_enabled);
    CHECK(a->max_send_rate == 14);
    CHECK(a->max_24_hour_send == 50000);
    CHECK(a->sent_last_24_hours == 12);
    CHECK(a->enforcement_status == "HEALTHY");
  }
  SECTION("simple mail with cc, bcc, reply-to, headers and an attachment") {
    app::outgoing_mail m;
    m.from = "sender@example.com";
    m.to = {"to@example.net"};
    m.cc = {"cc@example.net"};
    m.bcc = {"bcc@example.net"};
    m.reply_to = {"reply@example.com"};
    m.simple = app::simple_content{"Grüße",
                                   "plain text",
                                   "<b>html</b>",
                                   {{"report.csv", "text/csv", "a,b\n1,2\n", "ATTACHMENT", ""}}};
    m.headers = {{"List-Unsubscribe", "<https://sesami.example/u/t>"},
                 {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
    m.tags = {{"sesami-workspace", "w1"}};
    auto id = ses.send_email(any_creds, m);
    REQUIRE(id.has_value());
    CHECK_FALSE(id->empty());
    auto emails = emu.emails();
    REQUIRE(emails.size() == 1);
    auto& e = emails[0].as_object();
    CHECK(s(e["messageId"]) == *id);
    CHECK(s(e["subject"]) == "Grüße");
    CHECK(s(e["destination"].at("cc").at(0)) == "cc@example.net");
    CHECK(s(e["destination"].at("bcc").at(0)) == "bcc@example.net");
    CHECK(s(e["replyTo"].at(0)) == "reply@example.com");
    CHECK(s(e["body"].at("text")) == "plain text");
    CHECK(s(e["attachments"].at(0).at("filename")) == "report.csv");
    CHECK(s(e["attachments"].at(0).at("content")) == base64_encode("a,b\n1,2\n"));
    CHECK(s(e["headers"].at(1).at("value")) == "List-Unsubscribe=One-Click");
  }
  SECTION("raw MIME") {
    app::outgoing_mail m;
    m.from = "sender@example.com";
    m.to = {"to@example.net"};
    m.raw =
        "From: sender@example.com\r\nTo: to@example.net\r\nSubject: Raw one\r\n"
        "Content-Type: text/plain\r\n\r\nbody text\r\n";
    auto id = ses.send_email(any_creds, m);
    REQUIRE(id.has_value());
    auto emails = emu.emails();
    REQUIRE(emails.size() == 1);
    CHECK(s(emails[0].at("subject")) == "Raw one");
  }
  SECTION("a stored template, and a missing one") {
    emu.create_template("welcome", "Hello {{name}}", "Welcome, {{name}}!");
    app::outgoing_mail m;
    m.from = "sender@example.com";
    m.to = {"to@example.net"};
    m.tmpl = app::template_content{"welcome", R"({"name":"Ada"})"};
    auto id = ses.send_email(any_creds, m);
    REQUIRE(id.has_value());
    auto emails = emu.emails();
    REQUIRE(emails.size() == 1);
    CHECK(s(emails[0].at("subject")) == "Hello Ada");
    m.tmpl->name = "nope";
    auto missing = ses.send_email(any_creds, m);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().aws_code == "NotFoundException");
    CHECK(missing.error().code == app::send_errc::rejected);
    CHECK(missing.error().http_status == 404);
  }
  SECTION("SendBulkEmail: per-destination data, one result each") {
    emu.create_template("bulk", "Hi {{name}}", "Dear {{name}}");
    app::bulk_mail b;
    b.from = "sender@example.com";
    b.tmpl = {"bulk", R"({"name":"friend"})"};
    b.destinations = {{{"a@example.net"}, {}, {}, R"({"name":"A"})", {}, {}},
                      {{"b@example.net"}, {}, {}, "", {}, {}},
                      {{"c@example.net"}, {}, {}, R"({"name":"C"})", {{"k", "v"}}, {}}};
    auto r = ses.send_bulk_email(any_creds, b);
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 3);
    for (const auto& e : *r) {
      CHECK_FALSE(e.error);
      CHECK_FALSE(e.message_id.empty());
    }
    std::vector<std::string> subjects;
    for (const auto& e : emu.emails()) subjects.push_back(s(e.at("subject")));
    std::sort(subjects.begin(), subjects.end());
    CHECK(subjects == std::vector<std::string>{"Hi A", "Hi C", "Hi friend"});
  }
  SECTION("SendBulkEmail: each destination's own headers, the template's for all") {
    emu.create_template("bulk-h", "Hi {{name}}", "Dear {{name}}");
    app::bulk_mail b;
    b.from = "sender@example.com";
    b.tmpl = {"bulk-h", R"({"name":"friend"})"};
    b.headers = {{"X-Campaign", "spring"}};
    b.destinations = {{{"a@example.net"}, {}, {}, "", {}, {{"List-Unsubscribe", "<https://u/a>"}}},
                      {{"b@example.net"}, {}, {}, "", {}, {{"List-Unsubscribe", "<https://u/b>"}}},
                      {{"c@example.net", "d@example.net"}, {}, {}, "", {}, {}}};
    auto r = ses.send_bulk_email(any_creds, b);
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 3);
    std::map<std::string, std::map<std::string, std::string>> seen;  // first To → headers
    for (const auto& e : emu.emails()) {
      auto& h = seen[s(e.at("destination").at("to").at(0))];
      for (const auto& x : e.at("headers").as_array()) h[s(x.at("name"))] = s(x.at("value"));
    }
    CHECK(seen["a@example.net"] ==
          std::map<std::string, std::string>{{"List-Unsubscribe", "<https://u/a>"},
                                             {"X-Campaign", "spring"}});
    CHECK(seen["b@example.net"]["List-Unsubscribe"] == "<https://u/b>");
    CHECK(seen["c@example.net"] == std::map<std::string, std::string>{{"X-Campaign", "spring"}});
  }
  SECTION("a request SES refuses as malformed") {
    app::outgoing_mail m;  // no From
    m.to = {"to@example.net"};
    m.simple = app::simple_content{"s", "t", "", {}};
    auto r = ses.send_email(any_creds, m);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == app::send_errc::bad_request);
  }
}

TEST_CASE("stored templates against the aws-ses-v2-local emulator", "[ses][templates]") {
  emulator emu;
  http_client http;
  ses_v2_client ses(http, "us-east-1", emu.base);
  ses_template t{"receipt", "Order {{id}}", "Thanks {{name}}", "<p>{{name}}</p>"};
  REQUIRE(ses.create_email_template(any_creds, t).has_value());
  auto again = ses.create_email_template(any_creds, t);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().aws_code == "AlreadyExistsException");
  CHECK(sesami::aws::template_failure(again.error(), "receipt").code == "template.exists");

  auto got = ses.get_email_template(any_creds, "receipt");
  REQUIRE(got.has_value());
  CHECK(got->subject == "Order {{id}}");
  CHECK(got->text == "Thanks {{name}}");
  CHECK(got->html == "<p>{{name}}</p>");

  t.subject = "Receipt {{id}}";
  REQUIRE(ses.update_email_template(any_creds, t).has_value());
  CHECK(ses.get_email_template(any_creds, "receipt")->subject == "Receipt {{id}}");

  REQUIRE(ses.create_email_template(any_creds, {"another", "s", "t", ""}).has_value());
  auto page = ses.list_email_templates(any_creds, "", 10);
  REQUIRE(page.has_value());
  std::set<std::string> names;
  for (const auto& [name, created] : page->items) names.insert(name);
  CHECK(names == std::set<std::string>{"another", "receipt"});

  auto mime = ses.test_render_email_template(any_creds, "receipt", R"({"id":7,"name":"Ann"})");
  REQUIRE(mime.has_value());
  CHECK(mime->find("Receipt 7") != std::string::npos);

  REQUIRE(ses.delete_email_template(any_creds, "receipt").has_value());
  auto gone = ses.get_email_template(any_creds, "receipt");
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().aws_code == "NotFoundException");
  CHECK(sesami::aws::template_failure(gone.error(), "receipt").code == "template.not_found");
}

TEST_CASE("the suppression list against the signature-checking stand-in", "[ses]") {
  auto cfg = sesami::test::standin_config(ext);
  json::array sup;
  for (int i = 0; i < 7; ++i)
    sup.emplace_back(json::object{{"EmailAddress", "user" + std::to_string(i) + "@example.com"},
                                  {"Reason", i % 2 ? "COMPLAINT" : "BOUNCE"}});
  cfg["suppressions"] = sup;
  sesami::test::standins sb(cfg);
  http_client http;
  ses_v2_client ses(http, "us-east-1", sb.base());
  const credentials own{sesami::test::own_key_id, sesami::test::own_secret, "", {}};

  // Paged: 3 + 3 + 1.
  std::vector<std::string> seen;
  list_suppressed_params p;
  p.page_size = 3;
  int pages = 0;
  do {
    auto page = ses.list_suppressed_destinations(own, p);
    REQUIRE(page.has_value());
    for (const auto& d : page->items) seen.push_back(d.email_address);
    p.next_token = page->next_token;
    ++pages;
  } while (!p.next_token.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen.size() == 7);
  p = {};
  p.reasons = {"COMPLAINT"};
  CHECK(ses.list_suppressed_destinations(own, p)->items.size() == 3);

  REQUIRE(ses.put_suppressed_destination(own, "new+tag@example.com", "BOUNCE").has_value());
  REQUIRE(ses.delete_suppressed_destination(own, "new+tag@example.com")
              .has_value());  // '+' and '@' in the path
  auto gone = ses.delete_suppressed_destination(own, "new+tag@example.com");
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.error().aws_code == "NotFoundException");
  auto bad = ses.put_suppressed_destination(own, "x@example.com", "SPAM");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == app::send_errc::bad_request);
  auto wrong = ses.list_suppressed_destinations({sesami::test::own_key_id, "wrong", "", {}}, {});
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().aws_code == "InvalidSignatureException");
  CHECK(wrong.error().code == app::send_errc::not_authorized);
}

TEST_CASE("the SES transport: stand-in STS, cached credentials, the emulator", "[ses]") {
  emulator emu;
  sesami::test::standins sts(sesami::test::standin_config(ext));
  http_client http;
  memory_credential_cache cache;
  role_credentials_options opt;
  opt.sts_endpoint_override = sts.base();
  role_credentials roles(
      http,
      [] {
        return credentials_result(sourced_credentials{
            {sesami::test::own_key_id, sesami::test::own_secret, "", {}}, "test"});
      },
      cache, opt);
  std::optional<workspace_aws> conn =
      workspace_aws{{"w1", sesami::test::customer_role, ext, "us-east-1"}, "sesami-events"};
  ses_transport t(
      http, roles,
      [&](std::string_view ws) -> std::optional<workspace_aws> {
        if (ws == "w1") return conn;
        return std::nullopt;
      },
      emu.base);

  app::outgoing_mail m;
  m.from = "sender@example.com";
  m.to = {"to@example.net"};
  m.simple = app::simple_content{"s", "t", "", {}};
  for (int i = 0; i < 20; ++i) REQUIRE(t.send("w1", m).has_value());
  CHECK(roles.sts_calls() == 1);
  CHECK(sts.calls("sts.AssumeRole") == 1);
  CHECK(emu.emails().size() == 20);

  auto none = t.send("w2", m);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == app::send_errc::not_connected);

  SECTION("a wrong External ID: not authorized, with the trust-policy explanation") {
    conn->target.external_id = "wrong-external-id";
    auto r = t.send("w1", m);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == app::send_errc::not_authorized);
    CHECK(r.error().provider_code == "AccessDenied");
  }
  SECTION("bulk of more than 50 is refused before any call") {
    app::bulk_mail b;
    b.from = "a@b.c";
    b.tmpl = {"t", "{}"};
    b.destinations.resize(51);
    CHECK(t.send_bulk("w1", b).error().code == app::send_errc::bad_request);
  }
}

TEST_CASE("check_connection (GET /verify-sts) and its errors", "[ses]") {
  auto cfg = sesami::test::standin_config(ext);
  sesami::test::standins sb(cfg);
  http_client http;
  memory_credential_cache cache;
  role_credentials_options opt;
  opt.sts_endpoint_override = sb.base();
  opt.refresh_margin = seconds(0);
  role_credentials roles(
      http,
      [] {
        return credentials_result(sourced_credentials{
            {sesami::test::own_key_id, sesami::test::own_secret, "", {}}, "test"});
      },
      cache, opt);
  workspace_aws conn{{"w1", sesami::test::customer_role, ext, "us-east-1"}, ""};

  SECTION("healthy") {
    auto r = check_connection(roles, http, conn, sb.base());
    REQUIRE(r.has_value());
    CHECK(r->account_id == "444455556666");
    CHECK_FALSE(r->account.production_access);
    CHECK(r->account.max_24_hour_send == 200);
    CHECK(r->account.sent_last_24_hours == 3);
    CHECK(r->credentials_expire_at > system_clock::now());
  }
  SECTION("wrong External ID") {
    conn.target.external_id = "wrong-external-id";
    auto r = check_connection(roles, http, conn, sb.base());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == "aws.assume_role_denied");
  }
  SECTION("the role lacks ses:GetAccount") {
    cfg["roles"].as_array()[0].as_object()["denyActions"] = json::array{"ses:GetAccount"};
    sb.admin("PUT", "config", cfg);
    auto r = check_connection(roles, http, conn, sb.base());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == "aws.ses_permission");
    CHECK(r.error().message.find("ses:GetAccount") != std::string::npos);
  }
  SECTION("credentials that expired under us are fetched once more") {
    cfg["roles"].as_array()[0].as_object()["credentialLifetimeSeconds"] = 2;
    sb.admin("PUT", "config", cfg);
    // The cache believes in them for an hour (frozen clock); the stand-in expires them in 2 s.
    const auto frozen = system_clock::now();
    role_credentials_options o2 = opt;
    o2.now = [frozen] { return frozen; };
    memory_credential_cache c2;
    role_credentials r2(
        http,
        [] {
          return credentials_result(sourced_credentials{
              {sesami::test::own_key_id, sesami::test::own_secret, "", {}}, "test"});
        },
        c2, o2);
    REQUIRE(check_connection(r2, http, conn, sb.base()).has_value());
    std::this_thread::sleep_for(milliseconds(2500));
    auto r = check_connection(r2, http, conn, sb.base());
    REQUIRE(r.has_value());
    CHECK(r2.sts_calls() == 2);
  }
  SECTION("SES unreachable") {
    auto r = check_connection(roles, http, conn,
                              "http://127.0.0.1:" + std::to_string(sesami::test::free_port()));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == "aws.unreachable");
  }
}

// The mailer end to end: `sesami serve` connected through the stand-in STS to the emulator, a bulk
// send through POST /mail/bulk; what SES received is read back from the emulator.
TEST_CASE("bulk sends: each single-recipient destination has its own one-click unsubscribe",
          "[ses][bulk]") {
  emulator emu;
  emu.create_template("news", "News {{n}}", "Issue {{n}}");
  auto cfg = sesami::test::standin_config("placeholder-until-generated");
  sesami::test::standins sts(cfg);
  sesami::test::temp_dir dir;
  const auto db = (dir.path / "sesami.db").string();
  std::string out;
  {
    FILE* p = popen(
        (std::string(SESAMI_BIN) + " workspace create Acme --db " + db + " --json").c_str(), "r");
    REQUIRE(p);
    char buf[512];
    while (auto n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    REQUIRE(pclose(p) == 0);
  }
  const std::string key(json::parse(out).at("apiKey").as_string());
  sesami::test::child_process srv(
      {SESAMI_BIN, "serve", "--db", db, "--port", "0", "--log-level", "warn", "--public-url",
       "https://mail.example.net/"},
      {std::string("AWS_ACCESS_KEY_ID=") + sesami::test::own_key_id,
       std::string("AWS_SECRET_ACCESS_KEY=") + sesami::test::own_secret, "AWS_SESSION_TOKEN=",
       "AWS_PROFILE=", "AWS_SHARED_CREDENTIALS_FILE=" + (dir.path / "none").string(),
       "AWS_CONFIG_FILE=" + (dir.path / "none").string(), "AWS_EC2_METADATA_DISABLED=true",
       "SESAMI_AWS_STS_ENDPOINT=" + sts.base(), "SESAMI_AWS_SES_ENDPOINT=" + emu.base},
      "sesami: listening on ");
  const auto& line = srv.ready_line();
  const std::string base = line.substr(line.find("http://"));
  http_client http;
  auto call = [&](const std::string& method, const std::string& path, const std::string& body,
                  bool auth = true) {
    http_request r{method, base + path, {}, body, 20000, 2000};
    if (auth) r.headers.push_back({"Authorization", "Bearer " + key});
    if (!body.empty()) r.headers.push_back({"Content-Type", "application/json"});
    auto res = http.perform(r);
    REQUIRE(res.has_value());
    return std::pair{res->status, res->body};
  };
  const std::string external_id(
      json::parse(call("GET", "/settings/aws", "").second).at("externalId").as_string());
  cfg["roles"] =
      json::array{json::object{{"arn", sesami::test::customer_role},
                               {"externalId", external_id},
                               {"trustedAccounts", json::array{sesami::test::own_account}}}};
  sts.admin("PUT", "config", cfg);
  REQUIRE(call("PUT", "/settings/aws",
               R"({"roleArn":")" + std::string(sesami::test::customer_role) +
                   R"(","region":"us-east-1"})")
              .first == 200);

  auto [st, body] = call("POST", "/mail/bulk", R"({"from":"news@example.com",
      "template":{"name":"news","data":{"n":1}},
      "destinations":[{"to":["a@example.com"]},{"to":["b@example.com"]},
                      {"to":["c@example.com","d@example.com"]}]})");
  REQUIRE(st == 202);
  const std::string id(json::parse(body).at("id").as_string());
  const auto deadline = steady_clock::now() + seconds(30);
  json::value job;
  do {
    std::this_thread::sleep_for(milliseconds(50));
    job = json::parse(call("GET", "/mail/bulk/" + id, "").second);
    REQUIRE(steady_clock::now() < deadline);
  } while (job.at("status") != "done");
  INFO(json::serialize(job));
  REQUIRE(job.at("sent") == 3);

  std::map<std::string, std::map<std::string, std::string>> seen;  // first To → headers
  for (const auto& e : emu.emails()) {
    auto& h = seen[s(e.at("destination").at("to").at(0))];
    if (const auto* hs = e.as_object().if_contains("headers"); hs && hs->is_array())
      for (const auto& x : hs->as_array()) h[s(x.at("name"))] = s(x.at("value"));
  }
  REQUIRE(seen.size() == 3);
  const std::string prefix = "<https://mail.example.net/unsubscribe/";
  for (const char* who : {"a@example.com", "b@example.com"}) {
    INFO(who);
    CHECK(seen[who]["List-Unsubscribe"].starts_with(prefix));
    CHECK(seen[who]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click");
  }
  CHECK(seen["a@example.com"]["List-Unsubscribe"] != seen["b@example.com"]["List-Unsubscribe"]);
  // A link names one address: the two-recipient destination has none.
  CHECK(seen["c@example.com"].count("List-Unsubscribe") == 0);

  // b's link unsubscribes b (RFC 8058's one-click POST), nobody else.
  auto link = seen["b@example.com"]["List-Unsubscribe"];
  const auto path = "/unsubscribe/" + link.substr(prefix.size(), link.size() - prefix.size() - 1);
  http_request post{"POST",
                    base + path,
                    {{"Content-Type", "application/x-www-form-urlencoded"}},
                    "List-Unsubscribe=One-Click",
                    20000,
                    2000};
  auto un = http.perform(post);
  REQUIRE(un.has_value());
  CHECK(un->status == 200);
  auto list = json::parse(call("GET", "/suppression-list", "").second).at("entries").as_array();
  REQUIRE(list.size() == 1);
  CHECK(list[0].at("address") == "b@example.com");
}
