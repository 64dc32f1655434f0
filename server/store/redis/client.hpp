#pragma once
// A small Redis client for the state several `sesami serve` nodes share (issue #8): the STS
// credential cache, the send-rate buckets and the SNS MessageId dedupe. Blocking commands over a
// small pool of hiredis connections, with bounded connect and command timeouts.
//
// Availability is one shared state: a transport failure marks Redis unavailable and later
// commands fail fast (no connect attempt) until a backoff (100 ms doubling to 2 s) has passed; a
// background probe PINGs so the state also recovers without traffic. Callers fall back to their
// in-process versions while it is down. Transitions are reported once each through `on_change`.
// RESP errors (NOSCRIPT, WRONGTYPE...) are results, not transport failures; nothing throws.
// The password never leaves config (redacted() for logs).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/system/result.hpp>

struct redisContext;

namespace sesami::redis {

struct config {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string user;      // Redis 6 ACL user; empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{500};
  std::chrono::milliseconds probe_every{1000};
  std::size_t max_idle = 8;  // pooled connections kept open
};

/// redis://[[user]:password@]host[:port][/db]; an error message (never containing the password)
/// otherwise.
boost::system::result<config, std::string> parse_url(std::string_view url);
/// "redis://host:port/db" — what logs may show.
std::string redacted(const config& c);

struct reply {
  enum class kind { nil, integer, string, status, array };
  kind type = kind::nil;
  long long integer = 0;
  std::string str;
  std::vector<reply> elements;
  bool is_nil() const noexcept { return type == kind::nil; }
};

struct error {
  std::string message;
  bool transport = true;  // false: Redis answered with an error reply (message is its text)
};

using result = boost::system::result<reply, error>;

class client {
 public:
  /// Called on every availability transition (true: now available), with a reason for the log.
  using on_change = std::function<void(bool available, std::string_view reason)>;
  explicit client(config c, on_change notify = {});
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  result command(const std::vector<std::string_view>& args);
  result command(std::initializer_list<std::string_view> args) {
    return command(std::vector<std::string_view>(args));
  }

  bool available() const noexcept { return available_.load(); }
  /// When the current availability state began (construction time at first).
  std::chrono::system_clock::time_point since() const;
  const config& settings() const noexcept { return cfg_; }

  /// Starts / stops the background PING (serve runs it; tests may call probe() directly).
  void start_probe();
  void stop_probe();
  /// One PING now; updates the state.
  bool probe();

 private:
  redisContext* acquire(error& err, bool& attempted);
  void release(redisContext* c, bool healthy);
  void mark(bool ok, std::string_view reason);
  config cfg_;
  on_change notify_;
  std::mutex pool_mu_;
  std::vector<redisContext*> idle_;
  std::atomic<bool> available_{false};
  mutable std::mutex state_mu_;
  bool known_ = false;  // a first state was reported
  std::chrono::system_clock::time_point since_;
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
  std::thread prober_;
  std::mutex probe_mu_;
  std::condition_variable probe_cv_;
  bool stopping_ = false;
};

/// Lower-case hex of bytes.
std::string hex(std::string_view bytes);

}  // namespace sesami::redis
