// The outbound-URL policy (server/aws/outbound_url.hpp): every address class, in every form
// libcurl or the resolver would accept (dotted, hex, decimal, short, octal, IPv6, IPv4-mapped,
// -translated, -compatible, NAT64, 6to4); the URL syntax half (https only, user info, zone ids,
// encoded hosts); SQS queue URLs; and http_client refusing a loopback target before any
// connection, proved by a listener that counts connections.
#include "aws/outbound_url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "aws/http_client.hpp"
#include "aws/sqs.hpp"

using namespace sesami::aws;
using ac = address_class;

namespace {

/// A TCP listener on 127.0.0.1 that accepts, counts and closes every connection.
class counting_listener {
 public:
  /// On 127.0.0.1, or on ::1 when `v6` (ok() is false where the machine has no IPv6 loopback).
  explicit counting_listener(bool v6 = false) {
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    sockaddr_storage st{};
    socklen_t len = 0;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&st);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&st);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    }
    ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&st), len) == 0 && ::listen(fd_, 16) == 0;
    if (!v6) REQUIRE(ok_);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&st), &len);
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&st)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&st)->sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) continue;
        ++connections_;
        ::close(c);
      }
    });
  }
  ~counting_listener() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_.load(); }
  bool ok() const { return ok_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

const outbound_policy strict{};
const outbound_policy open_private{true};

}  // namespace

TEST_CASE("outbound_url: every address class, IPv4 and IPv6", "[outbound_url]") {
  struct row {
    const char* address;
    ac expected;
  };
  const row table[] = {
      // IPv4
      {"8.8.8.8", ac::global},
      {"93.184.216.34", ac::global},
      {"1.1.1.1", ac::global},
      {"0.0.0.0", ac::unspecified},
      {"0.1.2.3", ac::unspecified},
      {"127.0.0.1", ac::loopback},
      {"127.255.255.254", ac::loopback},
      {"10.0.0.1", ac::private_network},
      {"10.255.255.255", ac::private_network},
      {"172.16.0.1", ac::private_network},
      {"172.31.255.255", ac::private_network},
      {"172.15.255.255", ac::global},
      {"172.32.0.1", ac::global},
      {"192.168.0.1", ac::private_network},
      {"192.169.0.1", ac::global},
      {"169.254.0.1", ac::link_local},
      {"169.254.169.254", ac::metadata},
      {"169.254.170.2", ac::metadata},
      {"169.254.170.23", ac::metadata},
      {"100.100.100.200", ac::metadata},
      {"192.0.0.192", ac::metadata},
      {"100.64.0.1", ac::shared_cgnat},
      {"100.127.255.255", ac::shared_cgnat},
      {"100.63.255.255", ac::global},
      {"100.128.0.0", ac::global},
      {"224.0.0.1", ac::multicast},
      {"239.255.255.250", ac::multicast},
      {"255.255.255.255", ac::broadcast},
      {"240.0.0.1", ac::reserved},
      {"192.0.2.1", ac::reserved},
      {"198.51.100.7", ac::reserved},
      {"203.0.113.9", ac::reserved},
      {"198.18.0.1", ac::reserved},
      {"192.0.0.8", ac::reserved},
      // IPv6
      {"2606:4700:4700::1111", ac::global},
      {"2a00:1450:4001::200e", ac::global},
      {"::", ac::unspecified},
      {"::1", ac::loopback},
      {"[::1]", ac::loopback},
      {"0:0:0:0:0:0:0:1", ac::loopback},
      {"fe80::1", ac::link_local},
      {"febf::1", ac::link_local},
      {"fec0::1", ac::private_network},
      {"fc00::1", ac::private_network},
      {"fd12:3456::1", ac::private_network},
      {"fd00:ec2::254", ac::metadata},
      {"fd00:ec2::23", ac::metadata},
      {"fd00:ec2::1", ac::private_network},
      {"ff02::1", ac::multicast},
      {"ff05::1:3", ac::multicast},
      {"2001:db8::1", ac::reserved},
      {"3fff::1", ac::reserved},
      {"2001:0:4136:e378:8000:63bf:3fff:fdd2", ac::reserved},  // Teredo
      {"100::1", ac::reserved},
      {"4000::1", ac::reserved},  // outside 2000::/3
      // IPv4 inside IPv6: the IPv4 address decides.
      {"::ffff:127.0.0.1", ac::loopback},
      {"::ffff:7f00:1", ac::loopback},
      {"0:0:0:0:0:ffff:7f00:0001", ac::loopback},
      {"::ffff:169.254.169.254", ac::metadata},
      {"::ffff:a9fe:a9fe", ac::metadata},
      {"::ffff:10.0.0.1", ac::private_network},
      {"::ffff:100.64.1.1", ac::shared_cgnat},
      {"::ffff:8.8.8.8", ac::global},
      {"::ffff:0:127.0.0.1", ac::loopback},   // IPv4-translated
      {"::127.0.0.1", ac::loopback},          // IPv4-compatible (deprecated)
      {"::8.8.8.8", ac::reserved},            //
      {"64:ff9b::7f00:1", ac::loopback},      // NAT64
      {"64:ff9b::a9fe:a9fe", ac::metadata},   //
      {"64:ff9b::808:808", ac::global},       //
      {"64:ff9b:1::1", ac::private_network},  // local-use NAT64
      {"2002:7f00:1::1", ac::loopback},       // 6to4
      {"2002:a9fe:a9fe::1", ac::metadata},    //
      {"2002:c0a8:101::1", ac::private_network},
  };
  for (const auto& r : table) {
    INFO(r.address);
    const auto got = classify(r.address);
    REQUIRE(got.has_value());
    CHECK(describe(*got) == describe(r.expected));
    // The same through the resolver (numeric hosts resolve to themselves).
    auto res = resolve_outbound(r.address, 443, open_private);
    if (r.expected == ac::global) {
      REQUIRE(res.has_value());
      CHECK(res->front().kind == ac::global);
      CHECK(resolve_outbound(r.address, 443, strict).has_value());
    } else {
      CHECK_FALSE(resolve_outbound(r.address, 443, strict).has_value());
    }
  }
  CHECK_FALSE(classify("example.com").has_value());
  CHECK_FALSE(classify("0x7f000001").has_value());  // not a strict form: resolve it
  CHECK_FALSE(classify("").has_value());
}

TEST_CASE("outbound_url: the operator's switch opens private targets, never metadata",
          "[outbound_url]") {
  for (auto c :
       {ac::loopback, ac::private_network, ac::link_local, ac::shared_cgnat, ac::reserved}) {
    INFO(describe(c));
    CHECK_FALSE(permitted(c, strict));
    CHECK(permitted(c, open_private));
  }
  for (auto c : {ac::metadata, ac::unspecified, ac::multicast, ac::broadcast}) {
    INFO(describe(c));
    CHECK_FALSE(permitted(c, strict));
    CHECK_FALSE(permitted(c, open_private));
  }
  CHECK(permitted(ac::global, strict));
  auto r = resolve_outbound("169.254.169.254", 443, open_private);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("cloud metadata") != std::string::npos);
  auto l = resolve_outbound("127.0.0.1", 443, strict);
  REQUIRE_FALSE(l.has_value());
  CHECK(l.error().message.find("--allow-private-targets") != std::string::npos);
  outbound_policy webhooks{false, "--allow-private-webhooks"};
  auto w = resolve_outbound("10.0.0.1", 443, webhooks);
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().message.find("--allow-private-webhooks") != std::string::npos);
}

TEST_CASE("outbound_url: every spelling of a loopback or metadata host is refused",
          "[outbound_url]") {
  // Forms the resolver (inet_aton) and libcurl's URL parser accept for 127.0.0.1 and
  // 169.254.169.254, and names that resolve to loopback.
  for (const char* host : {"127.0.0.1", "0x7f000001", "0x7f.0.0.1", "2130706433", "127.1",
                           "0177.0.0.1", "017700000001", "0x7f.1", "localhost", "localhost.",
                           "0xa9fea9fe", "2852039166", "169.254.43518", "0251.0376.0251.0376",
                           "[::ffff:127.0.0.1]", "[::ffff:a9fe:a9fe]", "::1", "0", "0.0.0.0"}) {
    INFO(host);
    auto r = resolve_outbound(host, 443, strict);
    CHECK_FALSE(r.has_value());
    for (const std::string& url :
         {std::string("https://") + host + "/x", std::string("https://") + host + ":8443/x"}) {
      INFO(url);
      if (std::string_view(host) == "::1") continue;  // not a URL host without brackets
      CHECK_FALSE(check_outbound_url(url, strict).has_value());
    }
  }
  // libcurl normalises numeric IPv4 hosts: the policy sees what curl would connect to.
  auto t = parse_outbound_url("https://0x7f000001/");
  REQUIRE(t.has_value());
  CHECK(t->host == "127.0.0.1");
  t = parse_outbound_url("https://2130706433:8443/a?b#c");
  REQUIRE(t.has_value());
  CHECK(t->host == "127.0.0.1");
  CHECK(t->port == 8443);
  t = parse_outbound_url("https://EXAMPLE.com/");
  REQUIRE(t.has_value());
  CHECK(t->host == "example.com");
  CHECK(t->port == 443);
}

TEST_CASE("outbound_url: https only, no user info, no zone, no hidden host", "[outbound_url]") {
  for (const char* url : {
           "http://example.com/",
           "ftp://example.com/",
           "file:///etc/passwd",
           "gopher://example.com/",
           "//example.com/",
           "example.com",
           "https://",
           "https:///x",
           "https://user@example.com/",
           "https://user:pass@example.com/",
           "https://example.com@127.0.0.1/",
           "https://example.com%40127.0.0.1/",
           "https://example.com\\@127.0.0.1/",
           "https://exa mple.com/",
           " https://example.com/",
           "https://example.com/\r\nHost: x",
           "https://[fe80::1%25eth0]/",
           "https://%65xample.com/",
           "https://example.com:0/",
           "https://example.com:99999/",
           "HTTPS://example.com@127.0.0.1/",
       }) {
    INFO(url);
    CHECK_FALSE(parse_outbound_url(url).has_value());
  }
  CHECK(parse_outbound_url("https://example.com/path?q=1").has_value());
  CHECK(parse_outbound_url("https://[2606:4700::1111]:8443/").has_value());
}

TEST_CASE("outbound_url: http only when the operator allows it (webhooks), with the same checks",
          "[outbound_url]") {
  // serve --allow-private-webhooks sets allow_http: an intranet receiver or a test's.
  auto t = parse_outbound_url("http://hooks.internal:8080/ses", true);
  REQUIRE(t.has_value());
  CHECK(t->host == "hooks.internal");
  CHECK(t->port == 8080);
  CHECK(parse_outbound_url("http://hooks.internal/", true)->port == 80);
  CHECK(parse_outbound_url("https://hooks.internal/", true)->port == 443);
  CHECK_FALSE(parse_outbound_url("http://hooks.internal/").has_value());
  for (const char* url : {"http://user@example.com/", "http://example.com@127.0.0.1/",
                          "ftp://example.com/", "HTTP://example.com@127.0.0.1/"}) {
    INFO(url);
    CHECK_FALSE(parse_outbound_url(url, true).has_value());
  }
  // Metadata stays refused over http too, whatever the operator allows.
  const outbound_policy http_open{true, "--allow-private-webhooks", true};
  CHECK_FALSE(
      check_outbound_url("http://169.254.169.254/latest/meta-data/", http_open).has_value());
  CHECK(check_outbound_url("http://127.0.0.1:9/", http_open).has_value());
  CHECK_FALSE(check_outbound_url("http://127.0.0.1:9/", outbound_policy{}).has_value());
}

TEST_CASE("outbound_url: SQS queue URLs are exactly AWS's shapes", "[outbound_url]") {
  auto q = parse_sqs_queue_url("https://sqs.eu-west-1.amazonaws.com/123456789012/ses-events");
  REQUIRE(q.has_value());
  CHECK(q->region == "eu-west-1");
  CHECK(q->account == "123456789012");
  CHECK(q->name == "ses-events");
  q = parse_sqs_queue_url("https://us-gov-west-1.queue.amazonaws.com/123456789012/a.fifo");
  REQUIRE(q.has_value());
  CHECK(q->region == "us-gov-west-1");
  CHECK(q->name == "a.fifo");
  q = parse_sqs_queue_url("https://sqs.cn-northwest-1.amazonaws.com.cn/123456789012/q");
  REQUIRE(q.has_value());
  CHECK(q->region == "cn-northwest-1");
  CHECK(sqs_endpoint("cn-northwest-1") == "https://sqs.cn-northwest-1.amazonaws.com.cn");
  CHECK(sqs_endpoint("eu-west-1") == "https://sqs.eu-west-1.amazonaws.com");
  for (const char* bad : {
           "http://sqs.eu-west-1.amazonaws.com/123456789012/q",
           "https://sqs.eu-west-1.amazonaws.com/123456789012/q/",
           "https://sqs.eu-west-1.amazonaws.com/12345678901/q",
           "https://sqs.eu-west-1.amazonaws.com/123456789012/",
           "https://sqs.eu-west-1.amazonaws.com/123456789012/q?x=1",
           "https://sqs.eu-west-1.amazonaws.com:443/123456789012/q",
           "https://sqs.eu-west-1.amazonaws.com./123456789012/q",
           "https://SQS.eu-west-1.amazonaws.com/123456789012/q",
           "https://sqs.eu.west.1.amazonaws.com/123456789012/q",
           "https://sqs.notaregion.amazonaws.com/123456789012/q",
           "https://sqs.eu-west-1.amazonaws.com.cn/123456789012/q",
           "https://sqs.cn-north-1.amazonaws.com/123456789012/q",
           "https://cn-north-1.queue.amazonaws.com.cn/123456789012/q",
           "https://sqs.eu-west-1.amazonaws.com@127.0.0.1/123456789012/q",
           "https://127.0.0.1/123456789012/q",
           "https://sqs.eu-west-1.amazonaws.com/123456789012/q%2F..",
           "https://sqs.eu-west-1.amazonaws.com/123456789012/a.b",
       }) {
    INFO(bad);
    CHECK_FALSE(parse_sqs_queue_url(bad).has_value());
    CHECK(sqs_region_of(bad).empty());
  }
}

TEST_CASE("outbound_url: http_client never connects to a refused address", "[outbound_url]") {
  counting_listener listener;
  const std::string port = std::to_string(listener.port());
  http_client http;
  for (const std::string& url :
       {"https://127.0.0.1:" + port + "/", "https://0x7f000001:" + port + "/",
        "https://localhost:" + port + "/", "https://[::ffff:127.0.0.1]:" + port + "/",
        "http://127.0.0.1:" + port + "/"}) {
    INFO(url);
    http_request req;
    req.url = url;
    req.policy = strict;
    auto r = http.perform(req);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().refused);
  }
  // A public name whose resolution (the override stands in for a DNS answer) is loopback.
  http_request req;
  req.url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription";
  req.connect_to = "127.0.0.1:" + port;
  req.policy = strict;
  auto r = http.perform(req);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().refused);
  CHECK(r.error().message.find("loopback") != std::string::npos);
  CHECK(listener.connections() == 0);

  // The control: the operator's switch lets the same request connect (TLS then fails: the
  // listener speaks none), so the listener does count connections that happen.
  req.policy = open_private;
  req.connect_timeout_ms = 2000;
  req.timeout_ms = 2000;
  auto opened = http.perform(req);
  REQUIRE_FALSE(opened.has_value());
  CHECK_FALSE(opened.error().refused);
  CHECK(listener.connections() == 1);
  // Without a policy (the operator's own endpoints) nothing changes.
  http_request plain;
  plain.url = "http://127.0.0.1:" + port + "/";
  plain.timeout_ms = 2000;
  (void)http.perform(plain);
  CHECK(listener.connections() == 2);
}

TEST_CASE("outbound_url: an IPv6 target is pinned to its checked address", "[outbound_url]") {
  counting_listener listener(/*v6=*/true);
  if (!listener.ok()) {
    WARN("no IPv6 loopback on this machine: skipped");
    return;
  }
  http_client http;
  http_request req;
  req.url = "https://[::1]:" + std::to_string(listener.port()) + "/";
  req.policy = strict;
  auto refused = http.perform(req);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().refused);
  CHECK(listener.connections() == 0);
  // Allowed: curl connects to exactly [::1]:port through the CONNECT_TO pin (TLS then fails).
  req.policy = open_private;
  req.timeout_ms = 2000;
  auto opened = http.perform(req);
  REQUIRE_FALSE(opened.has_value());
  CHECK_FALSE(opened.error().refused);
  CHECK(listener.connections() == 1);
}
