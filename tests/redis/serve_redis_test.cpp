// `sesami serve --redis` against a private redis-server this test starts on a free port, kills
// and restarts: the node keeps sending on its in-process bucket while Redis is gone, says so in
// /health (200, "redis": "unavailable") and once in the log, and switches back when Redis returns.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <thread>

#include <sodium.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "../../server/aws/sns_verify.hpp"
#include "../../server/store/redis/client.hpp"
#include "../server/sns_message.hpp"
#include "../server/support.hpp"
#include "print.hpp"

using namespace sesami;
using namespace sesami::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

unsigned short free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool eventually(const std::function<bool()>& f, std::chrono::seconds limit = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return f();
}

/// A private redis-server (no persistence) on `port`, with a password; SIGKILLed on kill().
class private_redis {
 public:
  private_redis(unsigned short port, std::string password)
      : port_(port), password_(std::move(password)) {
    start();
  }
  ~private_redis() { kill(); }
  void start() {
    pid_ = fork();
    if (pid_ == 0) {
      const int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      const std::string port = std::to_string(port_);
      execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--requirepass", password_.c_str(), nullptr);
      _exit(127);
    }
    redis::config c;
    c.port = port_;
    c.password = password_;
    REQUIRE(eventually([&] { return redis::client(c).probe(); }, 10s));
  }
  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  redis::config config() const {
    redis::config c;
    c.port = port_;
    c.password = password_;
    return c;
  }

 private:
  unsigned short port_;
  std::string password_;
  pid_t pid_ = -1;
};

json::value health(unsigned short port, int& status) {
  http_client c(port);
  auto r = c.request("GET", "/health");
  status = r.status;
  return parse(r);
}

std::size_t count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

const std::string cert_name = "SimpleNotificationService-sesamitest.pem";

// An SNS notification as SNS sends it, signed by `signer` (a certificate of the test CA).
std::string sns_notification(const pki::cert& signer, const std::string& message_id,
                             const std::string& message) {
  return sns_message(signer, "Notification", message_id, message, "2");
}

}  // namespace

TEST_CASE("serve: refuses --redis without a valid key", "[redis][serve]") {
  temp_dir dir;
  const auto db = (dir.path / "sesami.db").string();
  auto none = run_sesami({"serve", "--db", db, "--port", "0", "--redis", "redis://127.0.0.1:1"});
  CHECK(none.status == 2);
  write_file(dir.path / "short.key", "00ff");
  auto bad = run_sesami({"serve", "--db", db, "--port", "0", "--redis", "redis://127.0.0.1:1",
                         "--redis-key-file", (dir.path / "short.key").string()});
  CHECK(bad.status == 2);
  auto url = run_sesami({"serve", "--db", db, "--port", "0", "--redis", "http://127.0.0.1:1"});
  CHECK(url.status == 2);
  CHECK_FALSE(fs::exists(db));  // refused before anything was written
}

TEST_CASE("serve: falls back while Redis is down and switches back", "[redis][serve]") {
  temp_dir dir;
  const auto port = free_port();
  const std::string password = "pw-7c1f0e93-never-logged";
  private_redis rs(port, password);
  write_file(dir.path / "redis.key",
             "9f3b1c0d2e4a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e9f0a1b2c3d4e\n");
  const std::string url = "redis://:" + password + "@127.0.0.1:" + std::to_string(port) + "/2";
  server_process srv(dir.path,
                     {"--redis", url, "--redis-key-file", (dir.path / "redis.key").string()});
  auto ws = run_sesami({"workspace", "create", "shop", "--db", srv.db().string(), "--json"});
  REQUIRE(ws.status == 0);
  const auto key = s(json::parse(ws.out).at("apiKey"));
  auto send = [&](const std::string& to) {
    http_client c(srv.port());
    json::object body{{"from", "Shop <shop@example.com>"},
                      {"to", json::array{json::value(to)}},
                      {"subject", "Hello"},
                      {"text", "Hi"}};
    return c.request("POST", "/mail", json::serialize(body),
                     {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
  };

  int status = 0;
  auto h = health(srv.port(), status);
  CHECK(status == 200);
  CHECK(s(h.at("redis").at("status")) == "ok");
  const auto since_up = s(h.at("redis").at("since"));
  CHECK(since_up.size() == 24);  // 2026-11-29T00:00:00.000Z

  // The shared bucket is the one in use: it lives in Redis db 2.
  REQUIRE(send("first@example.org").status == 200);
  redis::config db2 = rs.config();
  db2.db = 2;
  {
    redis::client probe(db2);
    auto e = probe.command({"EXISTS", "sesami:bucket:simulator"});
    REQUIRE(e);
    CHECK(e->integer == 1);
  }

  rs.kill();
  REQUIRE(eventually([&] {
    auto v = health(srv.port(), status);
    return s(v.at("redis").at("status")) == "unavailable";
  }));
  h = health(srv.port(), status);
  CHECK(status == 200);  // degraded, not down: storage decides 503
  CHECK(s(h.at("storage")) == "ok");
  CHECK(s(h.at("redis").at("since")) >= since_up);
  // Still sending, on the local bucket.
  auto during = send("during@example.org");
  INFO(during.body);
  CHECK(during.status == 200);

  rs.start();
  REQUIRE(eventually([&] {
    auto v = health(srv.port(), status);
    return s(v.at("redis").at("status")) == "ok";
  }));
  REQUIRE(send("after@example.org").status == 200);

  const auto log = srv.log();
  INFO(log);
  CHECK(count(log, "redis unavailable") == 1);  // once per transition, not per request
  CHECK(count(log, "redis available") == 2);    // at start and on recovery
  CHECK(log.find(password) == std::string::npos);
  CHECK(srv.out().find(password) == std::string::npos);
  CHECK(srv.stop() == 0);
}

TEST_CASE("serve: an SNS message stored on one node is a duplicate on another", "[redis][serve]") {
  // Two nodes with separate databases on purpose: only Redis can tell node B about node A's
  // delivery. The shared Redis (SESAMI_TEST_REDIS), a MessageId no other run uses.
  const char* env = std::getenv("SESAMI_TEST_REDIS");
  const std::string url = env && *env ? env : "redis://127.0.0.1:6379";
  pki ca;
  const auto signer = ca.issue("sesami-test-signer");
  struct node {
    temp_dir dir;
    std::unique_ptr<server_process> srv;
    std::string token, key;
  };
  auto start = [&](node& n) {
    auto r = run_sesami(
        {"workspace", "create", "acme", "--db", (n.dir.path / "sesami.db").string(), "--json"});
    REQUIRE(r.status == 0);
    const auto o = json::parse(r.out);
    n.token = s(o.at("ingestToken"));
    n.key = s(o.at("apiKey"));
    REQUIRE(run_sesami({"workspace", "connect-account", "acme", sns_topic_account, "--db",
                        (n.dir.path / "sesami.db").string()})
                .status == 0);
    write_file(n.dir.path / "ca.pem", ca.ca.cert_pem);
    fs::create_directories(n.dir.path / "certs");
    write_file(n.dir.path / "certs" / cert_name, signer.cert_pem);
    write_file(n.dir.path / "redis.key", std::string(64, 'a'));
    n.srv = std::make_unique<server_process>(
        n.dir.path, std::vector<std::string>{"--test-sns-ca", (n.dir.path / "ca.pem").string(),
                                             "--no-sns-fetch", "--redis", url, "--redis-key-file",
                                             (n.dir.path / "redis.key").string()});
  };
  node a, b;
  start(a);
  start(b);
  REQUIRE(sodium_init() >= 0);
  unsigned char rnd[8];
  randombytes_buf(rnd, sizeof rnd);
  const auto id =
      "dedupe-" + redis::hex(std::string_view(reinterpret_cast<char*>(rnd), sizeof rnd));
  const auto bounce = read_file(std::string(SESAMI_FIXTURES_DIR) + "/ses/event-bounce.json");
  const auto msg = sns_notification(signer, id, bounce);
  auto post = [&](node& n, const std::string& body) {
    http_client c(n.srv->port());
    return c.request("POST", "/ingest/sns/" + n.token, body,
                     {{"Content-Type", "text/plain; charset=UTF-8"}});
  };
  auto events = [&](node& n) {
    http_client c(n.srv->port());
    auto r = c.request("GET", "/events?limit=100", "", {{"Authorization", "Bearer " + n.key}});
    REQUIRE(r.status == 200);
    return parse(r).at("events").as_array().size();
  };
  auto first = post(a, msg);
  INFO(first.body);
  REQUIRE(first.status == 200);
  CHECK(s(parse(first).at("action")) == "stored");
  auto redelivered = post(b, msg);
  INFO(redelivered.body);
  REQUIRE(redelivered.status == 200);
  CHECK(s(parse(redelivered).at("action")) == "duplicate-delivery");
  CHECK(events(b) == 0);
  // Another MessageId is new to both: node B stores it.
  auto other = post(b, sns_notification(signer, id + "-2", bounce));
  REQUIRE(other.status == 200);
  CHECK(s(parse(other).at("action")) == "stored");
  CHECK(events(b) == 1);
}
