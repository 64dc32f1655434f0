#include "client.hpp"

#include <sys/time.h>

#include <algorithm>
#include <charconv>

#include <hiredis/hiredis.h>

namespace sesami::redis {
namespace {
timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

bool to_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Percent-decoding for the user and password parts (a password may hold '@' or ':').
bool decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int v = 0;
    auto [p, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
    if (ec != std::errc() || p != in.data() + i + 3) return false;
    out += static_cast<char>(v);
    i += 2;
  }
  return true;
}

reply convert(const redisReply* r, std::string* err) {
  reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = reply::kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = reply::kind::string;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = reply::kind::status;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      if (err) err->assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = reply::kind::array;
      for (std::size_t i = 0; i < r->elements; ++i)
        out.elements.push_back(convert(r->element[i], nullptr));
      break;
    default:
      break;
  }
  return out;
}
}  // namespace

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

boost::system::result<config, std::string> parse_url(std::string_view url) {
  using R = boost::system::result<config, std::string>;
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme)
    return R(boost::system::in_place_error,
             "a Redis URL starts with redis:// (rediss:// is not supported)");
  std::string_view rest = url.substr(scheme.size());
  config c;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    const auto user =
        colon == std::string_view::npos ? std::string_view() : userinfo.substr(0, colon);
    const auto pass = colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1);
    if (!decode(user, c.user) || !decode(pass, c.password))
      return R(boost::system::in_place_error,
               "the Redis URL's user or password has a bad %-escape");
  }
  std::string_view hostport = rest, db;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    db = rest.substr(slash + 1);
  }
  if (!db.empty() && (!to_int(db, c.db) || c.db < 0))
    return R(boost::system::in_place_error,
             "the Redis URL's database must be a number: /" + std::string(db));
  std::string_view host = hostport;
  if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    if (!to_int(hostport.substr(colon + 1), c.port) || c.port <= 0 || c.port > 65535)
      return R(boost::system::in_place_error, "the Redis URL's port is not a port number");
  }
  if (host.empty()) return R(boost::system::in_place_error, "the Redis URL names no host");
  c.host = std::string(host);
  return c;
}

std::string redacted(const config& c) {
  return "redis://" + c.host + ":" + std::to_string(c.port) + "/" + std::to_string(c.db);
}

client::client(config c, on_change notify)
    : cfg_(std::move(c)), notify_(std::move(notify)), since_(std::chrono::system_clock::now()) {}

client::~client() {
  stop_probe();
  for (auto* c : idle_) redisFree(c);
}

std::chrono::system_clock::time_point client::since() const {
  std::lock_guard lock(state_mu_);
  return since_;
}

void client::mark(bool ok, std::string_view reason) {
  if (ok && available_.load()) return;  // the common case, without the lock
  bool changed = false;
  {
    std::lock_guard lock(state_mu_);
    if (ok) {
      backoff_ = std::chrono::milliseconds(0);
    } else {
      backoff_ =
          std::clamp(backoff_ * 2, std::chrono::milliseconds(100), std::chrono::milliseconds(2000));
      retry_at_ = std::chrono::steady_clock::now() + backoff_;
    }
    if (!known_ || available_.load() != ok) {
      known_ = true;
      available_ = ok;
      since_ = std::chrono::system_clock::now();
      changed = true;
    }
  }
  if (changed && notify_) notify_(ok, reason);
}

redisContext* client::acquire(error& err, bool& attempted) {
  attempted = false;
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_.empty()) {
      auto* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  {
    std::lock_guard lock(state_mu_);
    if (known_ && !available_.load() && std::chrono::steady_clock::now() < retry_at_) {
      err = {"Redis unavailable (waiting before reconnecting)", true};
      return nullptr;
    }
  }
  attempted = true;
  redisContext* c =
      redisConnectWithTimeout(cfg_.host.c_str(), cfg_.port, to_timeval(cfg_.connect_timeout));
  if (!c || c->err) {
    err = {c ? std::string("cannot connect: ") + c->errstr : "cannot connect: out of memory", true};
    if (c) redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, to_timeval(cfg_.command_timeout));
  auto setup = [&](std::vector<std::string> args) -> bool {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
    if (!r) {
      err = {std::string("connection lost: ") + c->errstr, true};
      return false;
    }
    const bool ok = r->type != REDIS_REPLY_ERROR;
    // AUTH's error text never echoes the password; keep it for the operator.
    if (!ok) err = {std::string(args[0]) + " refused: " + std::string(r->str, r->len), true};
    freeReplyObject(r);
    return ok;
  };
  if (!cfg_.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!cfg_.user.empty()) auth.push_back(cfg_.user);
    auth.push_back(cfg_.password);
    if (!setup(std::move(auth))) {
      redisFree(c);
      return nullptr;
    }
  }
  if (cfg_.db != 0 && !setup({"SELECT", std::to_string(cfg_.db)})) {
    redisFree(c);
    return nullptr;
  }
  return c;
}

void client::release(redisContext* c, bool healthy) {
  if (healthy) {
    std::lock_guard lock(pool_mu_);
    if (idle_.size() < cfg_.max_idle) {
      idle_.push_back(c);
      return;
    }
  }
  redisFree(c);
}

result client::command(const std::vector<std::string_view>& args) {
  error err;
  bool attempted = false;
  redisContext* c = acquire(err, attempted);
  if (!c) {
    if (attempted) mark(false, err.message);  // a fail-fast answer does not push the retry back
    return err;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (!r) {
    err = {std::string("connection lost: ") + c->errstr, true};
    release(c, false);
    // A pooled connection may have died with a restart of Redis: drop the others too, they are
    // likely dead as well, and let the next command reconnect.
    {
      std::lock_guard lock(pool_mu_);
      for (auto* i : idle_) redisFree(i);
      idle_.clear();
    }
    mark(false, err.message);
    return err;
  }
  std::string resp_error;
  const bool is_error = r->type == REDIS_REPLY_ERROR;
  reply out = convert(r, &resp_error);
  freeReplyObject(r);
  release(c, true);
  mark(true, "reachable");
  if (is_error) return error{std::move(resp_error), false};
  return out;
}

bool client::probe() {
  auto r = command({"PING"});
  return r.has_value();
}

void client::start_probe() {
  if (prober_.joinable()) return;
  probe();  // the first state now, before serving
  prober_ = std::thread([this] {
    std::unique_lock lock(probe_mu_);
    while (!probe_cv_.wait_for(lock, cfg_.probe_every, [this] { return stopping_; })) {
      lock.unlock();
      probe();
      lock.lock();
    }
  });
}

void client::stop_probe() {
  {
    std::lock_guard lock(probe_mu_);
    stopping_ = true;
  }
  probe_cv_.notify_all();
  if (prober_.joinable()) prober_.join();
}

}  // namespace sesami::redis
