// `sesami serve` as a service runs it (issue #21): every option from an environment variable
// derived in one place, documented; the dashboard found beside an installed binary.
#include <regex>
#include <set>

#include <catch2/catch.hpp>

#include "../server/support.hpp"
#include "ops.hpp"

using namespace sesami::test;

namespace {
std::string source(const std::string& rel) {
  return read_file(std::string(SESAMI_SOURCE_DIR) + "/" + rel);
}
}  // namespace

TEST_CASE("serve: every option has its SESAMI_ variable, documented and in the packaged env file",
          "[serve-env]") {
  auto help = spawn_and_wait({SESAMI_BIN, "serve", "--help"});
  REQUIRE(help.status == 0);
  // CLI11 lists each option as "  [-x,]--long-name [TYPE] (Env:NAME) ...".
  const std::regex option_line(R"(^\s+(-\w,)?--([a-z0-9-]+)(.*)$)");
  const std::regex env_of(R"(\(Env:([A-Z0-9_]+)\))");
  std::size_t options = 0;
  std::set<std::string> names;
  std::istringstream lines(help.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, option_line) || m[2] == "help") continue;
    ++options;
    std::string want = "SESAMI_" + m[2].str();
    for (auto& c : want) c = c == '-' ? '_' : static_cast<char>(std::toupper(c));
    std::smatch e;
    const std::string rest = m[3].str();
    INFO(line);
    REQUIRE(std::regex_search(rest, e, env_of));
    CHECK(e[1] == want);
    names.insert(want);
  }
  CHECK(options >= 30);
  CHECK(names.count("SESAMI_DB") == 1);
  CHECK(names.count("SESAMI_PORT") == 1);
  const std::string cli_md = source("docs/cli.md");
  const std::string env_file = source("packaging/debian/sesami.env");
  for (const auto& n : names) {
    INFO(n);
    CHECK(cli_md.find(n) != std::string::npos);
    CHECK(env_file.find(n + "=") != std::string::npos);
  }
  // Test-only options stay out of reach of an environment file.
  CHECK(help.out.find("test-") == std::string::npos);
}

TEST_CASE("serve: settings from the environment, the command line winning", "[serve-env]") {
  temp_dir dir;
  const std::string big(4096, 'x');
  {
    background srv(
        {SESAMI_BIN, "serve"},
        {"SESAMI_DB=" + (dir.path / "env.db").string(), "SESAMI_PORT=0", "SESAMI_BODY_LIMIT=1024",
         "SESAMI_NO_SNS_FETCH=true", "SESAMI_OWNER_EMAIL=ops@example.com"});
    REQUIRE(srv.port != 0);
    CHECK(srv.out.find("created owner ops@example.com") != std::string::npos);
    CHECK(fs::exists(dir.path / "env.db"));
    CHECK_FALSE(fs::exists(dir.path / "sns-certs"));  // --no-sns-fetch: no cache directory made
    http_client c(srv.port);
    CHECK(c.request("POST", "/auth/login", big).status == 413);
    CHECK(srv.stop() == 0);
  }
  {
    background srv(
        {SESAMI_BIN, "serve", "--body-limit", "65536"},
        {"SESAMI_DB=" + (dir.path / "env.db").string(), "SESAMI_PORT=0", "SESAMI_BODY_LIMIT=1024"});
    REQUIRE(srv.port != 0);
    http_client c(srv.port);
    CHECK(c.request("POST", "/auth/login", big).status != 413);
  }
}

TEST_CASE("serve: the dashboard installed beside the binary is served without --static-dir",
          "[serve-env]") {
  temp_dir dir;
  const auto prefix = dir.path / "prefix";
  fs::create_directories(prefix / "bin");
  fs::copy_file(SESAMI_BIN, prefix / "bin" / "sesami");
  const auto bin = (prefix / "bin" / "sesami").string();
  const std::vector<std::string> env{"SESAMI_PORT=0", "SESAMI_DB=" + (dir.path / "s.db").string()};
  {  // Nothing installed: no dashboard, as before.
    background srv({bin, "serve"}, env);
    REQUIRE(srv.port != 0);
    http_client c(srv.port);
    CHECK(c.request("GET", "/").status == 404);
  }
  const auto web = prefix / "share" / "sesami" / "web";
  fs::create_directories(web);
  write_file(web / "index.html", "<!doctype html><title>installed dashboard</title>");
  {
    background srv({bin, "serve"}, env);
    REQUIRE(srv.port != 0);
    http_client c(srv.port);
    const auto r = c.request("GET", "/");
    CHECK(r.status == 200);
    CHECK(r.body.find("installed dashboard") != std::string::npos);
  }
  const auto other = dir.path / "other";
  fs::create_directories(other);
  write_file(other / "index.html", "<!doctype html><title>other build</title>");
  {  // --static-dir (or SESAMI_STATIC_DIR) still chooses.
    background srv({bin, "serve", "--static-dir", other.string()}, env);
    REQUIRE(srv.port != 0);
    http_client c(srv.port);
    CHECK(c.request("GET", "/").body.find("other build") != std::string::npos);
  }
}
