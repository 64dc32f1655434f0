#pragma once
// The outbound-URL policy: what SESami may call when someone other than the operator chose or
// shaped the URL — a tenant's SQS queue URL, an SNS SubscribeURL from the internet, a tenant's
// outbound webhook. One policy for all of them:
//   - https only, no user info, no zone id; parsed by libcurl's own URL parser (the parser that
//     will make the request), so no second parser can disagree about the host;
//   - redirects are never followed (aws::http_client never follows them);
//   - the host is resolved first and every address it resolves to must be public: never
//     loopback, private (RFC 1918, fc00::/7), link-local, CGNAT (100.64/10), reserved, unspecified,
//     multicast or broadcast, nor any of those inside an IPv4-mapped, IPv4-compatible, NAT64 or
//     6to4 IPv6 address; and never a cloud metadata address (169.254.169.254, 169.254.170.2,
//     fd00:ec2::254, ...) whatever the operator allows;
//   - the connection is pinned to the address that was checked (aws::http_client:
//   CURLOPT_CONNECT_TO
//     to that address, and an open-socket callback that refuses any other), so a DNS answer that
//     changes between the check and the connect (DNS rebinding) cannot swap it.
// The operator may allow private targets (`serve --allow-private-targets`; the webhooks' own flag
// later): loopback, private, link-local, CGNAT and reserved addresses become reachable — metadata,
// unspecified, multicast and broadcast addresses never do.
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

namespace sesami::aws {

struct outbound_policy {
  /// Loopback, private, link-local, CGNAT and reserved addresses are allowed (an operator's
  /// choice for a private network or a test; never a tenant's).
  bool allow_private = false;
  /// The flag that sets allow_private, named in refusals so an operator knows what to change.
  std::string allow_flag = "--allow-private-targets";
  /// http:// as well as https:// (with allow_private: an operator's intranet or a test receiver;
  /// `serve --allow-private-webhooks`).
  bool allow_http = false;
};

/// What kind of address a connection would reach.
enum class address_class {
  global,           // public unicast: always allowed
  loopback,         // 127/8, ::1
  private_network,  // 10/8, 172.16/12, 192.168/16, fc00::/7, fec0::/10, 64:ff9b:1::/48
  link_local,       // 169.254/16, fe80::/10
  shared_cgnat,     // 100.64/10 (RFC 6598)
  reserved,         // documentation, benchmarking, 240/4, IETF assignments, Teredo, non-2000::/3
  unspecified,      // 0/8, ::
  multicast,        // 224/4, ff00::/8
  broadcast,        // 255.255.255.255
  metadata,         // cloud instance / task metadata and credential endpoints
};

/// The class of a socket address (AF_INET or AF_INET6; anything else is reserved). IPv6 forms
/// that carry an IPv4 address (mapped, translated, compatible, NAT64, 6to4) are classified by the
/// IPv4 address they reach when that is not public.
address_class classify(const sockaddr* sa) noexcept;
/// The class of a numeric address in the strict forms inet_pton reads (a.b.c.d, IPv6 with or
/// without brackets); nullopt for anything else (names, 0x7f000001: resolve those first).
std::optional<address_class> classify(std::string_view numeric);
/// "loopback", "private", "link-local", ... for messages.
std::string_view describe(address_class c) noexcept;
/// Whether the policy lets a connection reach an address of this class.
bool permitted(address_class c, const outbound_policy& p) noexcept;

struct outbound_refusal {
  std::string message;  // what was refused and why, for a person (and an API error message)
};

/// An absolute https URL as libcurl parses it.
struct outbound_target {
  std::string host;  // as curl will use it: IPv4 numbers normalised (0x7f000001 → 127.0.0.1),
                     // IPv6 in brackets
  std::uint16_t port = 443;
};
/// The syntax half of the policy: https only, no user info, no zone id, no control characters,
/// spaces or backslashes, a host.
/// With `allow_http`, http:// is accepted too (port 80 by default).
boost::system::result<outbound_target, outbound_refusal> parse_outbound_url(
    std::string_view url, bool allow_http = false);

struct resolved_address {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;  // numeric, without brackets
  address_class kind = address_class::global;
};
/// The address half: resolves `host` (a name or a numeric address, brackets allowed) and checks
/// every address it resolves to; refused when any one is not permitted, or when nothing resolves.
boost::system::result<std::vector<resolved_address>, outbound_refusal> resolve_outbound(
    std::string_view host, std::uint16_t port, const outbound_policy& p);

/// Both halves for a URL (the SQS and SNS checks call the syntax half through their own shape
/// checks; the webhooks of issue 18 call this before saving a URL).
boost::system::result<void, outbound_refusal> check_outbound_url(std::string_view url,
                                                                 const outbound_policy& p);

}  // namespace sesami::aws
