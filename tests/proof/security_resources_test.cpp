// Boundary 5 (docs/security.md): cost grows with input size, and exhaustion is refused cheaply.
// Through the real program: a 4 000-recipient bounce parsed under a memory bound; payloads past
// the documented limits refused with 400 sesami.limit_exceeded (and a FILE:LINE error from
// `sesami parse`); a server out of file descriptors that neither spins nor floods its log and
// serves again once they are free; one client address that cannot take every connection.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "proof.hpp"

using namespace sesami::test;
namespace json = boost::json;

namespace {

// ---- payloads
// ------------------------------------------------------------------------------------

std::string address(std::size_t i) { return "u" + std::to_string(100000 + i) + "@example.com"; }

/// An SES event-publishing bounce of `n` recipients, every one listed in mail.destination too.
json::object bounce_record(const std::string& message_id, std::size_t n) {
  json::array dest, bounced;
  dest.reserve(n);
  bounced.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    dest.emplace_back(address(i));
    bounced.emplace_back(json::object{{"emailAddress", address(i)}});
  }
  return json::object{{"eventType", "Bounce"},
                      {"mail",
                       {{"timestamp", "2026-03-01T10:00:00.000Z"},
                        {"messageId", message_id},
                        {"source", "news@example.com"},
                        {"destination", std::move(dest)},
                        {"tags", {{"campaign", json::array{"spring"}}}}}},
                      {"bounce",
                       {{"bounceType", "Permanent"},
                        {"bounceSubType", "General"},
                        {"timestamp", "2026-03-01T10:00:01.000Z"},
                        {"feedbackId", "feedback-" + message_id},
                        {"bouncedRecipients", std::move(bounced)}}}};
}

/// An EventBridge "Email Sent" event whose mail is shaped by `edit`.
template <class Edit>
std::string eventbridge_send(const std::string& message_id, Edit&& edit) {
  json::object mail{{"timestamp", "2026-03-01T10:00:00.000Z"},
                    {"messageId", message_id},
                    {"source", "news@example.com"},
                    {"destination", json::array{"a@example.com"}},
                    {"tags", json::object{}}};
  edit(mail);
  json::object detail{{"eventType", "Send"}, {"mail", std::move(mail)}, {"send", json::object{}}};
  return json::serialize(json::object{{"version", "0"},
                                      {"id", "eb-" + message_id},
                                      {"detail-type", "Email Sent"},
                                      {"source", "aws.ses"},
                                      {"account", "123456789012"},
                                      {"time", "2026-03-01T10:00:00Z"},
                                      {"region", "us-east-1"},
                                      {"resources", json::array{}},
                                      {"detail", std::move(detail)}});
}

// ---- processes
// -----------------------------------------------------------------------------------

/// The `sesami` under test: SESAMI_TEST_BIN (to run these tests against another build) or this
/// build's.
std::string sesami_bin() {
  if (const char* b = std::getenv("SESAMI_TEST_BIN"); b && *b) return b;
  return SESAMI_BIN;
}

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> v;
  for (auto& a : args) v.push_back(a.data());
  v.push_back(nullptr);
  return v;
}

struct measured_run {
  int status = -1;
  long max_rss_kib = 0;
  std::string out, err;
};

/// Runs `sesami ARGS` with its output in files, and measures the child's peak resident set
/// (wait4's rusage: ru_maxrss, in KiB on Linux).
measured_run run_measured(const fs::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), sesami_bin());
  const auto out = (dir / "run.out").string(), err = (dir / "run.err").string();
  const pid_t pid = fork();
  if (pid == 0) {
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    auto argv = argv_of(args);
    execv(argv[0], argv.data());
    _exit(127);
  }
  measured_run r;
  int st = 0;
  rusage ru{};
  REQUIRE(wait4(pid, &st, 0, &ru) == pid);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.max_rss_kib = ru.ru_maxrss;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

/// `sesami serve` started by hand: with RLIMIT_NOFILE set in the child before exec (unless
/// `nofile` is 0), and its pid at hand for /proc/PID/stat.
class limited_server {
 public:
  limited_server(const fs::path& dir, rlim_t nofile, std::vector<std::string> extra,
                 rlim_t nofile_hard = 0)
      : dir_(dir) {
    std::vector<std::string> args{
        sesami_bin(), "serve", "--db",           (dir / "sesami.db").string(),
        "--port",     "0",     "--sns-cert-dir", (dir / "certs").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const auto log = (dir / "server.log").string();
    pid_ = fork();
    if (pid_ == 0) {
      // The hard limit too, unless given: nothing to raise the soft one to.
      const rlimit lim{nofile, nofile_hard != 0 ? nofile_hard : nofile};
      if (nofile != 0) setrlimit(RLIMIT_NOFILE, &lim);
      dup2(fds[1], 1);
      const int lf = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(lf, 2);
      close(lf);
      close(fds[0]);
      close(fds[1]);
      auto argv = argv_of(args);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    std::string out;
    char buf[1024];
    const std::string marker = "listening on http://127.0.0.1:";
    for (;;) {
      const ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
      const auto at = out.find(marker);
      if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
        port_ = static_cast<unsigned short>(std::stoi(out.substr(at + marker.size())));
        break;
      }
    }
    close(fds[0]);
    INFO(out << read_file(log));
    REQUIRE(port_ != 0);
  }
  ~limited_server() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  limited_server(const limited_server&) = delete;
  limited_server& operator=(const limited_server&) = delete;

  unsigned short port() const { return port_; }
  std::string log() const { return read_file(dir_ / "server.log"); }
  /// The soft limit on open files in force in the server (/proc/PID/limits).
  std::string open_files_limit() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/limits");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("Max open files", 0) == 0) {
        std::istringstream in(line.substr(std::string_view("Max open files").size()));
        std::string soft;
        in >> soft;
        return soft;
      }
    return {};
  }

  /// User + system CPU time the server has used, in seconds (/proc/PID/stat fields 14 and 15).
  double cpu_seconds() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    // The command name (field 2) is in parentheses and may hold spaces: count after its ')'.
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
};

/// A TCP connection to 127.0.0.1:port from `source` (a loopback address), left idle.
int connect_from(const char* source, unsigned short port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source, &local.sin_addr);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  return fd;
}

/// One request over a connection from `source`; the answer's status line and body, or "" when the
/// server closed without answering.
std::string get_from(const char* source, unsigned short port, const std::string& target) {
  const int fd = connect_from(source, port);
  const std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size()));
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) answer.append(buf, static_cast<std::size_t>(n));
  close(fd);
  return answer;
}

/// Asks GET /health from `source` until the answer's status line starts with `status` (at most 200
/// tries, 10 ms apart: the server frees a connection's slot once it has seen the close). Returns
/// the last answer.
std::string health_until(const char* source, unsigned short port, const std::string& status) {
  std::string answer;
  for (int i = 0; i < 200; ++i) {
    answer = get_from(source, port, "/health");
    if (answer.rfind("HTTP/1.1 " + status + " ", 0) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return answer;
}

std::size_t lines_of(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

/// Holds `n` idle connections from 127.0.0.1, lets the server run for 3 s, and checks what that
/// cost it: under 1 s of CPU, a bounded log; then frees them and checks /health answers.
void hold_idle_sockets(limited_server& srv, std::size_t n) {
  // This process needs the descriptors the server lacks.
  rlimit mine{};
  getrlimit(RLIMIT_NOFILE, &mine);
  if (mine.rlim_cur < n + 64) {
    mine.rlim_cur = std::min<rlim_t>(mine.rlim_max, n + 64);
    setrlimit(RLIMIT_NOFILE, &mine);
  }
  std::vector<int> held;
  for (std::size_t i = 0; i < n; ++i) held.push_back(connect_from("127.0.0.1", srv.port()));
  const std::size_t log_before = srv.log().size();
  const double cpu_before = srv.cpu_seconds();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the measurement window, not a wait
  const double cpu = srv.cpu_seconds() - cpu_before;
  const std::string log = srv.log().substr(log_before);
  INFO("CPU over 3 s: " << cpu << " s; log grew by " << log.size() << " bytes, " << lines_of(log)
                        << " lines: " << log.substr(0, 400));
  CHECK(cpu < 1.0);
  CHECK(log.size() < 64 * 1024);
  CHECK(lines_of(log) < 100);
  for (int fd : held) close(fd);
  // Freed: the server accepts and answers again.
  const std::string health = health_until("127.0.0.1", srv.port(), "200");
  INFO(health.substr(0, 200));
  CHECK(health.rfind("HTTP/1.1 200 ", 0) == 0);
}

}  // namespace

TEST_CASE("security/resources: a 4000-recipient bounce parses in bounded memory",
          "[proof][security][resources]") {
  temp_dir dir;
  const std::string payload = json::serialize(bounce_record("big-bounce", 4000));
  INFO("payload: " << payload.size() << " bytes");
  REQUIRE(payload.size() > 200 * 1024);
  REQUIRE(payload.size() < 260 * 1024);
  write_file(dir.path / "bounce.json", payload);

  const auto r = run_measured(dir.path, {"parse", (dir.path / "bounce.json").string()});
  INFO(r.err.substr(0, 400));
  REQUIRE(r.status == 0);
  CHECK(lines_of(r.out) == 4000);
  // Every recipient's event is whole: its own recipient, the mail's tags (shared, printed whole).
  std::istringstream lines(r.out);
  std::string line;
  std::size_t i = 0;
  while (std::getline(lines, line) && i < 3) {
    const auto e = json::parse(line);
    CHECK(e.at("recipient") == json::value(address(i)));
    CHECK(e.at("tags").at("campaign").at(0) == "spring");
    ++i;
  }
  INFO("peak RSS: " << r.max_rss_kib / 1024 << " MiB");
  CHECK(r.max_rss_kib < 150 * 1024);
}

TEST_CASE("security/resources: payloads past the limits are refused with sesami.limit_exceeded",
          "[proof][security][resources]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  const auto ws = create_workspace(db, "acme");
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", db.string()})
              .status == 0);
  limited_server srv(dir.path, 0, {});
  auto post = [&](const std::string& body) {
    http_client c(srv.port());
    return c.request("POST", "/ingest/eventbridge/" + ws.token, body,
                     {{"X-Sesami-Secret", ws.secret}});
  };

  struct over {
    const char* what;
    std::string body;
  };
  const std::string long_text(2561, 'x');
  std::vector<over> cases;
  cases.push_back({"10 001 destinations", eventbridge_send("limit-dest", [](json::object& m) {
                     json::array d;
                     for (std::size_t i = 0; i < 10001; ++i) d.emplace_back(address(i));
                     m["destination"] = std::move(d);
                   })});
  cases.push_back({"501 tags", eventbridge_send("limit-tags", [](json::object& m) {
                     json::object t;
                     for (int i = 0; i < 501; ++i) t["t" + std::to_string(i)] = json::array{"v"};
                     m["tags"] = std::move(t);
                   })});
  cases.push_back(
      {"a tag value of 2 561 characters", eventbridge_send("limit-value", [&](json::object& m) {
         m["tags"] = json::object{{"campaign", json::array{long_text}}};
       })});
  cases.push_back(
      {"a tag name of 2 561 characters", eventbridge_send("limit-name", [&](json::object& m) {
         m["tags"] = json::object{{long_text, json::array{"v"}}};
       })});
  {
    // 10 001 bounced recipients, in an EventBridge "Email Bounced" event.
    auto v = json::parse(eventbridge_send("limit-rcpt", [](json::object&) {}));
    auto rec = bounce_record("limit-rcpt", 10001);
    rec["mail"].as_object()["destination"] = json::array{"a@example.com"};
    v.as_object()["detail-type"] = "Email Bounced";
    v.as_object()["detail"] = std::move(rec);
    cases.push_back({"10 001 bounced recipients", json::serialize(v)});
  }
  for (const auto& c : cases) {
    INFO(c.what << " (" << c.body.size() << " bytes)");
    const auto r = post(c.body);
    INFO(r.body.substr(0, 300));
    CHECK(r.status == 400);
    if (r.status >= 400) CHECK(code_of(r) == "sesami.limit_exceeded");
  }
  // Nothing of them was stored.
  http_client c(srv.port());
  CHECK(all_events(c, ws.key).empty());

  // At the limits exactly: accepted.
  const std::string longest(2560, 'y');
  const auto ok = post(eventbridge_send("limit-ok", [&](json::object& m) {
    m["tags"] = json::object{{"campaign", json::array{longest}}, {longest, json::array{"v"}}};
  }));
  INFO(ok.body.substr(0, 300));
  CHECK(ok.status == 200);

  // The CLI names the file and the line of the refused document, and keeps the good ones.
  const std::string good = eventbridge_send("cli-good", [](json::object&) {});
  write_file(dir.path / "mixed.jsonl", good + "\n" + cases[1].body + "\n" + good + "\n");
  const auto r = run_measured(dir.path, {"parse", (dir.path / "mixed.jsonl").string()});
  CHECK(r.status == 1);
  CHECK(lines_of(r.out) == 2);
  INFO(r.err);
  CHECK(r.err.find((dir.path / "mixed.jsonl").string() + ":2: ") != std::string::npos);
  CHECK(r.err.find("sesami.limit_exceeded") != std::string::npos);
  // And a record of 10 000 recipients (the limit) still parses.
  write_file(dir.path / "max.json", json::serialize(bounce_record("at-limit", 10000)));
  const auto m = run_measured(dir.path, {"parse", (dir.path / "max.json").string()});
  CHECK(m.status == 0);
  CHECK(lines_of(m.out) == 10000);
}

TEST_CASE("security/resources: out of descriptors the server neither spins nor floods its log",
          "[proof][security][resources]") {
  temp_dir dir;
  create_workspace(dir.path / "sesami.db", "acme");
  SECTION("the default connection limits, derived from a 256-descriptor limit") {
    limited_server srv(dir.path, 256, {});
    hold_idle_sockets(srv, 300);
  }
  SECTION("the soft descriptor limit is raised to the hard one at start") {
    limited_server srv(dir.path, 256, {}, 1024);
    CHECK(srv.open_files_limit() == "1024");
  }
  SECTION("connection limits above what the descriptors allow: accepting backs off") {
    limited_server srv(dir.path, 256,
                       {"--max-connections", "100000", "--max-connections-per-client", "100000"});
    hold_idle_sockets(srv, 300);
    // The back-off was logged, once a second at most.
    CHECK(srv.log().find("accept") != std::string::npos);
  }
}

TEST_CASE("security/resources: one client address cannot take every connection",
          "[proof][security][resources]") {
  temp_dir dir;
  create_workspace(dir.path / "sesami.db", "acme");
  // 64 connections in all; by default a quarter of them (16) per client address.
  limited_server srv(dir.path, 0, {"--max-connections", "64"});
  std::vector<int> held;
  for (int i = 0; i < 64; ++i) held.push_back(connect_from("127.0.0.1", srv.port()));
  // A further connection from the same address is refused once its share is taken.
  const std::string same = health_until("127.0.0.1", srv.port(), "503");
  CHECK(same.rfind("HTTP/1.1 503 ", 0) == 0);
  CHECK(same.find("http.overloaded") != std::string::npos);
  // Another address is served (asked again while the refused connections are being closed).
  const std::string other = health_until("127.0.0.2", srv.port(), "200");
  INFO(other.substr(0, 200));
  CHECK(other.rfind("HTTP/1.1 200 ", 0) == 0);
  for (int fd : held) close(fd);
}

TEST_CASE("security/resources: recipient and message histories come a page at a time",
          "[proof][security][resources]") {
  temp_dir dir;
  const auto db = dir.path / "sesami.db";
  const auto ws = create_workspace(db, "acme");
  REQUIRE(run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", db.string()})
              .status == 0);
  limited_server srv(dir.path, 0, {});
  http_client c(srv.port());
  const headers secret{{"X-Sesami-Secret", ws.secret}};
  // One bounce to 250 recipients, and 25 mails to one of them.
  {
    auto v = json::parse(eventbridge_send("paged", [](json::object&) {}));
    v.as_object()["detail-type"] = "Email Bounced";
    v.as_object()["detail"] = bounce_record("paged", 250);
    REQUIRE(
        c.request("POST", "/ingest/eventbridge/" + ws.token, json::serialize(v), secret).status ==
        200);
  }
  for (int i = 0; i < 25; ++i) {
    const auto body = eventbridge_send("mail-" + std::to_string(i), [&](json::object& m) {
      m["destination"] = json::array{address(0)};
      m["timestamp"] = "2026-03-02T10:00:" + std::to_string(10 + i) + ".000Z";
    });
    REQUIRE(c.request("POST", "/ingest/eventbridge/" + ws.token, body, secret).status == 200);
  }

  // Walks a history's pages; returns {statuses, events, pages}.
  auto walk = [&](const std::string& path, const std::string& list, const std::string& limit) {
    std::size_t statuses = 0, events = 0, pages = 0;
    std::string cursor;
    for (;;) {
      auto r =
          c.request("GET", path + "?limit=" + limit + (cursor.empty() ? "" : "&cursor=" + cursor),
                    "", bearer(ws.key));
      INFO(r.body.substr(0, 300));
      REQUIRE(r.status == 200);
      const auto v = json::parse(r.body);
      CHECK(v.at(list).as_array().size() <= std::stoul(limit));
      CHECK(v.at("events").as_array().size() <= std::stoul(limit));
      statuses += v.at(list).as_array().size();
      events += v.at("events").as_array().size();
      ++pages;
      if (v.at("next").is_null()) break;
      cursor = s(v.at("next"));
      REQUIRE(pages < 100);
    }
    return std::array<std::size_t, 3>{statuses, events, pages};
  };
  const auto m = walk("/messages/paged", "recipients", "100");
  CHECK(m == std::array<std::size_t, 3>{250, 250, 3});
  const auto r = walk("/recipients/" + address(0), "messages", "10");
  CHECK(r == std::array<std::size_t, 3>{26, 26, 3});
  // Without a limit: the first 100, and the cursor of the rest.
  const auto first = json::parse(c.request("GET", "/messages/paged", "", bearer(ws.key)).body);
  CHECK(first.at("recipients").as_array().size() == 100);
  CHECK(first.at("next").is_string());
  // The recipient's status is over all its messages, on every page: the bounce outranks the sends.
  CHECK(json::parse(
            c.request("GET", "/recipients/" + address(0) + "?limit=1", "", bearer(ws.key)).body)
            .at("status") == "bounced");
  for (const char* bad : {"limit=0", "limit=1001", "limit=x", "cursor=garbage"}) {
    INFO(bad);
    const auto b = c.request("GET", std::string("/messages/paged?") + bad, "", bearer(ws.key));
    CHECK(b.status == 400);
  }
}
