#include "loopback.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <stdexcept>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

extern char** environ;

namespace sesami::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct loopback_server::impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  handler h;
  mutable std::mutex mu;
  std::vector<seen_request> seen;
  std::thread thread;
  std::vector<std::thread> conns;  // one thread per connection: clients keep connections alive
  std::vector<std::shared_ptr<tcp::socket>> socks;
  std::atomic<bool> stop{false};

  void serve(tcp::socket& sock) {
    beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      beast::error_code ec;
      http::read(sock, buf, req, ec);
      if (ec) return;
      seen_request s;
      s.method = std::string(req.method_string());
      s.target = std::string(req.target());
      s.body = req.body();
      for (const auto& f : req)
        s.headers.push_back({std::string(f.name_string()), std::string(f.value())});
      {
        std::lock_guard lock(mu);
        seen.push_back(s);
      }
      scripted_response r = h(s);
      http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
      for (const auto& hd : r.headers) res.set(hd.name, hd.value);
      res.body() = r.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(sock, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }
};

loopback_server::loopback_server(handler h) : impl_(std::make_unique<impl>()) {
  impl_->h = std::move(h);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->thread = std::thread([this] {
    while (!impl_->stop) {
      beast::error_code ec;
      auto sock = std::make_shared<tcp::socket>(impl_->io);
      impl_->acceptor.accept(*sock, ec);
      if (ec || impl_->stop) return;
      std::lock_guard lock(impl_->mu);
      impl_->socks.push_back(sock);
      impl_->conns.emplace_back([this, sock] { impl_->serve(*sock); });
    }
  });
}

loopback_server::~loopback_server() {
  impl_->stop = true;
  // Wake the blocking accept with a connection of our own.
  try {
    asio::io_context io;
    tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), port_});
  } catch (...) {
  }
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->thread.join();
  for (auto& s : impl_->socks) s->shutdown(tcp::socket::shutdown_both, ec);
  for (auto& t : impl_->conns) t.join();
}

std::vector<seen_request> loopback_server::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->seen;
}

temp_dir::temp_dir() {
  std::random_device rd;
  path = std::filesystem::temp_directory_path() / ("sesami-aws-" + std::to_string(rd()));
  std::filesystem::create_directories(path);
}
temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

void write_file(const std::filesystem::path& p, std::string_view text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

unsigned short free_port() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

child_process::child_process(const std::vector<std::string>& argv,
                             const std::vector<std::string>& env_extra,
                             const std::string& ready_marker) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  std::vector<std::string> envs;
  // The given variables replace inherited ones of the same name.
  for (char** e = environ; *e; ++e) {
    const std::string_view v(*e);
    const auto name = v.substr(0, v.find('=') + 1);
    bool replaced = false;
    for (const auto& x : env_extra) replaced = replaced || x.starts_with(name);
    if (!replaced) envs.emplace_back(v);
  }
  for (const auto& e : env_extra) envs.push_back(e);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> a, en;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    for (const auto& s : envs) en.push_back(const_cast<char*>(s.c_str()));
    en.push_back(nullptr);
    execvpe(a[0], a.data(), en.data());
    _exit(127);
  }
  close(fds[1]);
  out_ = fds[0];
  std::string acc;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[512];
    const auto n = read(out_, buf, sizeof buf);
    if (n <= 0) break;
    acc.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = acc.find('\n')) != std::string::npos) {
      std::string line = acc.substr(0, nl);
      acc.erase(0, nl + 1);
      if (line.find(ready_marker) != std::string::npos) {
        line_ = line;
        drain_ = std::thread([fd = out_] {
          char b[4096];
          while (read(fd, b, sizeof b) > 0) {
          }
        });
        return;
      }
    }
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  throw std::runtime_error("child process did not become ready: " + argv[0] + " " +
                           (argv.size() > 1 ? argv[1] : ""));
}

child_process::~child_process() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  if (drain_.joinable()) drain_.join();  // EOF once the child is gone
  if (out_ >= 0) close(out_);
}

}  // namespace sesami::test
