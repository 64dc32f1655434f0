#include "support.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace sesami::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}
void write_file(const fs::path& p, std::string_view text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

temp_dir::temp_dir() {
  std::random_device rd;
  path = fs::temp_directory_path() /
         ("sesami-server-test-" + std::to_string(rd()) + "-" + std::to_string(::getpid()));
  fs::create_directories(path);
}
namespace {
std::mutex pg_mu;
std::map<std::string, std::string>& pg_schemas() {  // test directory → schema
  static std::map<std::string, std::string> m;
  return m;
}
std::string pg_test_url() {
  const char* u = std::getenv("SESAMI_TEST_PG");
  return u && *u ? u : "postgresql://sesami:sesami@127.0.0.1:5432/sesami_test";
}
void pg_admin(const std::string& sql) {
  PGconn* c = PQconnectdb(pg_test_url().c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(c);
    PQfinish(c);
    const char* opt = std::getenv("SESAMI_TEST_PG_OPTIONAL");
    if (opt && std::string_view(opt) == "1") {
      std::fprintf(stderr, "SKIPPED: PostgreSQL test database unreachable: %s\n", msg.c_str());
      std::exit(77);
    }
    throw std::runtime_error("PostgreSQL test database unreachable (scripts/test starts it): " +
                             msg);
  }
  PQsetNoticeProcessor(
      c, [](void*, const char*) {}, nullptr);
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string err = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error("SQL failed: " + err + " in " + sql);
}
}  // namespace

std::string test_db(const fs::path& dir) {
  const char* b = std::getenv("SESAMI_TEST_BACKEND");
  if (!b || std::string_view(b) != "postgres") return (dir / "sesami.db").string();
  std::lock_guard lock(pg_mu);
  auto it = pg_schemas().find(dir.string());
  if (it == pg_schemas().end()) {
    static int counter = 0;
    const std::string schema = "srv" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    pg_admin("CREATE SCHEMA " + schema);
    it = pg_schemas().emplace(dir.string(), schema).first;
  }
  const auto url = pg_test_url();
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         it->second;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  {
    std::lock_guard lock(pg_mu);
    if (auto it = pg_schemas().find(path.string()); it != pg_schemas().end()) {
      try {
        pg_admin("DROP SCHEMA IF EXISTS " + it->second + " CASCADE");
      } catch (const std::exception&) {  // a leftover schema is harmless; never throw here
      }
      pg_schemas().erase(it);
    }
  }
  fs::remove_all(path, ec);
}

namespace {
std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> v;
  for (auto& a : args) v.push_back(a.data());
  v.push_back(nullptr);
  return v;
}
}  // namespace

run_result run_sesami(const std::vector<std::string>& args_in) {
  std::vector<std::string> args{SESAMI_BIN};
  args.insert(args.end(), args_in.begin(), args_in.end());
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    auto argv = argv_of(args);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  run_result r;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) r.out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// ---- client ----------------------------------------------------------------------------------
http_client::http_client(unsigned short port) : sock_(io_) {
  sock_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

bool http_client::open() const { return sock_.is_open(); }

http_response http_client::request(
    const std::string& method, const std::string& target, const std::string& body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() && req.find(bhttp::field::content_type) == req.end())
    req.set(bhttp::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  bhttp::write(sock_, req);
  bhttp::response_parser<bhttp::string_body> p;
  p.body_limit(256u << 20);
  if (method == "HEAD") p.skip(true);
  bhttp::read(sock_, buf_, p);
  auto res = p.release();
  http_response out;
  out.status = res.result_int();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = std::move(res.body());
  return out;
}

void http_client::send(const std::string& bytes) { asio::write(sock_, asio::buffer(bytes)); }

std::string http_client::read_until_closed() {
  std::string out;
  char buf[4096];
  for (;;) {
    boost::system::error_code ec;
    const auto n = sock_.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

std::string http_client::raw(const std::string& bytes) {
  send(bytes);
  return read_until_closed();
}

// ---- spawned server
// ------------------------------------------------------------------------------
server_process::server_process(const fs::path& dir, std::vector<std::string> extra, std::string db)
    : dir_(dir) {
  if (db.empty()) db = test_db(dir);
  std::vector<std::string> args{SESAMI_BIN, "serve", "--db",           db,
                                "--port",   "0",     "--sns-cert-dir", (dir / "certs").string()};
  args.insert(args.end(), extra.begin(), extra.end());
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  const std::string log = (dir / "server.log").string();
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], 1);
    const int lf = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(lf, 2);
    close(fds[0]);
    close(fds[1]);
    auto argv = argv_of(args);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  // Read stdout until the "listening on" line (the one-time password comes before it).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  char buf[1024];
  while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    stdout_.append(buf, static_cast<std::size_t>(n));
    const auto at = stdout_.find("listening on http://127.0.0.1:");
    if (at != std::string::npos && stdout_.find('\n', at) != std::string::npos)
      port_ = static_cast<unsigned short>(std::stoi(
          stdout_.substr(at + std::string_view("listening on http://127.0.0.1:").size())));
  }
  close(fds[0]);
  const std::string marker = "one-time password: ";
  if (auto at = stdout_.find(marker); at != std::string::npos)
    one_time_password_ =
        stdout_.substr(at + marker.size(), stdout_.find('\n', at) - at - marker.size());
  const std::string email_marker = "sign in with email: ";
  if (auto at = stdout_.find(email_marker); at != std::string::npos)
    owner_email_ =
        stdout_.substr(at + email_marker.size(), stdout_.find('\n', at) - at - email_marker.size());
  if (port_ == 0) {
    stop();
    throw std::runtime_error("sesami serve did not start: " + stdout_ + read_file(log));
  }
  if (!one_time_password_.empty()) {
    // The owner's first sign-in sets a password of their own (the one-time one only allows that).
    http_client c(port_);
    auto login = c.request(
        "POST", "/auth/login",
        R"({"email":")" + owner_email_ + R"(","password":")" + one_time_password_ + R"("})");
    const auto sc = login.header("set-cookie");
    const auto at = login.body.find(R"("csrfToken":")");
    if (login.status != 200 || at == std::string::npos)
      throw std::runtime_error("the owner's first sign-in failed: " + login.body);
    const auto from = at + std::string_view(R"("csrfToken":")").size();
    const auto csrf = login.body.substr(from, login.body.find('"', from) - from);
    const std::string chosen = "owner password " + one_time_password_.substr(0, 6);
    auto set = c.request(
        "POST", "/auth/password",
        R"({"currentPassword":")" + one_time_password_ + R"(","newPassword":")" + chosen + R"("})",
        {{"Cookie", sc.substr(0, sc.find(';'))}, {"X-CSRF-Token", csrf}});
    if (set.status != 204)
      throw std::runtime_error("setting the owner's password failed: " + set.body);
    owner_password_ = chosen;
  }
}

std::vector<std::string> metrics_token_args(const fs::path& dir) {
  write_file(dir / "metrics.token", test_metrics_token + "\n");
  return {"--metrics-token-file", (dir / "metrics.token").string()};
}

bool server_process::running() const {
  if (pid_ <= 0) return false;
  return waitpid(pid_, nullptr, WNOHANG) == 0;
}

int server_process::stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int st = 0;
    waitpid(pid_, &st, 0);
    exit_status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    pid_ = -1;
  }
  return exit_status_;
}

void server_process::kill_hard() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
    exit_status_ = 128 + SIGKILL;
    pid_ = -1;
  }
}

server_process::~server_process() { stop(); }

// ---- PKI
// -----------------------------------------------------------------------------------------
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
EVP_PKEY* key_of(const std::string& pem) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  return k;
}
X509* cert_of(const std::string& pem) {
  BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  return x;
}
void add_ext(X509* x, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  X509_add_ext(x, e, -1);
  X509_EXTENSION_free(e);
}
pki::cert make_cert(const std::string& cn, bool is_ca, const pki::cert* issuer,
                    pki::validity valid) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* x = X509_new();
  X509_set_version(x, 2);
  static std::atomic<long> serial{1000};
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), valid.not_before_s);
  X509_gmtime_adj(X509_getm_notAfter(x), valid.not_after_s);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* issuer_cert = issuer ? cert_of(issuer->cert_pem) : nullptr;
  EVP_PKEY* issuer_key = issuer ? key_of(issuer->key_pem) : key;
  X509_set_issuer_name(x, issuer_cert ? X509_get_subject_name(issuer_cert) : name);
  if (is_ca) {
    add_ext(x, issuer_cert ? issuer_cert : x, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, issuer_cert ? issuer_cert : x, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(x, issuer_cert ? issuer_cert : x, NID_subject_alt_name, ("DNS:" + cn).c_str());
  }
  X509_sign(x, issuer_key, EVP_sha256());
  pki::cert out{pem_of(x), pem_of(key)};
  if (issuer) EVP_PKEY_free(issuer_key);
  X509_free(issuer_cert);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}
}  // namespace

pki::pki() : ca(make_cert("SESami Test CA", true, nullptr, {})) {}

pki::cert pki::issue(const std::string& cn, bool self_signed, validity valid) const {
  return make_cert(cn, false, self_signed ? nullptr : &ca, valid);
}
pki::cert pki::issue_ca(const std::string& cn) const { return make_cert(cn, true, &ca, {}); }
pki::cert pki::issue_from(const cert& issuer, const std::string& cn) {
  return make_cert(cn, false, &issuer, {});
}

std::string sign_base64(const std::string& key_pem, const std::string& text, bool sha256) {
  EVP_PKEY* k = key_of(key_pem);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestSignInit(ctx, nullptr, sha256 ? EVP_sha256() : EVP_sha1(), nullptr, k);
  std::size_t n = 0;
  EVP_DigestSign(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(text.data()),
                 text.size());
  std::string sig(n, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &n,
                 reinterpret_cast<const unsigned char*>(text.data()), text.size());
  sig.resize(n);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(k);
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(sig.data()), static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

// ---- HTTPS stub
// ----------------------------------------------------------------------------------
struct https_stub::impl {
  asio::io_context io;
  asio::ssl::context ssl{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::map<std::string, std::string> bodies;
  mutable std::mutex mu;
  std::vector<std::string> requests;
  std::atomic<int> connections{0};
  std::atomic<bool> stop{false};
  std::thread thread;

  void serve() {
    while (!stop) {
      boost::system::error_code ec;
      tcp::socket s(io);
      acceptor.accept(s, ec);
      if (ec || stop) break;
      ++connections;
      beast::ssl_stream<tcp::socket> stream(std::move(s), ssl);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) continue;
      beast::flat_buffer buf;
      bhttp::request<bhttp::string_body> req;
      bhttp::read(stream, buf, req, ec);
      if (ec) continue;
      const std::string target(req.target());
      {
        std::lock_guard lock(mu);
        requests.push_back(target);
      }
      std::string path = target.substr(0, target.find('?'));
      bhttp::response<bhttp::string_body> res;
      auto it = bodies.find(path);
      res.result(it == bodies.end() ? bhttp::status::not_found : bhttp::status::ok);
      res.body() = it == bodies.end() ? "" : it->second;
      res.keep_alive(false);
      res.prepare_payload();
      bhttp::write(stream, res, ec);
      stream.shutdown(ec);
    }
  }
};

https_stub::https_stub(const pki::cert& server_cert, std::map<std::string, std::string> bodies)
    : impl_(std::make_unique<impl>()) {
  impl_->bodies = std::move(bodies);
  impl_->ssl.use_certificate_chain(asio::buffer(server_cert.cert_pem));
  impl_->ssl.use_private_key(asio::buffer(server_cert.key_pem), asio::ssl::context::pem);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->thread = std::thread([this] { impl_->serve(); });
}

https_stub::~https_stub() {
  impl_->stop = true;
  // Wake the blocking accept with a connection of our own.
  boost::system::error_code ec;
  asio::io_context io;
  tcp::socket s(io);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  impl_->thread.join();
}

std::vector<std::string> https_stub::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}
int https_stub::connections() const { return impl_->connections.load(); }

}  // namespace sesami::test
