// A connected workspace's templates live in its SES account (issue #20): `sesami serve` with the
// STS stand-in (AssumeRole with the workspace's External ID, SigV4 checked) and the npm SES
// emulator (aws-ses-v2-local, which implements the template operations) as the account's SES.
// The /templates routes create, read, list and delete there, and POST /mail names the template for
// SES to render.
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include "../server/support.hpp"
#include "standin_process.hpp"

namespace json = boost::json;
using namespace sesami::test;

namespace {
constexpr const char* own_key = "AKIASESAMISERVE00002";
constexpr const char* own_secret = "sesami-serve-secret-for-tests-000000002";
constexpr const char* role_arn = "arn:aws:iam::444455556666:role/SesamiAccess";

unsigned short loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The emulator on a free loopback port until the end of the scope.
struct ses_emulator {
  pid_t pid = -1;
  std::string base;
  ses_emulator() {
    const auto port = std::to_string(loopback_port());
    base = "http://127.0.0.1:" + port;
    int out[2];
    REQUIRE(::pipe(out) == 0);
    pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      const std::string cli = std::string(SESAMI_STANDINS_DIR) +
                              "/../ses-emulator/node_modules/aws-ses-v2-local/dist/cli.js";
      ::execlp("node", "node", cli.c_str(), "--host", "127.0.0.1", "--port", port.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char ch;
    while (line.find("server running") == std::string::npos && ::read(out[0], &ch, 1) == 1)
      line += ch;
    ::close(out[0]);
    REQUIRE(line.find("server running") != std::string::npos);
  }
  ~ses_emulator() {
    ::kill(pid, SIGTERM);
    int st = 0;
    ::waitpid(pid, &st, 0);
  }
  json::value store() const {
    sesami::aws::http_client h;
    auto r = h.perform({"GET", base + "/store", {}, "", 5000, 2000});
    REQUIRE(r.has_value());
    return json::parse(r->body);
  }
};
}  // namespace

TEST_CASE("serve: a connected workspace's templates are SES's, through the role",
          "[serve_aws][templates]") {
  temp_dir dir;
  sesami_test::standins aws(
      json::object{{"region", "us-east-1"},
                   {"accountId", "111122223333"},
                   {"credentials", json::array{json::object{{"accessKeyId", own_key},
                                                            {"secretAccessKey", own_secret}}}}},
      dir.path);
  ses_emulator ses;
  ::setenv("AWS_ACCESS_KEY_ID", own_key, 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", own_secret, 1);
  ::unsetenv("AWS_SESSION_TOKEN");
  ::unsetenv("AWS_PROFILE");
  auto created = run_sesami(
      {"workspace", "create", "Acme", "--db", (dir.path / "sesami.db").string(), "--json"});
  REQUIRE(created.status == 0);
  const std::string key = std::string(json::parse(created.out).at("apiKey").as_string());
  server_process srv(dir.path, {"--aws-sts-endpoint", aws.base(), "--aws-ses-endpoint", ses.base});
  http_client c(srv.port());
  const std::vector<std::pair<std::string, std::string>> h{{"Authorization", "Bearer " + key},
                                                           {"Content-Type", "application/json"}};
  const std::string tmpl =
      R"({"name":"receipt","subject":"Order {{id}}","text":"Thanks {{name}}","html":"<p>{{name}}</p>"})";
  // Offline first: SESami keeps it.
  REQUIRE(c.request("POST", "/templates", tmpl, h).status == 201);
  CHECK(s(parse(c.request("GET", "/templates", "", h)).at("storedIn")) == "sesami");

  auto r = c.request("GET", "/settings/aws", "", h);
  const std::string external_id = s(parse(r).at("externalId"));
  aws.admin("PUT", "/_admin/config",
            json::object{{"roles", json::array{json::object{
                                       {"arn", role_arn},
                                       {"externalId", external_id},
                                       {"trustedAccounts", json::array{"111122223333"}}}}}});
  r = c.request("PUT", "/settings/aws",
                json::serialize(json::object{{"roleArn", role_arn}, {"region", "us-east-1"}}), h);
  INFO(r.body);
  REQUIRE(r.status == 200);

  // Connected: the account's SES has none yet; creating puts it there, through the role.
  auto list = parse(c.request("GET", "/templates", "", h));
  CHECK(s(list.at("storedIn")) == "ses");
  CHECK(list.at("templates").as_array().empty());
  r = c.request("POST", "/templates", tmpl, h);
  INFO(r.body);
  REQUIRE(r.status == 201);
  CHECK(c.request("POST", "/templates", tmpl, h).status == 409);  // SES's AlreadyExistsException
  CHECK(aws.calls("sts.AssumeRole") >= 1);
  auto got = parse(c.request("GET", "/templates/receipt", "", h));
  CHECK(s(got.at("subject")) == "Order {{id}}");
  list = parse(c.request("GET", "/templates", "", h));
  REQUIRE(list.at("templates").as_array().size() == 1);
  // The preview renders SES's own text with the same rules.
  auto rendered = parse(c.request("POST", "/templates/receipt/render", R"({"data":{"id":7}})", h));
  CHECK(s(rendered.at("subject")) == "Order 7");
  CHECK(rendered.at("missing") == json::parse(R"(["name"])"));

  // A send names it and SES renders it.
  r = c.request("POST", "/mail",
                R"({"from":"shop@example.com","to":["ann@example.org"],"template":"receipt",
                    "templateData":{"id":8,"name":"Ann"}})",
                h);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(s(parse(r).at("transport")) == "ses");
  auto emails = ses.store().at("emails").as_array();
  REQUIRE(emails.size() == 1);
  CHECK(s(emails[0].at("subject")) == "Order 8");
  // An unknown one is SES's NotFoundException, answered as template.not_found.
  r = c.request("POST", "/mail",
                R"({"from":"shop@example.com","to":["ann@example.org"],"template":"nope"})", h);
  CHECK(r.status == 404);
  CHECK(code_of(r) == "template.not_found");

  REQUIRE(c.request("DELETE", "/templates/receipt", "", h).status == 204);
  CHECK(c.request("GET", "/templates/receipt", "", h).status == 404);
}
