#include "proof.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <boost/json/parse.hpp>

namespace sesami::test {
namespace json = boost::json;

std::uint64_t proof_seed() {
  if (const char* s = std::getenv("SESAMI_PROOF_SEED"); s && *s) return std::strtoull(s, nullptr, 10);
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

namespace {
std::string pem_of(X509* x) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return out;
}
std::string pem_of(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return out;
}
}  // namespace

pki::cert make_cert(const std::string& cn, const pki::cert* issuer, long not_before_s,
                    long not_after_s) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* x = X509_new();
  X509_set_version(x, 2);
  static std::atomic<long> serial{5000};
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(x), not_after_s);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = nullptr;
  EVP_PKEY* issuer_key = key;
  if (issuer) {
    BIO* b = BIO_new_mem_buf(issuer->cert_pem.data(), static_cast<int>(issuer->cert_pem.size()));
    issuer_cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    b = BIO_new_mem_buf(issuer->key_pem.data(), static_cast<int>(issuer->key_pem.size()));
    issuer_key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
    BIO_free(b);
  }
  X509_set_issuer_name(x, issuer_cert ? X509_get_subject_name(issuer_cert) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert ? issuer_cert : x, x, nullptr, nullptr, 0);
  X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, ("DNS:" + cn).c_str());
  X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
  X509_sign(x, issuer_key, EVP_sha256());
  pki::cert out{pem_of(x), pem_of(key)};
  if (issuer) EVP_PKEY_free(issuer_key);
  X509_free(issuer_cert);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

std::vector<json::value> all_events(http_client& c, const std::string& key,
                                    const std::string& query) {
  std::vector<json::value> out;
  std::string next;
  do {
    auto r = c.request("GET",
                       "/events?limit=1000" + query + (next.empty() ? "" : "&cursor=" + next), "",
                       bearer(key));
    if (r.status != 200) throw std::runtime_error("GET /events: " + r.body);
    auto v = parse(r);
    for (auto& e : v.at("events").as_array()) out.push_back(e);
    next = v.at("next").is_null() ? "" : s(v.at("next"));
  } while (!next.empty());
  return out;
}

}  // namespace sesami::test
