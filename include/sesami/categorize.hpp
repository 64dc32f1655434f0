#pragma once
// What SES does not tell you: whether a bounce should cost the address its place on the list,
// whether an open or click came from a person or a machine, and which events suppress a recipient.
// The rules and their references are in docs/events.md ("Classification").
#include <cstdint>
#include <optional>
#include <string_view>

#include <sesami/detail/json_access.hpp>
#include <sesami/event.hpp>

namespace sesami {

/// An RFC 3463 enhanced status code "class.subject.detail", e.g. 5.1.1.
struct enhanced_status {
  unsigned cls = 0;  // 2 success, 4 persistent transient, 5 permanent
  unsigned subject = 0;
  unsigned detail = 0;
  friend constexpr bool operator==(const enhanced_status&, const enhanced_status&) = default;
};

namespace detail {
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// Reads "d.ddd.ddd" at `pos` (class one digit, subject and detail 1–3 digits, RFC 3463 §2).
constexpr std::optional<enhanced_status> status_at(std::string_view s, std::size_t pos) noexcept {
  if (pos >= s.size()) return std::nullopt;
  const char c = s[pos];
  if (c != '2' && c != '4' && c != '5') return std::nullopt;
  // Not a piece of a longer dotted number such as an IP address "127.0.2.0".
  if (pos > 0 && (is_digit(s[pos - 1]) || s[pos - 1] == '.')) return std::nullopt;
  std::size_t i = pos + 1;
  unsigned parts[2] = {0, 0};
  for (unsigned& part : parts) {
    if (i >= s.size() || s[i] != '.') return std::nullopt;
    ++i;
    std::size_t n = 0;
    while (i < s.size() && is_digit(s[i]) && n < 4) {
      part = part * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
      ++n;
    }
    if (n == 0 || n > 3) return std::nullopt;
  }
  if (i < s.size() && (is_digit(s[i]) || (s[i] == '.' && i + 1 < s.size() && is_digit(s[i + 1]))))
    return std::nullopt;
  return enhanced_status{static_cast<unsigned>(c - '0'), parts[0], parts[1]};
}

// Auto-replies that some receivers send back as a bounce. They prove the mailbox exists.
inline constexpr std::string_view auto_reply_markers[] = {
    "out of office", "out-of-office",        "out of the office", "auto-reply",
    "autoreply",     "auto reply",           "automatic reply",   "auto-submitted: auto-replied",
    "vacation",      "away from the office",
};
}  // namespace detail

/// The first enhanced status code in `text` ("smtp; 550 5.1.1 user unknown" → 5.1.1).
constexpr std::optional<enhanced_status> find_enhanced_status(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (auto st = detail::status_at(text, i)) return st;
  return std::nullopt;
}

/// True when the diagnostic text is an out-of-office or other auto-reply.
constexpr bool is_auto_reply(std::string_view diagnostic) noexcept {
  for (std::string_view m : detail::auto_reply_markers)
    if (icontains(diagnostic, m)) return true;
  return false;
}

/// Does a permanent (5.x.x) code say the address itself is bad? RFC 3463 calls X.2.2 (mailbox full)
/// a persistent transient condition, X.2.3 / X.3.4 concern the message's size, and X.7.x are policy
/// or content refusals: none of these is a reason to drop the address.
constexpr bool is_address_failure(const enhanced_status& st) noexcept {
  if (st.cls != 5) return false;
  if (st.subject == 2 && (st.detail == 2 || st.detail == 3)) return false;
  if (st.subject == 3 && st.detail == 4) return false;
  if (st.subject == 7) return false;
  return true;
}

/// Classifies one bounced recipient. `status` is the recipient's enhanced status ("5.1.1", may be
/// empty), `diagnostic` the remote server's words ("smtp; 550 5.1.1 user unknown").
constexpr bounce_class classify_bounce(std::string_view type, std::string_view sub_type,
                                       std::string_view status,
                                       std::string_view diagnostic) noexcept {
  // SES did not even try: the address is on the account-level or global suppression list.
  if (sub_type == "OnAccountSuppressionList" || sub_type == "Suppressed")
    return bounce_class::suppressed;
  std::optional<enhanced_status> st = detail::status_at(detail::trim(status), 0);
  if (!st) st = find_enhanced_status(diagnostic);
  const bool auto_reply = is_auto_reply(diagnostic);
  if (type == "Permanent") return auto_reply ? bounce_class::soft : bounce_class::hard;
  if (type == "Transient") {
    if (!auto_reply && st && is_address_failure(*st)) return bounce_class::hard;
    return bounce_class::soft;
  }
  // Undetermined (or a label we do not know): only a permanent address failure makes it hard.
  if (!auto_reply && st && is_address_failure(*st)) return bounce_class::hard;
  return bounce_class::undetermined;
}
inline bounce_class classify_bounce(const bounce_info& b) noexcept {
  return classify_bounce(b.type, b.sub_type, b.status, b.diagnostic_code);
}

/// A verdict on an open or a click: machine or person, and the rule that decided.
struct machine_verdict {
  bool machine = false;
  std::string_view reason;  // "" for a person; otherwise a stable id, see docs/events.md
};

namespace detail {
struct ua_rule {
  std::string_view needle;
  std::string_view reason;
};
// Image proxies that fetch on the mail provider's side, not when a person reads.
inline constexpr ua_rule open_proxy_rules[] = {
    {"GoogleImageProxy", "google-image-proxy"},
    {"ggpht.com", "google-image-proxy"},
    {"YahooMailProxy", "yahoo-image-proxy"},
    {"OutlookImageProxy", "outlook-image-proxy"},
};
// Link scanners in corporate mail gateways and scripted clients that follow every link.
inline constexpr ua_rule click_scanner_rules[] = {
    {"Barracuda", "security-scanner"},
    {"Proofpoint", "security-scanner"},
    {"Mimecast", "security-scanner"},
    {"SafeLinks", "security-scanner"},
    {"Trend Micro", "security-scanner"},
    {"Symantec", "security-scanner"},
    {"HeadlessChrome", "headless-browser"},
    {"PhantomJS", "headless-browser"},
    {"python-requests", "script"},
    {"python-urllib", "script"},
    {"curl/", "script"},
    {"Wget/", "script"},
    {"Go-http-client", "script"},
    {"okhttp", "script"},
    {"Java/", "script"},
    {"libwww-perl", "script"},
    {"bingbot", "crawler"},
    {"Googlebot", "crawler"},
};
}  // namespace detail

/// Opens: Apple Mail Privacy Protection pre-fetches every image with the user agent exactly
/// "Mozilla/5.0"; Gmail, Yahoo and Outlook.com fetch through their own image proxies.
constexpr machine_verdict classify_open(std::string_view user_agent) noexcept {
  const std::string_view ua = detail::trim(user_agent);
  if (ua == "Mozilla/5.0") return {true, "apple-mpp"};
  for (const auto& r : detail::open_proxy_rules)
    if (icontains(ua, r.needle)) return {true, r.reason};
  return {};
}
inline machine_verdict classify_open(const open_info& o) noexcept {
  return classify_open(o.user_agent);
}

/// Clicks sooner than this after the message left SES are taken for a scanner: nobody opens,
/// reads and clicks within ten seconds, but gateways scan links on arrival.
inline constexpr std::int64_t machine_click_window_ms = 10'000;

/// Clicks: known scanner user agents, a missing user agent, or a click within
/// machine_click_window_ms of `sent_at` (mail.timestamp; 0 when unknown disables the timing rule).
constexpr machine_verdict classify_click(std::string_view user_agent, std::int64_t clicked_at,
                                         std::int64_t sent_at) noexcept {
  const std::string_view ua = detail::trim(user_agent);
  if (ua.empty()) return {true, "no-user-agent"};
  for (const auto& r : detail::click_scanner_rules)
    if (icontains(ua, r.needle)) return {true, r.reason};
  if (sent_at > 0 && clicked_at >= sent_at && clicked_at - sent_at < machine_click_window_ms)
    return {true, "too-fast"};
  return {};
}
inline machine_verdict classify_click(const click_info& c, std::int64_t clicked_at,
                                      std::int64_t sent_at) noexcept {
  return classify_click(c.user_agent, clicked_at, sent_at);
}

/// The status this event gives its (message, recipient); nullopt for subscription and unknown.
constexpr std::optional<delivery_status> status_of(const event& e) noexcept {
  return status_of(e.type);
}

/// Why an event puts its recipient on the suppression list, as a stable id; nullopt if it does not.
///   "hard_bounce"  a bounce we classify hard
///   "suppressed"   SES already holds the address on its suppression list (keep both lists in sync)
///   "complaint"    the recipient reported the mail (except ARF feedback type "not-spam")
inline std::optional<std::string_view> suppression_reason(const event& e) noexcept {
  if (!e.recipient) return std::nullopt;  // never suppress every destination for one event
  if (const auto* b = e.get<bounce_info>()) {
    const bounce_class c = b->cls == bounce_class::none ? classify_bounce(*b) : b->cls;
    if (c == bounce_class::hard) return "hard_bounce";
    if (c == bounce_class::suppressed) return "suppressed";
    return std::nullopt;
  }
  if (const auto* c = e.get<complaint_info>()) {
    if (iequals(c->feedback_type, "not-spam")) return std::nullopt;
    return "complaint";
  }
  return std::nullopt;
}

}  // namespace sesami
