#pragma once
// What the server tests share: a temporary directory, a spawned `sesami serve` process on an
// ephemeral loopback port, a small blocking HTTP client over a real socket, and a test PKI (a CA
// and certificates made with OpenSSL at run time) for signing SNS messages and serving HTTPS.
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/json.hpp>

namespace sesami::test {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p);
void write_file(const fs::path& p, std::string_view text);

struct temp_dir {
  fs::path path;
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

/// The --db of a test directory: DIR/sesami.db, or with SESAMI_TEST_BACKEND=postgres (the
/// server:pg:* entries) a fresh schema of the PostgreSQL test database (SESAMI_TEST_PG, default
/// postgresql://sesami:sesami@127.0.0.1:5432/sesami_test) as a postgresql:// URL, the same for
/// every call with that directory and dropped with its temp_dir. An unreachable server fails the
/// test, or exits 77 (skipped) with SESAMI_TEST_PG_OPTIONAL=1.
std::string test_db(const fs::path& dir);

/// Runs the real program (the `sesami` binary this build made) and returns its exit status and
/// standard output.
struct run_result {
  int status = -1;
  std::string out;
};
run_result run_sesami(const std::vector<std::string>& args);

struct http_response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// One keep-alive connection.
class http_client {
 public:
  explicit http_client(unsigned short port);
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const std::vector<std::pair<std::string, std::string>>& headers = {});
  /// Sends raw bytes; returns what the server answers until it closes (or nothing).
  std::string raw(const std::string& bytes);
  /// Writes raw bytes without reading.
  void send(const std::string& bytes);
  /// Blocks until the server closes the connection; returns whatever it sent first.
  std::string read_until_closed();
  bool open() const;

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket sock_;
  boost::beast::flat_buffer buf_;
};

/// `sesami serve --db DIR/sesami.db --port 0 ...`, stopped with SIGTERM on destruction. `db`
/// replaces DIR/sesami.db (a postgresql:// URL: several servers on one database).
class server_process {
 public:
  explicit server_process(const fs::path& dir, std::vector<std::string> extra = {},
                          std::string db = {});
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  unsigned short port() const { return port_; }
  /// The first owner created at first start (--owner-email, default admin@localhost).
  const std::string& owner_email() const { return owner_email_; }
  /// The owner's password: the one-time password printed at first start, replaced (as the first
  /// sign-in must) by a password of the owner's own before the constructor returns, so tests can
  /// sign in and use the session. Empty when the database had users already.
  const std::string& owner_password() const { return owner_password_; }
  /// The one-time password as printed (no longer valid once owner_password() is set).
  const std::string& one_time_password() const { return one_time_password_; }
  fs::path db() const { return dir_ / "sesami.db"; }
  std::string log() const { return read_file(dir_ / "server.log"); }
  std::string out() const { return stdout_; }
  /// SIGTERM and wait; returns the exit status.
  int stop();
  /// SIGKILL and wait: a crash, nothing drains or flushes.
  void kill_hard();
  bool running() const;

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  std::string owner_email_ = "admin@localhost";
  std::string owner_password_;
  std::string one_time_password_;
  std::string stdout_;
  int exit_status_ = -1;
};

/// GET /metrics on the main listener needs the operator's metrics token (docs/security.md §4):
/// `metrics_token_args(dir)` writes it to DIR/metrics.token and answers the serve flags naming
/// it; `metrics_auth()` is the header that presents it.
inline const std::string test_metrics_token = "test-metrics-token-0123456789abcdef0123456789";
std::vector<std::string> metrics_token_args(const fs::path& dir);
inline std::vector<std::pair<std::string, std::string>> metrics_auth() {
  return {{"Authorization", "Bearer " + test_metrics_token}};
}

/// Seconds from now; the default is valid from an hour ago for 30 days. A window entirely in
/// the past or the future makes an expired or a not-yet-valid certificate. (Outside pki: a nested
/// struct's member initialisers cannot serve a default argument of the enclosing class.)
struct cert_validity {
  long not_before_s = -3600;
  long not_after_s = 3600L * 24 * 30;
};

/// A CA and certificates issued by it (or self-signed), for SNS signatures and HTTPS servers.
struct pki {
  struct cert {
    std::string cert_pem, key_pem;
  };
  using validity = cert_validity;
  cert ca;
  /// Issued by `ca` (or self-signed when `self_signed`), with this common name and DNS SAN.
  cert issue(const std::string& cn, bool self_signed = false, validity valid = {}) const;
  /// An intermediate CA issued by `ca`; `cert_pem` of the result can issue through issue_from.
  cert issue_ca(const std::string& cn) const;
  /// A leaf (this common name and DNS SAN) issued by another CA of this PKI (an intermediate).
  static cert issue_from(const cert& issuer, const std::string& cn);
  pki();
};

/// An RSA signature (base64) of `text` with the key, SHA1 (version "1") or SHA256 ("2").
std::string sign_base64(const std::string& key_pem, const std::string& text, bool sha256);

/// A one-shot HTTPS server on loopback serving fixed bodies by path, recording the targets it was
/// asked for. Stands in for sns.<region>.amazonaws.com through --test-sns-connect-to.
class https_stub {
 public:
  https_stub(const pki::cert& server_cert, std::map<std::string, std::string> bodies);
  ~https_stub();
  unsigned short port() const { return port_; }
  std::vector<std::string> requests() const;
  int connections() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  unsigned short port_ = 0;
};

// Reading JSON answers in tests (throwing accessors are fine here: a test fails on surprise).
inline boost::json::value parse(const http_response& r) { return boost::json::parse(r.body); }
inline std::string code_of(const http_response& r) {
  return std::string(parse(r).at("error").at("code").as_string());
}
inline std::string s(const boost::json::value& v) { return std::string(v.as_string()); }

}  // namespace sesami::test
