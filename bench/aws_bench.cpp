// #5 AWS benchmarks (docs/performance.md, "#5 AWS"):
//  1. STS calls per 10 000 sends through the SES transport with the credential cache — goal: one
//     AssumeRole per credential lifetime. Real HTTP and real time: the STS stand-in
//     (tests/aws/standins) issues credentials living 312 s, which the cache (5-minute margin, as
//     in production) may use for 12 s; the aws-ses-v2-local emulator takes the sends. So the run
//     spans several lifetimes, and the expected count is the number of 12 s windows it lasted.
//  2. The cost of signing one SES SendEmail request (canonical request, string to sign, key
//     derivation, signature) next to the reference of a single HMAC-SHA256 over the same bytes,
//     measured in the same run. The signer's answer is checked against AWS's get-vanilla vector
//     before anything is timed.
#include <chrono>
#include <cstdio>
#include <string>

#include "../tests/aws/standin.hpp"
#include "aws/ses_transport.hpp"
#include "aws/sigv4.hpp"

using namespace sesami;
using clk = std::chrono::steady_clock;

namespace {
double ns_per_op(auto&& f, int n) {
  const auto t0 = clk::now();
  for (int i = 0; i < n; ++i) f(i);
  return std::chrono::duration<double, std::nano>(clk::now() - t0).count() / n;
}
}  // namespace

int main(int argc, char** argv) {
  const int sends = argc > 1 ? std::atoi(argv[1]) : 10000;

  // ---- 2. signing cost ----------------------------------------------------------------------
  {
    aws::signable_request v{
        "GET", "example.amazonaws.com", "/", "", {{"Host", "example.amazonaws.com"}}, ""};
    const aws::credentials suite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}};
    auto parts = aws::sign(v, suite, {"us-east-1", "service"},
                           std::chrono::system_clock::from_time_t(1440938160));
    if (parts.signature != "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") {
      std::fprintf(stderr, "signer disagrees with AWS's get-vanilla vector\n");
      return 1;
    }
    app::outgoing_mail m;
    m.from = "sender@example.com";
    m.to = {"recipient@example.net"};
    m.simple = app::simple_content{"Your receipt", std::string(800, 'x'), "", {}};
    m.configuration_set = "sesami-events";
    const std::string body = aws::send_email_body(m);
    const aws::credentials tmp{"ASIAEXAMPLEEXAMPLE01",
                               "secret/secret/secret/secret/secret/00000",
                               std::string(400, 'T'),
                               {}};
    const auto now = std::chrono::system_clock::now();
    const int n = 200000;
    std::size_t sink = 0;
    const double sign_ns = ns_per_op(
        [&](int) {
          aws::http_request r{"POST",
                              "https://email.eu-west-1.amazonaws.com/v2/email/outbound-emails",
                              {{"Content-Type", "application/json"}},
                              body,
                              1,
                              1};
          aws::sign_http(r, tmp, {"eu-west-1", "ses"}, now);
          sink += r.headers.back().value.size();
        },
        n);
    const double hmac_ns = ns_per_op(
        [&](int i) {
          auto h = aws::hmac_sha256(tmp.secret_access_key, body);
          sink += h[static_cast<std::size_t>(i) & 31];
        },
        n);
    const double sha_ns = ns_per_op([&](int) { sink += aws::sha256_hex(body).size(); }, n);
    std::printf("signing: SES SendEmail request (%zu-byte body), %d iterations\n", body.size(), n);
    std::printf("  sign_http (full SigV4)         %8.0f ns/request\n", sign_ns);
    std::printf("  reference: one HMAC-SHA256     %8.0f ns   ratio %.1fx\n", hmac_ns,
                sign_ns / hmac_ns);
    std::printf("  (SHA-256 of the body alone     %8.0f ns)\n", sha_ns);
    if (sink == 42) std::puts("");
  }

  // ---- 1. STS calls per N sends -----------------------------------------------------------
  const std::string ext = "bench0123456789abcdef0123456789ab";
  auto cfg = test::standin_config(ext);
  constexpr int lifetime_s = 312, usable_s = lifetime_s - 300;
  cfg["credentialLifetimeSeconds"] = lifetime_s;
  test::standins sts(cfg);
  const auto port = test::free_port();
  const std::string ses_base = "http://127.0.0.1:" + std::to_string(port);
  test::child_process ses_emu({"node",
                               std::string(SESAMI_AWS_TESTS_DIR) +
                                   "/ses-emulator/node_modules/aws-ses-v2-local/dist/cli.js",
                               "--host", "127.0.0.1", "--port", std::to_string(port)},
                              {}, "server running");
  aws::http_client http;
  aws::memory_credential_cache cache;
  aws::role_credentials_options opt;
  opt.sts_endpoint_override = sts.base();
  aws::role_credentials roles(
      http,
      [] {
        return aws::credentials_result(
            aws::sourced_credentials{{test::own_key_id, test::own_secret, "", {}}, "bench"});
      },
      cache, opt);
  std::optional<aws::workspace_aws> conn =
      aws::workspace_aws{{"bench", test::customer_role, ext, "us-east-1"}, "sesami-events"};
  aws::ses_transport ses(
      http, roles, [&](std::string_view) { return conn; }, ses_base);
  app::outgoing_mail m;
  m.from = "sender@example.com";
  m.to = {"recipient@example.net"};
  m.simple = app::simple_content{"Bench", "text", "", {}};
  int failed = 0;
  const auto t0 = clk::now();
  for (int i = 0; i < sends; ++i) {
    if (!ses.send("bench", m)) ++failed;
  }
  const double secs = std::chrono::duration<double>(clk::now() - t0).count();
  // Usable windows the run touched (a refresh may land just after a window ends: +1 allowed).
  const int lifetime_windows = static_cast<int>(secs / usable_s) + 1;
  std::printf("\nSTS calls for %d sends in %.1f s (credentials live %d s, used for %d s each):\n",
              sends, secs, lifetime_s, usable_s);
  std::printf(
      "  AssumeRole calls: %llu (stand-in counted %lld); usable windows spanned: %d; "
      "without the cache: %d\n",
      static_cast<unsigned long long>(roles.sts_calls()),
      static_cast<long long>(sts.calls("sts.AssumeRole")), lifetime_windows, sends);
  std::printf("  sends failed: %d; wall time %.1f s (%.0f sends/s through the Node emulator)\n",
              failed, secs, sends / secs);
  const auto calls = static_cast<int>(roles.sts_calls());
  return failed == 0 && calls >= lifetime_windows && calls <= lifetime_windows + 1 ? 0 : 1;
}
