#include "ops.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace sesami::test {
namespace {
std::vector<std::string> merged_env(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    const auto name = kv.substr(0, kv.find('='));
    bool overridden = false;
    for (const auto& x : extra) overridden |= x.substr(0, x.find('=')) == name;
    if (!overridden) out.push_back(kv);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}
std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}
pid_t start(std::vector<std::string> argv, const std::vector<std::string>& env, int in_fd,
            int out_fd, int err_fd, const std::vector<int>& close_fds) {
  auto envs = merged_env(env);
  auto cargv = c_strings(argv);
  auto cenv = c_strings(envs);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    if (in_fd >= 0) dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (int fd : close_fds) close(fd);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  return pid;
}
}  // namespace

spawned spawn_and_wait(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       const std::function<void(int fd)>& feed,
                       const std::function<void(const char*, std::size_t)>& sink) {
  int in[2] = {-1, -1}, out[2], err[2];
  if ((feed && pipe(in) != 0) || pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error("pipe");
  const pid_t pid =
      start(argv, env, in[0], out[1], err[1], {in[0], in[1], out[0], out[1], err[0], err[1]});
  if (feed) close(in[0]);
  close(out[1]);
  close(err[1]);
  std::thread writer;
  if (feed)
    writer = std::thread([&] {
      signal(SIGPIPE, SIG_IGN);
      feed(in[1]);
      close(in[1]);
    });
  spawned r;
  std::thread err_reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = read(err[0], buf, sizeof buf)) > 0) r.err.append(buf, static_cast<std::size_t>(n));
  });
  std::vector<char> buf(1 << 16);
  ssize_t n;
  while ((n = read(out[0], buf.data(), buf.size())) > 0) {
    if (sink)
      sink(buf.data(), static_cast<std::size_t>(n));
    else
      r.out.append(buf.data(), static_cast<std::size_t>(n));
  }
  close(out[0]);
  err_reader.join();
  close(err[0]);
  if (writer.joinable()) writer.join();
  int st = 0;
  rusage ru{};
  wait4(pid, &st, 0, &ru);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.max_rss_kib = ru.ru_maxrss;
  return r;
}

background::background(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  const int devnull = open("/dev/null", O_WRONLY);
  pid = start(argv, env, -1, fds[1], devnull, {fds[0], fds[1], devnull});
  close(fds[1]);
  close(devnull);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  char buf[1024];
  const std::string marker = "listening on http://127.0.0.1:";
  while (port == 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    const auto at = out.find(marker);
    if (at != std::string::npos && out.find('\n', at) != std::string::npos)
      port = static_cast<unsigned short>(std::stoi(out.substr(at + marker.size())));
  }
  close(fds[0]);
}

background::~background() {
  if (pid > 0) stop();
}

int background::stop() {
  if (pid <= 0) return -1;
  kill(pid, SIGTERM);
  int st = 0;
  waitpid(pid, &st, 0);
  pid = -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

}  // namespace sesami::test
