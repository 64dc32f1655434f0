#include "outbound_url.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <memory>

#include <curl/curl.h>

#include <sesami/ascii.hpp>

namespace sesami::aws {
namespace {

outbound_refusal refuse(std::string m) { return {std::move(m)}; }

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) noexcept {
  return (a << 24) | (b << 16) | (c << 8) | d;
}
constexpr bool in_v4(std::uint32_t ip, std::uint32_t net, int bits) noexcept {
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (ip & mask) == (net & mask);
}

address_class classify_v4(std::uint32_t ip) noexcept {
  // Metadata first: these sit inside link-local or CGNAT, and no flag opens them.
  constexpr std::uint32_t metadata[] = {
      v4(169, 254, 169, 254),  // EC2 IMDS, GCP, Azure, OpenStack, DigitalOcean...
      v4(169, 254, 170, 2),    // ECS task metadata and credentials
      v4(169, 254, 170, 23),   // EKS Pod Identity
      v4(100, 100, 100, 200),  // Alibaba Cloud
      v4(192, 0, 0, 192),      // Oracle Cloud
  };
  for (auto m : metadata)
    if (ip == m) return address_class::metadata;
  if (ip == v4(255, 255, 255, 255)) return address_class::broadcast;
  if (in_v4(ip, v4(0, 0, 0, 0), 8)) return address_class::unspecified;
  if (in_v4(ip, v4(127, 0, 0, 0), 8)) return address_class::loopback;
  if (in_v4(ip, v4(10, 0, 0, 0), 8) || in_v4(ip, v4(172, 16, 0, 0), 12) ||
      in_v4(ip, v4(192, 168, 0, 0), 16))
    return address_class::private_network;
  if (in_v4(ip, v4(169, 254, 0, 0), 16)) return address_class::link_local;
  if (in_v4(ip, v4(100, 64, 0, 0), 10)) return address_class::shared_cgnat;
  if (in_v4(ip, v4(224, 0, 0, 0), 4)) return address_class::multicast;
  if (in_v4(ip, v4(240, 0, 0, 0), 4) ||      // reserved for future use
      in_v4(ip, v4(192, 0, 0, 0), 24) ||     // IETF protocol assignments
      in_v4(ip, v4(192, 0, 2, 0), 24) ||     // TEST-NET-1
      in_v4(ip, v4(198, 51, 100, 0), 24) ||  // TEST-NET-2
      in_v4(ip, v4(203, 0, 113, 0), 24) ||   // TEST-NET-3
      in_v4(ip, v4(198, 18, 0, 0), 15) ||    // benchmarking
      in_v4(ip, v4(192, 88, 99, 0), 24))     // 6to4 relay anycast (deprecated)
    return address_class::reserved;
  return address_class::global;
}

std::uint32_t v4_at(const unsigned char* b) noexcept {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         b[3];
}

bool zeros(const unsigned char* b, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i)
    if (b[i] != 0) return false;
  return true;
}

address_class classify_v6(const unsigned char* b) noexcept {
  // AWS's IPv6 metadata endpoints (IMDS, EKS Pod Identity): fd00:ec2::254, fd00:ec2::23.
  static constexpr unsigned char ec2[6] = {0xfd, 0x00, 0x0e, 0xc2, 0, 0};
  if (std::memcmp(b, ec2, 6) == 0 && zeros(b + 6, 8) &&
      ((b[14] == 0x02 && b[15] == 0x54) || (b[14] == 0 && b[15] == 0x23)))
    return address_class::metadata;
  if (zeros(b, 15) && b[15] == 0) return address_class::unspecified;  // ::
  if (zeros(b, 15) && b[15] == 1) return address_class::loopback;     // ::1
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-translated ::ffff:0:a.b.c.d: the IPv4 address is reached.
  if (zeros(b, 10) && b[10] == 0xff && b[11] == 0xff) return classify_v4(v4_at(b + 12));
  if (zeros(b, 8) && b[8] == 0xff && b[9] == 0xff && b[10] == 0 && b[11] == 0)
    return classify_v4(v4_at(b + 12));
  // IPv4-compatible ::a.b.c.d (deprecated): never public.
  if (zeros(b, 12)) {
    const auto c = classify_v4(v4_at(b + 12));
    return c == address_class::global ? address_class::reserved : c;
  }
  // NAT64 64:ff9b::a.b.c.d: a NAT64 gateway reaches the IPv4 address.
  static constexpr unsigned char nat64[4] = {0x00, 0x64, 0xff, 0x9b};
  if (std::memcmp(b, nat64, 4) == 0 && zeros(b + 4, 8)) return classify_v4(v4_at(b + 12));
  if (std::memcmp(b, nat64, 4) == 0 && b[4] == 0 && b[5] == 1)  // 64:ff9b:1::/48 local NAT64
    return address_class::private_network;
  // 6to4 2002:a.b.c.d::/48: a relay reaches the IPv4 address.
  if (b[0] == 0x20 && b[1] == 0x02) {
    const auto c = classify_v4(v4_at(b + 2));
    return c == address_class::global ? address_class::global : c;
  }
  if (b[0] == 0xff) return address_class::multicast;                                 // ff00::/8
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return address_class::link_local;       // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return address_class::private_network;  // fec0::/10
  if ((b[0] & 0xfe) == 0xfc) return address_class::private_network;                  // fc00::/7
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
    return address_class::reserved;  // 2001:db8::/32 documentation
  if (b[0] == 0x3f && b[1] == 0xff && (b[2] & 0xf0) == 0)
    return address_class::reserved;  // 3fff::/20 documentation
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
    return address_class::reserved;  // 2001::/32 Teredo: the IPv4 address inside is hidden
  if (b[0] == 0x01 && b[1] == 0 && zeros(b + 2, 6))
    return address_class::reserved;                           // 100::/64 discard
  if ((b[0] & 0xe0) != 0x20) return address_class::reserved;  // outside 2000::/3 global unicast
  return address_class::global;
}

std::string numeric_text(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  return buf;
}

std::string refusal_text(std::string_view host, const resolved_address& a,
                         const outbound_policy& p) {
  std::string m = "the target ";
  m += host;
  if (host != a.text) m += " resolves to " + a.text + ",";
  m += " a ";
  m += describe(a.kind);
  m += " address: SESami does not call ";
  m += describe(a.kind);
  m += " addresses";
  const bool openable = a.kind == address_class::loopback ||
                        a.kind == address_class::private_network ||
                        a.kind == address_class::link_local ||
                        a.kind == address_class::shared_cgnat || a.kind == address_class::reserved;
  if (openable && !p.allow_private)
    m += " unless its operator allows private targets (" + p.allow_flag + ")";
  return m;
}

struct curlu_deleter {
  void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
struct curl_str_deleter {
  void operator()(char* s) const noexcept { curl_free(s); }
};
using curl_str = std::unique_ptr<char, curl_str_deleter>;

curl_str part(CURLU* u, CURLUPart what) {
  char* s = nullptr;
  if (curl_url_get(u, what, &s, 0) != CURLUE_OK) return nullptr;
  return curl_str(s);
}

}  // namespace

address_class classify(const sockaddr* sa) noexcept {
  if (!sa) return address_class::reserved;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return classify_v4(ntohl(in->sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return classify_v6(in6->sin6_addr.s6_addr);
  }
  return address_class::reserved;
}

std::optional<address_class> classify(std::string_view numeric) {
  if (numeric.size() >= 2 && numeric.front() == '[' && numeric.back() == ']')
    numeric = numeric.substr(1, numeric.size() - 2);
  if (numeric.empty() || numeric.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(numeric);
  sockaddr_in in{};
  if (inet_pton(AF_INET, s.c_str(), &in.sin_addr) == 1) {
    in.sin_family = AF_INET;
    return classify(reinterpret_cast<const sockaddr*>(&in));
  }
  sockaddr_in6 in6{};
  if (inet_pton(AF_INET6, s.c_str(), &in6.sin6_addr) == 1) {
    in6.sin6_family = AF_INET6;
    return classify(reinterpret_cast<const sockaddr*>(&in6));
  }
  return std::nullopt;
}

std::string_view describe(address_class c) noexcept {
  switch (c) {
    case address_class::global:
      return "public";
    case address_class::loopback:
      return "loopback";
    case address_class::private_network:
      return "private";
    case address_class::link_local:
      return "link-local";
    case address_class::shared_cgnat:
      return "carrier-grade NAT";
    case address_class::reserved:
      return "reserved";
    case address_class::unspecified:
      return "unspecified";
    case address_class::multicast:
      return "multicast";
    case address_class::broadcast:
      return "broadcast";
    case address_class::metadata:
      return "cloud metadata";
  }
  return "unknown";
}

bool permitted(address_class c, const outbound_policy& p) noexcept {
  switch (c) {
    case address_class::global:
      return true;
    case address_class::loopback:
    case address_class::private_network:
    case address_class::link_local:
    case address_class::shared_cgnat:
    case address_class::reserved:
      return p.allow_private;
    case address_class::unspecified:
    case address_class::multicast:
    case address_class::broadcast:
    case address_class::metadata:
      return false;
  }
  return false;
}

boost::system::result<outbound_target, outbound_refusal> parse_outbound_url(std::string_view url,
                                                                            bool allow_http) {
  if (url.empty() || url.size() > 2048) return refuse("a URL of 1 to 2048 characters is needed");
  for (unsigned char ch : url)
    if (ch <= 0x20 || ch >= 0x7f || ch == '\\')
      return refuse(
          "the URL contains a space, a control character, a backslash or a non-ASCII "
          "character");
  const bool http = allow_http && url.starts_with("http://");
  if (!http && !url.starts_with("https://")) return refuse("only https:// URLs are called");
  // The authority as written: a host (and port), nothing encoded or hidden in it.
  const std::size_t skip = http ? 7 : 8;
  const auto authority = url.substr(skip, url.substr(skip).find_first_of("/?#"));
  if (authority.empty()) return refuse("the URL has no host");
  if (authority.find('@') != std::string_view::npos)
    return refuse("the URL carries user information before its host ('user@host')");
  if (authority.find('%') != std::string_view::npos)
    return refuse("the URL's host is percent-encoded");
  std::unique_ptr<CURLU, curlu_deleter> u(curl_url());
  if (!u) return refuse("the URL cannot be parsed now");
  const std::string s(url);
  if (curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK)
    return refuse("the URL does not parse");
  auto scheme = part(u.get(), CURLUPART_SCHEME);
  if (!scheme || std::string_view(scheme.get()) != (http ? "http" : "https"))
    return refuse("only https:// URLs are called");
  if (part(u.get(), CURLUPART_USER) || part(u.get(), CURLUPART_PASSWORD) ||
      part(u.get(), CURLUPART_OPTIONS))
    return refuse("the URL carries user information before its host ('user@host')");
  if (part(u.get(), CURLUPART_ZONEID)) return refuse("the URL names an IPv6 zone");
  auto host = part(u.get(), CURLUPART_HOST);
  if (!host || !*host.get()) return refuse("the URL has no host");
  outbound_target t;
  if (http) t.port = 80;
  t.host = ascii_lower(host.get());
  if (t.host.find('%') != std::string::npos) return refuse("the URL's host is percent-encoded");
  if (auto port = part(u.get(), CURLUPART_PORT)) {
    const std::string_view p = port.get();
    unsigned n = 0;
    for (char ch : p) n = n * 10 + static_cast<unsigned>(ch - '0');
    if (p.empty() || p.size() > 5 || n == 0 || n > 65535)
      return refuse("the URL's port is not valid");
    t.port = static_cast<std::uint16_t>(n);
  }
  return t;
}

boost::system::result<std::vector<resolved_address>, outbound_refusal> resolve_outbound(
    std::string_view host_in, std::uint16_t port, const outbound_policy& p) {
  std::string_view host = host_in;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return refuse("no host to call");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string h(host), service = std::to_string(port);
  const int rc = getaddrinfo(h.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) return refuse("the target " + h + " does not resolve (" + gai_strerror(rc) + ")");
  std::vector<resolved_address> out;
  for (addrinfo* a = res; a; a = a->ai_next) {
    if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
        a->ai_addrlen > sizeof(sockaddr_storage))
      continue;
    resolved_address r;
    std::memcpy(&r.addr, a->ai_addr, a->ai_addrlen);
    r.len = a->ai_addrlen;
    r.text = numeric_text(a->ai_addr);
    r.kind = classify(a->ai_addr);
    out.push_back(std::move(r));
  }
  freeaddrinfo(res);
  if (out.empty()) return refuse("the target " + h + " has no IPv4 or IPv6 address");
  // Every address must pass: a name that also resolves to a private address is refused, whichever
  // address a connection would have tried first.
  for (const auto& a : out)
    if (!permitted(a.kind, p)) return refuse(refusal_text(h, a, p));
  return out;
}

boost::system::result<void, outbound_refusal> check_outbound_url(std::string_view url,
                                                                 const outbound_policy& p) {
  auto t = parse_outbound_url(url, p.allow_http);
  if (!t) return t.error();
  auto a = resolve_outbound(t->host, t->port, p);
  if (!a) return a.error();
  return {};
}

}  // namespace sesami::aws
