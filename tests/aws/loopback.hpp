#pragma once
// Test helpers for the AWS tests: a tiny HTTP/1.1 server on an ephemeral loopback port (one
// thread, one connection at a time, keep-alive) whose answers a test scripts, recording every
// request it saw; a temp dir; and a child process (Node stand-ins, the SES v2 emulator) started
// on a free port and stopped with the test.
#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "aws/http_client.hpp"

namespace sesami::test {

struct seen_request {
  std::string method, target, body;
  std::vector<aws::http_header> headers;
  std::string header(std::string_view name) const {
    for (const auto& h : headers)
      if (aws::iequals(h.name, name)) return h.value;
    return {};
  }
};
struct scripted_response {
  int status = 200;
  std::vector<aws::http_header> headers;
  std::string body;
};

class loopback_server {
 public:
  using handler = std::function<scripted_response(const seen_request&)>;
  explicit loopback_server(handler h);
  ~loopback_server();
  unsigned short port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<seen_request> requests() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  unsigned short port_ = 0;
};

struct temp_dir {
  std::filesystem::path path;
  temp_dir();
  ~temp_dir();
};
void write_file(const std::filesystem::path& p, std::string_view text);

/// A child process that prints a line containing its URL ("http://127.0.0.1:PORT" or the given
/// marker) once it listens; killed (SIGTERM) when destroyed.
class child_process {
 public:
  child_process(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra,
                const std::string& ready_marker);
  ~child_process();
  const std::string& ready_line() const { return line_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string line_;
  std::thread drain_;  // keeps reading its output so it never blocks on a full pipe
};

/// A TCP port free on loopback right now.
unsigned short free_port();

}  // namespace sesami::test
