#include "proof.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <stdexcept>

#include <boost/json/parse.hpp>

namespace sesami::test {
namespace json = boost::json;

std::uint64_t proof_seed() {
  if (const char* s = std::getenv("SESAMI_PROOF_SEED"); s && *s)
    return std::strtoull(s, nullptr, 10);
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) | rd();
}

workspace_secrets create_workspace(const fs::path& db, const std::string& name) {
  auto r = run_sesami({"workspace", "create", name, "--db", db.string(), "--json"});
  if (r.status != 0) throw std::runtime_error("sesami workspace create failed: " + r.out);
  auto o = json::parse(r.out);
  return {s(o.at("id")), s(o.at("ingestToken")), s(o.at("ingestSecret")), s(o.at("apiKey"))};
}

std::string fixture(const std::string& rel) {
  return read_file(std::string(SESAMI_FIXTURES_DIR) + "/" + rel);
}

run_result2 run_sesami_err(const std::vector<std::string>& args_in, const std::string& input) {
  std::vector<std::string> args{SESAMI_BIN};
  args.insert(args.end(), args_in.begin(), args_in.end());
  int out[2], err[2], in[2];
  if (pipe(out) != 0 || pipe(err) != 0 || pipe(in) != 0) throw std::runtime_error("pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // Feed stdin and drain both outputs together, so a large answer cannot block the child.
  std::size_t fed = 0;
  if (input.empty()) {
    close(in[1]);
    in[1] = -1;
  } else {
    fcntl(in[1], F_SETFL, O_NONBLOCK);
  }
  run_result2 r;
  bool out_open = true, err_open = true;
  char buf[8192];
  while (out_open || err_open) {
    pollfd p[3] = {{out_open ? out[0] : -1, POLLIN, 0},
                   {err_open ? err[0] : -1, POLLIN, 0},
                   {in[1], POLLOUT, 0}};
    if (poll(p, 3, 1000) < 0) break;
    if (p[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
      const ssize_t n = write(in[1], input.data() + fed, input.size() - fed);
      if (n > 0) fed += static_cast<std::size_t>(n);
      if (n < 0 || fed == input.size()) {
        close(in[1]);
        in[1] = -1;
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (!(p[i].revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = read(i ? err[0] : out[0], buf, sizeof buf);
      if (n <= 0) {
        (i ? err_open : out_open) = false;
      } else {
        (i ? r.err : r.out).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  if (in[1] >= 0) close(in[1]);
  close(out[0]);
  close(err[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<json::value> all_events(http_client& c, const std::string& key,
                                    const std::string& query) {
  std::vector<json::value> out;
  std::string next;
  do {
    auto r =
        c.request("GET", "/events?limit=1000" + query + (next.empty() ? "" : "&cursor=" + next), "",
                  bearer(key));
    if (r.status != 200) throw std::runtime_error("GET /events: " + r.body);
    auto v = parse(r);
    for (auto& e : v.at("events").as_array()) out.push_back(e);
    next = v.at("next").is_null() ? "" : s(v.at("next"));
  } while (!next.empty());
  return out;
}

}  // namespace sesami::test
