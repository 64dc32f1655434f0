// http_load: a closed-loop HTTP/1.1 load generator for `sesami serve` — N keep-alive connections,
// each sending its next request as soon as the previous answer arrives, for a fixed time.
// Prints one JSON line: requests, errors (non-2xx), requests/s, latency percentiles.
//
//   http_load --port P --method POST --path /ingest/eventbridge/TOKEN --header 'X-Sesami-Secret: S'
//             --body-file event.json --unique --connections 64 --seconds 10
//
// --unique replaces every "{{n}}" in the body with a per-request counter so that each request
// carries a new event (nothing is deduplicated away). Before timing, one request is sent and its
// status checked (a benchmark of error answers measures nothing).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {
struct options {
  std::string host = "127.0.0.1";
  unsigned short port = 8080;
  std::string method = "GET", path = "/health", body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool unique = false;
  unsigned connections = 64, threads = 1;
  double seconds = 10, warmup = 1;
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
    s.replace(at, from.size(), to);
  return s;
}

struct shared_state {
  explicit shared_state(const options& o) : opt(o) {}
  const options& opt;
  std::atomic<std::uint64_t> counter{0};
  std::atomic<bool> measuring{false}, stop{false};
  std::mutex mu;
  std::vector<double> latencies_ms;  // measured requests only
  std::uint64_t ok = 0, errors = 0;
};

class conn : public std::enable_shared_from_this<conn> {
 public:
  conn(asio::io_context& io, shared_state& st) : sock_(io), st_(st) {}
  void start(const tcp::endpoint& ep) {
    sock_.async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
        return;
      }
      self->send();
    });
  }

 private:
  void send() {
    if (st_.stop) return;
    req_ = {};
    req_.method(bhttp::string_to_verb(st_.opt.method));
    req_.target(st_.opt.path);
    req_.version(11);
    req_.set(bhttp::field::host, st_.opt.host);
    for (const auto& [k, v] : st_.opt.headers) req_.set(k, v);
    if (!st_.opt.body.empty()) {
      req_.set(bhttp::field::content_type, "application/json");
      req_.body() = st_.opt.unique
                        ? replace_all(st_.opt.body, "{{n}}", std::to_string(st_.counter++))
                        : st_.opt.body;
    }
    req_.keep_alive(true);
    req_.prepare_payload();
    started_ = clock_type::now();
    measured_ = st_.measuring.load();
    bhttp::async_write(sock_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->res_ = {};
      bhttp::async_read(self->sock_, self->buf_, self->res_,
                        [self](beast::error_code ec2, std::size_t) { self->done(ec2); });
    });
  }
  void done(beast::error_code ec) {
    if (ec) {
      std::fprintf(stderr, "read: %s\n", ec.message().c_str());
      return;
    }
    const double ms =
        std::chrono::duration<double, std::milli>(clock_type::now() - started_).count();
    if (measured_ && st_.measuring) {
      std::lock_guard lock(st_.mu);
      st_.latencies_ms.push_back(ms);
      (res_.result_int() / 100 == 2 ? st_.ok : st_.errors)++;
    }
    send();
  }
  tcp::socket sock_;
  shared_state& st_;
  beast::flat_buffer buf_;
  bhttp::request<bhttp::string_body> req_;
  bhttp::response<bhttp::string_body> res_;
  clock_type::time_point started_;
  bool measured_ = false;
};

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}
}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i + 1 < argc || (i < argc && std::string(argv[i]) == "--unique"); ++i) {
    const std::string a = argv[i];
    if (a == "--unique") {
      opt.unique = true;
      continue;
    }
    const std::string v = argv[++i];
    if (a == "--host")
      opt.host = v;
    else if (a == "--port")
      opt.port = static_cast<unsigned short>(std::stoi(v));
    else if (a == "--method")
      opt.method = v;
    else if (a == "--path")
      opt.path = v;
    else if (a == "--body-file") {
      std::ifstream in(v);
      std::ostringstream ss;
      ss << in.rdbuf();
      opt.body = ss.str();
    } else if (a == "--header") {
      const auto c = v.find(':');
      opt.headers.emplace_back(v.substr(0, c), v.substr(v.find_first_not_of(' ', c + 1)));
    } else if (a == "--connections")
      opt.connections = static_cast<unsigned>(std::stoi(v));
    else if (a == "--threads")
      opt.threads = static_cast<unsigned>(std::stoi(v));
    else if (a == "--seconds")
      opt.seconds = std::stod(v);
    else if (a == "--warmup")
      opt.warmup = std::stod(v);
    else {
      std::fprintf(stderr, "http_load: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  const tcp::endpoint ep(asio::ip::make_address(opt.host), opt.port);

  {  // One request first: refuse to benchmark errors.
    asio::io_context io;
    tcp::socket s(io);
    s.connect(ep);
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(opt.method), opt.path, 11};
    req.set(bhttp::field::host, opt.host);
    for (const auto& [k, v] : opt.headers) req.set(k, v);
    if (!opt.body.empty()) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = opt.unique ? replace_all(opt.body, "{{n}}", "check") : opt.body;
    }
    req.prepare_payload();
    bhttp::write(s, req);
    beast::flat_buffer b;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(s, b, res);
    if (res.result_int() / 100 != 2) {
      std::fprintf(stderr, "http_load: check request got %d: %s\n", res.result_int(),
                   res.body().c_str());
      return 1;
    }
  }

  shared_state st{opt};
  asio::io_context io;
  for (unsigned i = 0; i < opt.connections; ++i) std::make_shared<conn>(io, st)->start(ep);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < opt.threads; ++t) threads.emplace_back([&] { io.run(); });
  std::this_thread::sleep_for(std::chrono::duration<double>(opt.warmup));
  st.measuring = true;
  const auto t0 = clock_type::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(opt.seconds));
  st.measuring = false;
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  st.stop = true;
  io.stop();
  for (auto& t : threads) t.join();

  std::lock_guard lock(st.mu);
  const auto n = st.ok + st.errors;
  std::printf(
      "{\"path\":\"%s\",\"connections\":%u,\"seconds\":%.2f,\"requests\":%llu,\"errors\":%llu,"
      "\"rps\":%.1f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f}\n",
      opt.path
          .substr(0, opt.path.find('/', 1) == std::string::npos ? opt.path.size()
                                                                : opt.path.find('/', 1))
          .c_str(),
      opt.connections, secs, static_cast<unsigned long long>(n),
      static_cast<unsigned long long>(st.errors), static_cast<double>(n) / secs,
      pct(st.latencies_ms, 50), pct(st.latencies_ms, 95), pct(st.latencies_ms, 99));
  return st.errors ? 1 : 0;
}
