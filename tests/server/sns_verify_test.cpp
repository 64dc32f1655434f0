// SNS signature verification: genuine AWS-signed messages (offline, with their real certificate),
// the string to sign per type, the certificate URL policy, and certificates from our own test CA.
#include "../../server/aws/sns_verify.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <catch2/catch.hpp>

#include "../../server/aws/amazon_intermediates.hpp"

#include "support.hpp"

using namespace sesami;
using sesami::test::read_file;
using sesami::test::write_file;

namespace {
const std::string fixtures = std::string(SESAMI_SERVER_FIXTURES) + "/sns-real/";
const std::string real_cert = "SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem";

aws::sns_verifier offline_verifier(const std::filesystem::path& dir) {
  aws::sns_verifier_options o;
  o.cert_dir = dir;
  o.allow_fetch = false;  // never touch the network in these tests
  return aws::sns_verifier(o);
}
sns_envelope envelope(const std::string& json) {
  auto e = parse_sns_envelope(json);
  REQUIRE(e.has_value());
  return *e;
}
// A notification signed by `c`, naming https://sns.us-east-1.amazonaws.com/<cert_file>.
sns_envelope signed_by(const test::pki::cert& c, const std::string& cert_file) {
  sns_envelope m;
  m.type = "Notification";
  m.message = "{\"hello\":1}";
  m.message_id = "11111111-2222-3333-4444-555555555555";
  m.timestamp = "2026-01-01T00:00:00.000Z";
  m.topic_arn = "arn:aws:sns:us-east-1:123456789012:t";
  m.signature_version = "2";
  m.signing_cert_url = "https://sns.us-east-1.amazonaws.com/" + cert_file;
  m.signature = test::sign_base64(c.key_pem, *aws::string_to_sign(m), true);
  return m;
}
}  // namespace

TEST_CASE("genuine AWS-signed SNS messages verify offline", "[sns_verify]") {
  test::temp_dir dir;
  std::filesystem::copy_file(fixtures + real_cert, dir.path / real_cert);
  auto v = offline_verifier(dir.path);

  SECTION("SignatureVersion 1 (SHA1withRSA)") {
    auto r = v.verify(envelope(read_file(fixtures + "notification-sha1.json")));
    CHECK(r.has_value());
  }
  SECTION("SignatureVersion 2 (SHA256withRSA)") {
    auto r = v.verify(envelope(read_file(fixtures + "notification-sha256.json")));
    CHECK(r.has_value());
  }
  SECTION("one altered byte in the message is refused") {
    auto m = envelope(read_file(fixtures + "notification-sha1.json"));
    m.message = "Hello world!";
    auto r = v.verify(m);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == aws::sns_error::bad_signature);
  }
  SECTION("one altered byte in the signature is refused") {
    auto m = envelope(read_file(fixtures + "notification-sha256.json"));
    m.signature[10] = m.signature[10] == 'A' ? 'B' : 'A';
    auto r = v.verify(m);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == aws::sns_error::bad_signature);
  }
  SECTION("a SHA1 signature presented as version 2 is refused") {
    auto m = envelope(read_file(fixtures + "notification-sha1.json"));
    m.signature_version = "2";
    CHECK_FALSE(v.verify(m).has_value());
  }
  SECTION("an unknown SignatureVersion is refused") {
    auto m = envelope(read_file(fixtures + "notification-sha1.json"));
    m.signature_version = "3";
    auto r = v.verify(m);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == aws::sns_error::bad_version);
  }
  SECTION("a Subject that was not signed breaks the signature") {
    auto m = envelope(read_file(fixtures + "notification-sha1.json"));
    m.subject = "";
    CHECK_FALSE(v.verify(m).has_value());
  }
}

TEST_CASE("a certificate missing from the cache is not fetched when fetching is off",
          "[sns_verify]") {
  test::temp_dir dir;
  auto v = offline_verifier(dir.path);
  auto r = v.verify(envelope(read_file(fixtures + "notification-sha1.json")));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == aws::sns_error::cert_unavailable);
}

TEST_CASE("the string to sign follows AWS's field lists", "[sns_verify]") {
  sns_envelope n;
  n.type = "Notification";
  n.message = "m";
  n.message_id = "id";
  n.timestamp = "t";
  n.topic_arn = "arn";
  CHECK(*aws::string_to_sign(n) ==
        "Message\nm\nMessageId\nid\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n");
  n.subject = "s";
  CHECK(*aws::string_to_sign(n) ==
        "Message\nm\nMessageId\nid\nSubject\ns\nTimestamp\nt\nTopicArn\narn\nType\nNotification\n");

  sns_envelope c = n;
  c.type = "SubscriptionConfirmation";
  c.subscribe_url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription";
  c.token = "tok";
  // Subject is never part of a confirmation's signature; SubscribeURL and Token are.
  CHECK(*aws::string_to_sign(c) ==
        "Message\nm\nMessageId\nid\nSubscribeURL\n" + c.subscribe_url +
            "\nTimestamp\nt\nToken\ntok\nTopicArn\narn\nType\nSubscriptionConfirmation\n");
  c.type = "UnsubscribeConfirmation";
  CHECK(aws::string_to_sign(c)->ends_with("Type\nUnsubscribeConfirmation\n"));
  c.token.clear();
  CHECK_FALSE(aws::string_to_sign(c));
  c.type = "Other";
  CHECK_FALSE(aws::string_to_sign(c));
}

TEST_CASE("SigningCertURL policy", "[sns_verify]") {
  using aws::cert_file_name;
  CHECK(cert_file_name("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem") ==
        "SimpleNotificationService-abc.pem");
  CHECK(cert_file_name("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem"));
  CHECK(cert_file_name("https://sns.us-gov-west-1.amazonaws.com/x.pem"));
  for (const char* bad : {
           "http://sns.us-east-1.amazonaws.com/x.pem",            // not https
           "https://sns.us-east-1.amazonaws.com.evil.com/x.pem",  // another host
           "https://evil.com/sns.us-east-1.amazonaws.com/x.pem",
           "https://sns.evil.com.amazonaws.com/x.pem",        // dots in the "region"
           "https://sns.amazonaws.com/x.pem",                 // no region
           "https://s3.us-east-1.amazonaws.com/x.pem",        // another service
           "https://sns.us-east-1.amazonaws.com:8443/x.pem",  // a port
           "https://user@sns.us-east-1.amazonaws.com/x.pem",  // credentials
           "https://sns.us-east-1.amazonaws.com/x.key",       // not a .pem
           "https://sns.us-east-1.amazonaws.com/a/../x.pem",  // paths
           "https://sns.us-east-1.amazonaws.com/x.pem?a=b",   // query
           "https://sns.US-EAST-1.amazonaws.com/x.pem",       // not as AWS writes it
           "https://sns.us-east-1.amazonaws.com/.pem",
       })
    CHECK_FALSE(cert_file_name(bad));
  CHECK(aws::sns_host_url("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&x=1"));
  CHECK_FALSE(aws::sns_host_url("https://sns.eu-west-1.amazonaws.com.evil.org/?Action=X"));
  CHECK_FALSE(aws::sns_host_url("http://sns.eu-west-1.amazonaws.com/?Action=X"));
}

TEST_CASE("certificates from a test CA", "[sns_verify]") {
  test::temp_dir dir;
  test::pki pki;
  const auto signer = pki.issue("sesami-test-signer");
  const auto rogue = pki.issue("sesami-test-rogue", true);
  write_file(dir.path / "ca.pem", pki.ca.cert_pem);
  write_file(dir.path / "signer.pem", signer.cert_pem);
  write_file(dir.path / "rogue.pem", rogue.cert_pem);

  aws::sns_verifier_options o;
  o.cert_dir = dir.path;
  o.allow_fetch = false;
  o.extra_ca_file = (dir.path / "ca.pem").string();
  aws::sns_verifier v(o);

  CHECK(v.verify(signed_by(signer, "signer.pem")).has_value());
  auto r = v.verify(signed_by(rogue, "rogue.pem"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == aws::sns_error::bad_cert);

  // Without the test CA, a certificate that does not name sns.amazonaws.com is refused.
  aws::sns_verifier_options plain = o;
  plain.extra_ca_file.clear();
  aws::sns_verifier strict(plain);
  auto s = strict.verify(signed_by(signer, "signer.pem"));
  REQUIRE_FALSE(s);
  CHECK(s.error().code == aws::sns_error::bad_cert);

  SECTION("a file that is not a bare PEM certificate is refused") {
    write_file(dir.path / "wrapped.pem", "<xml>\n" + signer.cert_pem + "</xml>");
    auto w = v.verify(signed_by(signer, "wrapped.pem"));
    REQUIRE_FALSE(w);
    CHECK(w.error().code == aws::sns_error::bad_cert);
  }
  SECTION("SHA1 (version 1) signatures from the test CA verify too") {
    auto m = signed_by(signer, "signer.pem");
    m.signature_version = "1";
    m.signature = test::sign_base64(signer.key_pem, *aws::string_to_sign(m), false);
    CHECK(v.verify(m).has_value());
  }
}

TEST_CASE(
    "certificates are fetched over verified HTTPS, cached in the directory, and only from "
    "the SNS host",
    "[sns_verify]") {
  test::temp_dir dir;
  test::pki pki;
  const auto signer = pki.issue("sesami-test-signer");
  const auto host = pki.issue("sns.us-east-1.amazonaws.com");
  write_file(dir.path / "ca.pem", pki.ca.cert_pem);
  test::https_stub stub(host, {{"/SimpleNotificationService-test.pem", signer.cert_pem}});

  aws::sns_verifier_options o;
  o.cert_dir = dir.path / "certs";
  o.extra_ca_file = (dir.path / "ca.pem").string();
  o.connect_to = "127.0.0.1:" + std::to_string(stub.port());
  aws::sns_verifier v(o);

  sns_envelope m;
  m.type = "Notification";
  m.message = "x";
  m.message_id = "id-1";
  m.timestamp = "2026-01-01T00:00:00.000Z";
  m.topic_arn = "arn:aws:sns:us-east-1:123456789012:t";
  m.signature_version = "1";
  m.signing_cert_url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem";
  m.signature = test::sign_base64(signer.key_pem, *aws::string_to_sign(m), false);
  REQUIRE(v.verify(m).has_value());
  CHECK(stub.requests() == std::vector<std::string>{"/SimpleNotificationService-test.pem"});
  CHECK(read_file(o.cert_dir / "SimpleNotificationService-test.pem") == signer.cert_pem);

  // Cached in memory: no second fetch.
  REQUIRE(v.verify(m).has_value());
  CHECK(stub.requests().size() == 1);
  // Cached on disk: a new verifier (a restart) without network uses the file.
  aws::sns_verifier_options off = o;
  off.allow_fetch = false;
  aws::sns_verifier restarted(off);
  CHECK(restarted.verify(m).has_value());

  // Another host is refused before any connection is made.
  const int before = stub.connections();
  auto evil = m;
  evil.signing_cert_url = "https://sns.us-east-1.amazonaws.com.evil.example/x.pem";
  auto r = v.verify(evil);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == aws::sns_error::cert_url_refused);
  CHECK(stub.connections() == before);
}

// ---- certificate loading: cheap checks first, one fetch per URL, failures remembered
// -------------
namespace {
// A fetcher that counts its calls and serves `pem` (empty: fails, as an unreachable host does).
struct counting_fetcher {
  std::string pem;
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::function<void()> before_answer = [] {};
  aws::sns_fetcher fn() {
    return [this](std::string_view) -> boost::system::result<std::string, aws::sns_failure> {
      ++*calls;
      before_answer();
      if (pem.empty())
        return aws::sns_failure{aws::sns_error::cert_unavailable, "fetch failed: test"};
      return pem;
    };
  }
};
}  // namespace

TEST_CASE("a certificate is fetched only after every check that needs none", "[sns_verify]") {
  test::temp_dir dir;
  test::pki pki;
  const auto signer = pki.issue("sesami-test-signer");
  write_file(dir.path / "ca.pem", pki.ca.cert_pem);
  counting_fetcher f{signer.cert_pem};
  aws::sns_verifier_options o;
  o.extra_ca_file = (dir.path / "ca.pem").string();
  o.fetch = f.fn();
  o.min_signature_version = 2;
  aws::sns_verifier v(o);
  const auto good = signed_by(signer, "SimpleNotificationService-x.pem");

  struct bad_case {
    const char* what;
    std::function<void(sns_envelope&)> spoil;
    aws::sns_error expect;
  };
  const bad_case cases[] = {
      {"unknown SignatureVersion", [](sns_envelope& m) { m.signature_version = "3"; },
       aws::sns_error::bad_version},
      {"SHA1 below the minimum", [](sns_envelope& m) { m.signature_version = "1"; },
       aws::sns_error::version_refused},
      {"no Timestamp", [](sns_envelope& m) { m.timestamp.clear(); }, aws::sns_error::missing_field},
      {"unknown Type", [](sns_envelope& m) { m.type = "Other"; }, aws::sns_error::unknown_type},
      {"Signature not base64", [](sns_envelope& m) { m.signature = "not base64!"; },
       aws::sns_error::bad_signature},
      {"SigningCertURL elsewhere",
       [](sns_envelope& m) { m.signing_cert_url = "https://sns.evil.example/x.pem"; },
       aws::sns_error::cert_url_refused},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto m = good;
    c.spoil(m);
    auto r = v.verify(m);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == c.expect);
  }
  CHECK(*f.calls == 0);
  CHECK(v.cert_stats().fetches == 0);
  // Control: the good message fetches once, and then never again.
  CHECK(v.verify(good).has_value());
  CHECK(v.verify(good).has_value());
  CHECK(*f.calls == 1);
  CHECK(aws::to_id(aws::sns_error::version_refused) == "sns.signature_version_refused");
}

TEST_CASE("concurrent requests for one certificate share one fetch", "[sns_verify]") {
  test::temp_dir dir;
  test::pki pki;
  const auto signer = pki.issue("sesami-test-signer");
  write_file(dir.path / "ca.pem", pki.ca.cert_pem);
  constexpr int requests = 8;
  aws::sns_verifier* verifier = nullptr;
  counting_fetcher f{signer.cert_pem};
  // The fetch answers only once every other request is waiting for it (or after 20 s, when the
  // counts below then fail): without single-flight, each of them would be fetching too.
  f.before_answer = [&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (verifier->cert_stats().shared_fetches < requests - 1 &&
           std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };

  SECTION("a certificate that loads") {
    aws::sns_verifier_options o;
    o.extra_ca_file = (dir.path / "ca.pem").string();
    o.fetch = f.fn();
    aws::sns_verifier v(o);
    verifier = &v;
    const auto m = signed_by(signer, "SimpleNotificationService-x.pem");
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < requests; ++i)
      threads.emplace_back([&] { ok += v.verify(m).has_value() ? 1 : 0; });
    for (auto& t : threads) t.join();
    CHECK(*f.calls == 1);
    CHECK(ok == requests);
    CHECK(v.cert_stats().shared_fetches == requests - 1);
  }
  SECTION("a certificate that fails to load") {
    f.pem.clear();
    aws::sns_verifier_options o;
    o.fetch = f.fn();
    aws::sns_verifier v(o);
    verifier = &v;
    const auto m = signed_by(signer, "SimpleNotificationService-x.pem");
    std::atomic<int> unavailable{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < requests; ++i)
      threads.emplace_back([&] {
        auto r = v.verify(m);
        if (!r && r.error().code == aws::sns_error::cert_unavailable) ++unavailable;
      });
    for (auto& t : threads) t.join();
    CHECK(*f.calls == 1);
    CHECK(unavailable == requests);
  }
}

TEST_CASE("a failed fetch is remembered for a while, per URL", "[sns_verify]") {
  test::pki pki;
  const auto signer = pki.issue("sesami-test-signer");
  counting_fetcher f;  // every fetch fails
  aws::sns_verifier_options o;
  o.fetch = f.fn();
  const auto m = signed_by(signer, "SimpleNotificationService-x.pem");

  SECTION("remembered: the next requests are answered without a fetch") {
    aws::sns_verifier v(o);
    for (int i = 0; i < 3; ++i) {
      auto r = v.verify(m);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == aws::sns_error::cert_unavailable);
      if (i > 0) CHECK(r.error().message.find("remembered") != std::string::npos);
    }
    CHECK(*f.calls == 1);
    CHECK(v.cert_stats().remembered_failures == 2);
    // Another certificate URL is another question.
    CHECK_FALSE(v.verify(signed_by(signer, "SimpleNotificationService-y.pem")));
    CHECK(*f.calls == 2);
  }
  SECTION("not remembered when the time is 0: every request tries again") {
    o.failure_ttl_ms = 0;
    aws::sns_verifier v(o);
    for (int i = 0; i < 3; ++i) CHECK_FALSE(v.verify(m));
    CHECK(*f.calls == 3);
  }
  SECTION("a certificate that is not trusted is remembered too") {
    f.pem = pki.issue("sesami-test-rogue", true).cert_pem;  // self-signed, no test CA here
    aws::sns_verifier v(o);
    for (int i = 0; i < 3; ++i) {
      auto r = v.verify(m);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == aws::sns_error::bad_cert);
    }
    CHECK(*f.calls == 1);
  }
}

TEST_CASE("the account of an SNS topic ARN", "[sns_verify]") {
  CHECK(aws::topic_account("arn:aws:sns:us-east-1:123456789012:ses-events") == "123456789012");
  CHECK(aws::topic_account("arn:aws-cn:sns:cn-north-1:123456789012:t") == "123456789012");
  CHECK(aws::topic_account("arn:aws-us-gov:sns:us-gov-west-1:123456789012:t.fifo") ==
        "123456789012");
  for (const char* bad :
       {"", "arn:aws:sns:us-east-1:123456789012", "arn:aws:sns:us-east-1:123456789012:",
        "arn:aws:sqs:us-east-1:123456789012:q", "arn:aws:sns::123456789012:t",
        "arn:aws:sns:us-east-1:12345678901:t", "arn:aws:sns:us-east-1:1234567890123:t",
        "arn:aws:sns:us-east-1:12345678901x:t", "arn:gcp:sns:us-east-1:123456789012:t",
        "xrn:aws:sns:us-east-1:123456789012:t", "arn:aws:sns:US_EAST:123456789012:t"})
    CHECK_FALSE(aws::topic_account(bad));
}

// ---- certificate trust: a chain to the system's roots, not just a name --------------------------
namespace {
// Sets SSL_CERT_FILE (which X509_STORE_set_default_paths reads at every call) for one scope: the
// test CA becomes a "system root" next to /etc/ssl/certs, so chains through it can be built.
struct system_root_file {
  explicit system_root_file(const std::string& file) { ::setenv("SSL_CERT_FILE", file.c_str(), 1); }
  ~system_root_file() { ::unsetenv("SSL_CERT_FILE"); }
};
}  // namespace

TEST_CASE("the genuine AWS certificate chains to the system's Amazon Root CA 1",
          "[sns_verify][sns_trust]") {
  // Issued by Amazon Server CA 1B (bundled), expired since 2022: times are not checked.
  const auto pem = read_file(fixtures + real_cert);
  auto r = aws::check_signing_certificate(pem, "sns.us-east-2.amazonaws.com");
  INFO((r ? std::string("ok") : r.error().message));
  CHECK(r.has_value());
}

TEST_CASE(
    "a current regional SNS certificate chains through Amazon RSA 2048 M01 and is bound to "
    "its URL's host",
    "[sns_verify][sns_trust]") {
  // CN=sns-signing.af-south-1.amazonaws.com, SAN also sns.af-south-1.amazonaws.com; no
  // sns.amazonaws.com name, so only a SigningCertURL on sns.af-south-1 may use it.
  const auto pem = read_file(fixtures + "sns-af-south-1-2026.pem");
  auto ok = aws::check_signing_certificate(pem, "sns.af-south-1.amazonaws.com");
  INFO((ok ? std::string("ok") : ok.error().message));
  CHECK(ok.has_value());
  auto other = aws::check_signing_certificate(pem, "sns.us-east-1.amazonaws.com");
  REQUIRE_FALSE(other);
  CHECK(other.error().code == aws::sns_error::bad_cert);
  CHECK(other.error().message.find("not issued to") != std::string::npos);
}

TEST_CASE("every bundled Amazon intermediate is signed by a root of the system store",
          "[sns_verify][sns_trust]") {
  const auto bundle = aws::detail::amazon_sns_intermediates_pem;
  BIO* bio = BIO_new_mem_buf(bundle.data(), static_cast<int>(bundle.size()));
  std::vector<std::string> subjects;
  while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    char name[256];
    X509_NAME_oneline(X509_get_subject_name(x), name, sizeof name);
    subjects.emplace_back(name);
    X509_STORE* store = X509_STORE_new();
    X509_STORE_set_default_paths(store);
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, x, nullptr);
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
    INFO(name);
    CHECK(X509_verify_cert(ctx) == 1);
    CHECK(X509_check_ca(x) >= 1);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(x);
  }
  ERR_clear_error();
  BIO_free(bio);
  CHECK(subjects == std::vector<std::string>{"/C=US/O=Amazon/OU=Server CA 1B/CN=Amazon",
                                             "/C=US/O=Amazon/CN=Amazon RSA 2048 M01",
                                             "/C=US/O=Amazon/CN=Amazon RSA 2048 M02",
                                             "/C=US/O=Amazon/CN=Amazon RSA 2048 M03",
                                             "/C=US/O=Amazon/CN=Amazon RSA 2048 M04"});
}

TEST_CASE("a certificate naming sns.amazonaws.com without a chain to a system root is refused",
          "[sns_verify][sns_trust]") {
  // Before chains were checked, the name alone let either of these sign "SNS" messages.
  test::temp_dir dir;
  test::pki pki;
  const auto self_signed = pki.issue("sns.amazonaws.com", true);
  const auto private_ca = pki.issue("sns.amazonaws.com");  // issued by a CA nobody trusts
  write_file(dir.path / "self.pem", self_signed.cert_pem);
  write_file(dir.path / "private.pem", private_ca.cert_pem);
  auto v = offline_verifier(dir.path);
  for (auto [c, file] :
       {std::pair{&self_signed, "self.pem"}, std::pair{&private_ca, "private.pem"}}) {
    auto r = v.verify(signed_by(*c, file));
    INFO(file);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == aws::sns_error::bad_cert);
    CHECK(r.error().message.find("does not chain to a trusted root") != std::string::npos);
  }
}

TEST_CASE("a chain through an intermediate the operator adds in intermediates.crt",
          "[sns_verify][sns_trust]") {
  test::temp_dir dir;
  test::pki pki;
  write_file(dir.path / "root.pem", pki.ca.cert_pem);
  system_root_file root((dir.path / "root.pem").string());
  const auto inter = pki.issue_ca("Test Intermediate");
  const auto leaf = test::pki::issue_from(inter, "sns.amazonaws.com");
  const auto misnamed = test::pki::issue_from(inter, "sns.example.com");
  write_file(dir.path / "leaf.pem", leaf.cert_pem);
  write_file(dir.path / "misnamed.pem", misnamed.cert_pem);

  // The leaf alone: its issuer is neither bundled nor in the directory.
  {
    auto v = offline_verifier(dir.path);
    auto r = v.verify(signed_by(leaf, "leaf.pem"));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("unable to get local issuer certificate") != std::string::npos);
  }
  write_file(dir.path / "intermediates.crt", inter.cert_pem);
  auto v = offline_verifier(dir.path);
  auto ok = v.verify(signed_by(leaf, "leaf.pem"));
  INFO((ok ? std::string("ok") : ok.error().message));
  CHECK(ok.has_value());
  // A good chain does not stand in for the name.
  auto r = v.verify(signed_by(misnamed, "misnamed.pem"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == aws::sns_error::bad_cert);
  // Intermediates following the leaf in its own PEM serve as well.
  write_file(dir.path / "bundled.pem", leaf.cert_pem + inter.cert_pem);
  std::filesystem::remove(dir.path / "intermediates.crt");
  auto v2 = offline_verifier(dir.path);
  CHECK(v2.verify(signed_by(leaf, "bundled.pem")).has_value());
}
