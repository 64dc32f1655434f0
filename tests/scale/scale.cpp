#include "scale.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sesami/aggregate.hpp>
#include <sesami/aggregate_json.hpp>
#include <sesami/batch.hpp>
#include <sesami/detail/iso8601.hpp>
#include <sesami/to_json.hpp>

namespace sesami::test {
namespace json = boost::json;
using namespace std::chrono_literals;

// ---- PostgreSQL
// ----------------------------------------------------------------------------------

std::string pg_test_url() {
  const char* u = std::getenv("SESAMI_TEST_PG");
  return u && *u ? u : "postgresql://sesami:sesami@127.0.0.1:5432/sesami_test";
}

std::string pg_exec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    const char* opt = std::getenv("SESAMI_TEST_PG_OPTIONAL");
    if (opt && std::string_view(opt) == "1") {
      std::cerr << "SKIPPED: PostgreSQL unreachable (SESAMI_TEST_PG_OPTIONAL=1): " << msg << "\n";
      std::exit(77);
    }
    throw std::runtime_error(
        "PostgreSQL unreachable (start it: pg_ctlcluster 15 main start; "
        "scripts/test creates the role and database): " +
        msg);
  }
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(c, sql.c_str());
  const auto st = PQresultStatus(r);
  std::string out, err = PQresultErrorMessage(r);
  if (st == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
  PQclear(r);
  PQfinish(c);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    throw std::runtime_error("SQL failed: " + err + " in " + sql);
  return out;
}

std::string with_schema(const std::string& url, const std::string& schema) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

pg_schema::pg_schema(std::string server_url) : server_url_(std::move(server_url)) {
  static std::atomic<int> counter{0};
  name_ = "scale" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  pg_exec(server_url_, "DROP SCHEMA IF EXISTS " + name_ + " CASCADE; CREATE SCHEMA " + name_);
}

pg_schema::~pg_schema() {
  try {
    pg_exec(server_url_, "DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  } catch (const std::exception& e) {
    std::cerr << "could not drop schema " << name_ << ": " << e.what() << "\n";
  }
}

scale_db::scale_db(const fs::path& dir, const std::string& name) {
  const char* b = std::getenv("SESAMI_SCALE_BACKEND");
  if (b && std::string_view(b) == "sqlite") {
    fs::create_directories(dir);
    url_ = (dir / (name + ".db")).string();
  } else {
    schema_ = std::make_unique<pg_schema>();
    url_ = schema_->url();
  }
}

namespace {
/// Runs a program (PATH searched) with its output appended to `log`; returns its exit status.
int run_program(const std::vector<std::string>& args_in, const fs::path& log) {
  std::vector<std::string> args = args_in;
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

unsigned short free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(s);
    throw std::runtime_error("no free port");
  }
  ::close(s);
  return ntohs(a.sin_port);
}

/// The directory of initdb and pg_ctl: SESAMI_PG_BIN, else the newest /usr/lib/postgresql/N/bin
/// (Debian keeps them off PATH), else PATH.
std::string pg_bin_dir() {
  if (const char* b = std::getenv("SESAMI_PG_BIN"); b && *b) return b;
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& d : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const auto name = d.path().filename().string();
    if (!fs::exists(d.path() / "bin" / "initdb") || name.empty() ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    if (const int v = std::stoi(name); v > best_version) {
      best_version = v;
      best = (d.path() / "bin").string();
    }
  }
  return best;
}
}  // namespace

private_cluster::private_cluster() : bin_(pg_bin_dir()), port_(free_port()) {
  const char* opt = std::getenv("SESAMI_TEST_PG_OPTIONAL");
  if (bin_.empty() && opt && std::string_view(opt) == "1") {
    std::cerr << "SKIPPED: PostgreSQL is not installed (SESAMI_TEST_PG_OPTIONAL=1)\n";
    std::exit(77);
  }
  std::string tmpl = (fs::temp_directory_path() / "sesami-pg-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
  if (::geteuid() == 0) {  // initdb and postgres refuse root: the directory becomes postgres's
    const passwd* pw = ::getpwnam("postgres");
    if (!pw) throw std::runtime_error("running as root and there is no postgres user");
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown");
  }
  if (pg({"initdb", "-D", (dir_ / "data").string(), "-U", "sesami", "--auth=trust", "-E", "UTF8",
          "--no-sync"}) != 0)
    throw std::runtime_error("initdb failed: " + read_file(dir_ / "pg.log"));
  start();
}

private_cluster::~private_cluster() {
  if (running_) pg({"pg_ctl", "-D", (dir_ / "data").string(), "-m", "immediate", "-w", "stop"});
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

int private_cluster::pg(const std::vector<std::string>& args_in) const {
  std::vector<std::string> args;
  if (::geteuid() == 0) args = {"runuser", "-u", "postgres", "--"};
  args.push_back(bin_.empty() ? args_in[0] : bin_ + "/" + args_in[0]);
  args.insert(args.end(), args_in.begin() + 1, args_in.end());
  // pg.log sits in the cluster's directory, which belongs to the user the programs run as.
  return run_program(args, dir_ / "pg.log");
}

std::string private_cluster::url() const {
  return "postgresql://sesami@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

void private_cluster::start() {
  const std::string opts = "-p " + std::to_string(port_) + " -k " + dir_.string() +
                           " -c listen_addresses=127.0.0.1 -c max_connections=200";
  if (pg({"pg_ctl", "-D", (dir_ / "data").string(), "-o", opts, "-l",
          (dir_ / "server.log").string(), "-w", "-t", "60", "start"}) != 0)
    throw std::runtime_error("pg_ctl start failed: " + read_file(dir_ / "pg.log") +
                             read_file(dir_ / "server.log"));
  running_ = true;
}

void private_cluster::stop(const std::string& mode) {
  if (pg({"pg_ctl", "-D", (dir_ / "data").string(), "-m", mode, "-w", "-t", "60", "stop"}) != 0)
    throw std::runtime_error("pg_ctl stop failed: " + read_file(dir_ / "pg.log"));
  running_ = false;
}

// ---- nodes -------------------------------------------------------------------------------------

fleet::fleet(const fs::path& root, std::string db, int nodes, std::vector<std::string> extra,
             int running)
    : db_(std::move(db)), extra_(std::move(extra)) {
  for (int i = 0; i < nodes; ++i) {
    auto n = std::make_unique<node_state>();
    n->dir = root / ("node" + std::to_string(i + 1));
    fs::create_directories(n->dir);
    nodes_.push_back(std::move(n));
    if (running < 0 || i < running) start(i);
  }
}

unsigned short fleet::any_port() const {
  for (const auto& n : nodes_)
    if (n->port) return n->port;
  throw std::runtime_error("no node is running");
}

void fleet::kill(int i) {
  auto& n = *nodes_[static_cast<std::size_t>(i)];
  n.port = 0;
  n.proc->kill_hard();
}

void fleet::start(int i) {
  auto& n = *nodes_[static_cast<std::size_t>(i)];
  n.proc.reset();  // the old process is gone (killed) or stopped here
  n.proc = std::make_unique<server_process>(n.dir, extra_, db_);
  n.port = n.proc->port();
}

std::string fleet::logs() const {
  std::string out;
  for (const auto& n : nodes_) {
    const auto log = read_file(n->dir / "server.log");
    out += "--- " + n->dir.filename().string() + " (end of its log)\n" +
           log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
  }
  return out;
}

std::vector<std::string> redis_flags(const fs::path& dir) {
  std::string url;
  if (const char* u = std::getenv("SESAMI_TEST_REDIS"); u && *u)
    url = u;
  else
    url = "redis://127.0.0.1:6379/" + std::to_string(1 + ::getpid() % 15);
  const auto key = dir / "redis.key";
  std::random_device rd;
  std::string hex;
  for (int i = 0; i < 32; ++i) {
    static constexpr char digits[] = "0123456789abcdef";
    const auto b = rd() & 0xff;
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  write_file(key, hex + "\n");
  return {"--redis", url, "--redis-key-file", key.string()};
}

// ---- the event stream ------------------------------------------------------------------------

namespace {
const std::string fixture_message_id =
    "EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000";
const std::string fixture_recipient = "recipient@example.com";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
    s.replace(at, from.size(), to);
  return s;
}

std::string iso_hour(std::int64_t ms) {  // "YYYY-MM-DDTHH"
  return sesami::detail::format_iso8601(ms).substr(0, 13);
}
}  // namespace

event_stream make_stream(std::uint64_t seed, int messages, int recipients) {
  std::mt19937_64 rng(seed);
  std::map<std::string, std::string> tmpl;
  for (const char* t :
       {"send", "delivery", "bounce", "complaint", "open", "click", "delivery-delay"})
    tmpl[t] = fixture(std::string("eventbridge/event-") + t + ".json");
  const std::regex hour_re(R"(\d{4}-\d{2}-\d{2}T\d{2})");

  event_stream s;
  for (int r = 0; r < recipients; ++r)
    s.recipients.push_back("rcpt" + std::to_string(r) + "@scale.example.com");
  constexpr std::int64_t hour = 3'600'000;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::int64_t base = now / hour * hour - 20 * 24 * hour;
  s.stats_query = "from=" + sesami::detail::format_iso8601(base - 24 * hour) +
                  "&to=" + sesami::detail::format_iso8601(now / hour * hour + 24 * hour) +
                  "&bucket=day";

  int envelope = 0;
  for (int m = 0; m < messages; ++m) {
    const std::string mid = "scale-" + std::to_string(seed % 100000) + "-" + std::to_string(m);
    const int r = m % recipients;
    const auto& rcpt = s.recipients[static_cast<std::size_t>(r)];
    const std::int64_t at = base + (m * 7 % (24 * 18)) * hour;
    auto add = [&](const std::string& type, int hours_later) {
      std::string body = replace_all(tmpl.at(type), fixture_message_id, mid);
      body = replace_all(body, fixture_recipient, rcpt);
      body = std::regex_replace(body, hour_re, iso_hour(at + hours_later * hour));
      // EventBridge's own event id, new per event (a redelivery repeats it).
      body = std::regex_replace(body, std::regex(R"("id": "[^"]*")"),
                                "\"id\": \"scale-envelope-" + std::to_string(++envelope) + "\"",
                                std::regex_constants::format_first_only);
      const std::string norm = type == "delivery-delay" ? "delivery_delay" : type;
      s.events.push_back({mid, norm, rcpt, std::move(body)});
    };
    add("send", 0);
    if (r % 6 == 0) {  // an address that does not exist: a hard bounce, then suppressed
      add("bounce", 0);
    } else if (r % 6 == 1) {  // delivered, then marked as spam
      add("delivery", 0);
      add("complaint", 1);
    } else {
      if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) add("delivery-delay", 0);
      add("delivery", 0);
      if (std::uniform_int_distribution<int>(0, 1)(rng)) {
        add("open", 1);
        if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) add("click", 2);
      }
    }
  }
  return s;
}

std::vector<std::size_t> shuffled_with_duplicates(const event_stream& s, double duplicate_share,
                                                  std::mt19937_64& rng) {
  std::vector<std::size_t> order;
  std::bernoulli_distribution dup(duplicate_share);
  for (std::size_t i = 0; i < s.events.size(); ++i) {
    order.push_back(i);
    if (dup(rng)) order.push_back(i);
  }
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

workspace_secrets make_ingest_workspace(const std::string& db) {
  auto ws = create_workspace(db, "acme");
  auto r = run_sesami({"workspace", "connect-account", "acme", "123456789012", "--db", db});
  if (r.status != 0) throw std::runtime_error("sesami workspace connect-account failed: " + r.out);
  return ws;
}

// ---- deliverer ---------------------------------------------------------------------------------

deliverer::deliverer(fleet& nodes, const event_stream& s, std::vector<std::size_t> order,
                     const workspace_secrets& ws, int senders, std::size_t held)
    : nodes_(nodes), s_(s), ws_(ws) {
  rep_.acks.assign(s.events.size(), 0);
  rep_.requests = order.size();
  held = std::min(held, order.size());
  held_.assign(order.end() - static_cast<std::ptrdiff_t>(held), order.end());
  order.resize(order.size() - held);
  pending_.assign(order.rbegin(), order.rend());
  for (int k = 0; k < senders; ++k) threads_.emplace_back([this, k] { sender(k); });
}

deliverer::~deliverer() {
  stop_ = true;
  for (auto& t : threads_) t.join();
}

void deliverer::sender(int k) {
  std::map<unsigned short, std::unique_ptr<http_client>> clients;  // port → connection
  int next_node = k % nodes_.size();
  const std::string path = "/ingest/eventbridge/" + ws_.token;
  while (!stop_) {
    std::size_t ev = 0;
    {
      std::lock_guard lock(mu_);
      if (!pending_.empty()) {
        ev = pending_.back();
        pending_.pop_back();
      } else if (acked_ == rep_.requests) {
        return;
      } else {
        ev = SIZE_MAX;  // others still hold requests that may come back
      }
    }
    if (ev == SIZE_MAX) {
      std::this_thread::sleep_for(2ms);
      continue;
    }
    // The next running node after the one used last.
    unsigned short port = 0;
    for (int tries = 0; tries < nodes_.size() && port == 0; ++tries) {
      port = nodes_.port(next_node);
      next_node = (next_node + 1) % nodes_.size();
    }
    bool ok = false;
    if (port != 0) {
      try {
        auto& c = clients[port];
        if (!c) c = std::make_unique<http_client>(port);
        const auto r =
            c->request("POST", path, s_.events[ev].body, {{"X-Sesami-Secret", ws_.secret}});
        std::lock_guard lock(mu_);
        ++rep_.statuses[r.status];
        if (r.status >= 200 && r.status < 300) {
          ++rep_.acks[ev];
          ++acked_;
          ok = true;
        } else if (r.status != 503 && rep_.first_unexpected.empty()) {
          rep_.first_unexpected = std::to_string(r.status) + " " + r.body;
        }
      } catch (const std::exception&) {
        clients.erase(port);  // the node died mid-request, or refused the connection
        std::lock_guard lock(mu_);
        ++rep_.unanswered;
      }
    }
    if (!ok) {
      {
        std::lock_guard lock(mu_);
        pending_.insert(pending_.begin(), ev);  // again, later, through another node
      }
      std::this_thread::sleep_for(10ms);  // as AWS backs off
    }
  }
}

void deliverer::release_held() {
  std::lock_guard lock(mu_);
  pending_.insert(pending_.begin(), held_.rbegin(), held_.rend());
  held_.clear();
}

bool deliverer::wait_acknowledged(std::size_t n, std::chrono::seconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (acked_ < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

delivery_report deliverer::report() const {
  std::lock_guard lock(mu_);
  return rep_;
}

bool deliverer::finish(std::chrono::seconds timeout) {
  const bool done = wait_acknowledged(rep_.requests, timeout);
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
  return done;
}

// ---- snapshots ---------------------------------------------------------------------------------

namespace {
std::string id_of(const json::value& e) { return s(e.at("id")); }

void sort_by(json::array& a, const char* key) {
  std::sort(a.begin(), a.end(), [key](const json::value& x, const json::value& y) {
    return json::serialize(x.at(key)) < json::serialize(y.at(key));
  });
}
}  // namespace

namespace {
/// A reading client as a dashboard or script would be: a 503 (the store briefly unavailable, e.g.
/// a pooled connection that PostgreSQL closed when it restarted) is retried, for up to 10 s.
class retrying_client {
 public:
  explicit retrying_client(unsigned short port) : port_(port) {}
  http_response get(const std::string& target, const std::string& key) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      auto r = http_client(port_).request("GET", target, "", bearer(key));
      if (r.status != 503 || std::chrono::steady_clock::now() > deadline) return r;
      ++retried;
      std::this_thread::sleep_for(100ms);
    }
  }
  int retried = 0;

 private:
  unsigned short port_;
};
}  // namespace

snapshot take_snapshot(unsigned short port, const std::string& key, const event_stream& st) {
  snapshot out;
  retrying_client c(port);
  std::string next;
  do {
    auto r = c.get("/events?limit=1000" + (next.empty() ? "" : "&cursor=" + next), key);
    if (r.status != 200) throw std::runtime_error("GET /events: " + r.body);
    auto v = parse(r);
    for (auto& e : v.at("events").as_array()) out.events.push_back(e);
    next = v.at("next").is_null() ? "" : s(v.at("next"));
  } while (!next.empty());
  std::sort(out.events.begin(), out.events.end(),
            [](const json::value& a, const json::value& b) { return id_of(a) < id_of(b); });
  for (const auto& r : st.recipients) {
    auto res = c.get("/recipients/" + r, key);
    if (res.status == 404) continue;  // nothing known: the same in both runs or a difference
    if (res.status != 200) throw std::runtime_error("GET /recipients: " + res.body);
    auto v = parse(res);
    // Order within a page is by time; ties are in no promised order.
    sort_by(v.at("messages").as_array(), "messageId");
    sort_by(v.at("events").as_array(), "id");
    out.recipients[r] = std::move(v);
  }
  auto res = c.get("/stats?" + st.stats_query, key);
  if (res.status != 200) throw std::runtime_error("GET /stats: " + res.body);
  out.stats = parse(res);
  std::string cursor;
  do {
    res = c.get("/suppression-list?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor), key);
    if (res.status != 200) throw std::runtime_error("GET /suppression-list: " + res.body);
    auto v = parse(res);
    for (const auto& e : v.at("entries").as_array())
      out.suppressed.push_back(s(e.at("address")) + " " + s(e.at("reason")));
    cursor = v.at("next").is_null() ? "" : s(v.at("next"));
  } while (!cursor.empty());
  std::sort(out.suppressed.begin(), out.suppressed.end());
  out.retried_503 = c.retried;
  return out;
}

std::vector<std::string> differences(const snapshot& got, const snapshot& want, std::size_t max) {
  std::vector<std::string> d;
  auto add = [&](std::string what) {
    if (d.size() < max) d.push_back(std::move(what));
  };
  if (got.events.size() != want.events.size())
    add("events: " + std::to_string(got.events.size()) + " stored, the single node stored " +
        std::to_string(want.events.size()));
  std::map<std::string, const json::value*> want_by_id;
  for (const auto& e : want.events) want_by_id[id_of(e)] = &e;
  for (const auto& e : got.events) {
    const auto it = want_by_id.find(id_of(e));
    if (it == want_by_id.end())
      add("event not in the single-node run: " + json::serialize(e));
    else if (*it->second != e)
      add("event differs: " + json::serialize(e) + " vs " + json::serialize(*it->second));
  }
  for (const auto& [addr, v] : want.recipients) {
    const auto it = got.recipients.find(addr);
    if (it == got.recipients.end())
      add("recipient missing: " + addr);
    else if (it->second != v)
      add("recipient " + addr + ": " + json::serialize(it->second) + " vs " + json::serialize(v));
  }
  for (const auto& [addr, v] : got.recipients)
    if (!want.recipients.count(addr)) add("recipient not in the single-node run: " + addr);
  if (got.stats != want.stats)
    add("stats: " + json::serialize(got.stats) + " vs " + json::serialize(want.stats));
  if (got.suppressed != want.suppressed) {
    std::ostringstream ss;
    ss << "suppression list: " << got.suppressed.size() << " entries vs " << want.suppressed.size();
    add(ss.str());
  }
  return d;
}

std::vector<std::string> recount_differences(const snapshot& snap) {
  std::vector<std::string> d;
  std::vector<sesami::event> evs;
  for (const auto& e : snap.events) {
    auto parsed = sesami::event_from_json(e);
    if (!parsed) {
      d.push_back("unreadable stored event: " + json::serialize(e));
      return d;
    }
    evs.push_back(std::move(*parsed));
  }
  auto batch = sesami::make_batch(evs);
  if (!batch) return {"make_batch failed"};
  auto recount = sesami::aggregate(*batch, sesami::filter{});
  if (!recount) return {"aggregate failed"};
  const auto expected = json::parse(sesami::to_json(*recount));
  for (const char* k : {"events", "totals", "opens", "clicks", "statuses", "bounceClasses"}) {
    const auto* a = snap.stats.as_object().if_contains(k);
    const auto* b = expected.as_object().if_contains(k);
    if (!a || !b || *a != *b)
      d.push_back(std::string(k) + ": rollups " + (a ? json::serialize(*a) : "none") +
                  ", recount " + (b ? json::serialize(*b) : "none"));
  }
  return d;
}

stored_count count_stored(const snapshot& snap, const event_stream& st) {
  std::map<std::string, std::size_t> index;  // messageId|type|recipient → stream event
  for (std::size_t i = 0; i < st.events.size(); ++i) {
    const auto& e = st.events[i];
    index[e.message_id + "|" + e.type + "|" + e.recipient] = i;
  }
  stored_count out;
  out.per_event.assign(st.events.size(), 0);
  for (const auto& e : snap.events) {
    const auto& rcpt = e.at("recipient");
    const std::string k =
        s(e.at("messageId")) + "|" + s(e.at("type")) + "|" + (rcpt.is_string() ? s(rcpt) : "");
    const auto it = index.find(k);
    if (it == index.end())
      out.strangers.push_back(k);
    else
      ++out.per_event[it->second];
  }
  return out;
}

snapshot single_node_reference(const fs::path& root, const std::string& db,
                               const event_stream& st) {
  const auto ws = make_ingest_workspace(db);
  fleet one(root, db, 1);
  // Each event once, in stream order (a few requests in flight at once, as any single server
  // takes them), nothing killed.
  std::vector<std::size_t> order(st.events.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  deliverer d(one, st, std::move(order), ws, 4);
  if (!d.finish(std::chrono::seconds(120)))
    throw std::runtime_error("the single node did not take every event");
  const auto rep = d.report();
  for (const auto& [status, n] : rep.statuses)
    if (status < 200 || status >= 300 || rep.unanswered != 0)
      throw std::runtime_error("the single node refused events: HTTP " + std::to_string(status) +
                               " x" + std::to_string(n) + " " + rep.first_unexpected);
  return take_snapshot(one.port(0), ws.key, st);
}

}  // namespace sesami::test
