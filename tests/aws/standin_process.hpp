#pragma once
// Runs the Node AWS stand-ins (tests/aws/standins/serve.mjs) for a C++ test: writes the config,
// starts `node serve.mjs --port 0`, waits for its "listening on" line, and stops it (SIGTERM) at
// scope exit. Also a few unsigned calls to its /_admin routes (state, faults, messages).
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <boost/system/result.hpp>
#include <catch2/catch.hpp>

#include "aws/http_client.hpp"

// Catch prints results through this (Boost's operator<< would need printable values).
namespace Catch {
template <class T, class E>
struct StringMaker<boost::system::result<T, E>> {
  static std::string convert(const boost::system::result<T, E>& r) {
    if (r) return "ok";
    if constexpr (requires { r.error().message; })
      return "error: " + std::string(r.error().message);
    else
      return "error";
  }
};
}  // namespace Catch

namespace sesami_test {

class standins {
 public:
  /// `config`: the stand-ins' JSON config (tests/aws/standins/README.md).
  standins(const boost::json::value& config, const std::filesystem::path& work_dir) {
    const auto cfg = work_dir / "standins.json";
    std::ofstream(cfg) << boost::json::serialize(config);
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a test that crashed or was killed
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      const std::string script = std::string(SESAMI_STANDINS_DIR) + "/serve.mjs";
      ::execlp("node", "node", script.c_str(), "--port", "0", "--config", cfg.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char ch;
    while (::read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
    ::close(out[0]);
    const std::string prefix = "listening on ";
    if (line.rfind(prefix, 0) != 0) {
      stop();
      throw std::runtime_error("stand-ins did not start: '" + line + "'");
    }
    base_ = line.substr(prefix.size());
  }
  ~standins() { stop(); }
  standins(const standins&) = delete;
  standins& operator=(const standins&) = delete;

  const std::string& base() const { return base_; }

  boost::json::value admin(const std::string& method, const std::string& path,
                           const boost::json::value& body = nullptr) {
    sesami::aws::http_request req;
    req.method = method;
    req.url = base_ + path;
    if (!body.is_null()) req.body = boost::json::serialize(body);
    auto r = http_.perform(req);
    if (!r || r->status != 200) throw std::runtime_error("admin call failed: " + path);
    return boost::json::parse(r->body);
  }
  boost::json::value state() { return admin("GET", "/_admin/state"); }
  void fault(const boost::json::value& f) { admin("POST", "/_admin/faults", f); }
  void send(const std::string& queue, const std::string& body) {
    admin("POST", "/_admin/queues/" + queue + "/messages", boost::json::object{{"body", body}});
  }
  std::int64_t calls(const std::string& key) {
    auto s = state();
    auto* v = s.at("calls").as_object().if_contains(key);
    return v ? v->to_number<std::int64_t>() : 0;
  }

 private:
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      pid_ = -1;
    }
  }
  pid_t pid_ = -1;
  std::string base_;
  sesami::aws::http_client http_;
};

/// Polls `pred` every 20 ms until it holds or `limit` passes; returns whether it held.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(15)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace sesami_test
