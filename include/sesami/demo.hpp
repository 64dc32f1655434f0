#pragma once
// A realistic, reproducible stream of SES event payloads for demos, tests and benchmarks.
//
// It produces what AWS would POST or queue — SNS envelopes around event-publishing records,
// EventBridge events, classic bounce/complaint/delivery notifications — never normalized events:
// the data goes through the same parser as real traffic. Header-only, no I/O, no clock, no global
// state; the same options give the same bytes on every platform (own PRNG and distributions,
// because std::uniform_*_distribution differ between libstdc++ and libc++).
//
// The model (rates from public deliverability benchmarks, per delivered message):
//   campaigns (marketing configuration set, ~70 % of mail) every few days, sent over ~2 hours;
//   transactional mail (receipts, password resets, ~30 %) around the clock with a daily rhythm;
//   hard bounces ~1.5 % of recipients (invalid addresses bounce every time), soft ~0.5 %,
//   account-suppressed ~0.2 %, rejects 0.05 %, rendering failures 0.03 %, delivery delays ~1 %;
//   complaints 0.08 % of delivered campaign mail, 0.01 % of transactional;
//   human opens 22 % (campaign) / 45 % (transactional) of delivered, some repeated;
//   Apple Mail Privacy Protection pre-fetch for Apple users (user agent exactly "Mozilla/5.0"),
//   Gmail image proxy for half of Gmail opens; human clicks 15 % of openers;
//   corporate mail gateways click every link within seconds (scanner user agents);
//   3 % of payloads delivered twice (same SNS MessageId), 5 % delivered late, and one complaint in
//   five arriving before the open it follows.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include <sesami/detail/iso8601.hpp>
#include <sesami/to_json.hpp>

namespace sesami::demo {

struct options {
  std::uint64_t seed = 42;
  std::size_t events = 50'000;  // normalized events to aim for (duplicates not counted); ±10 %
  /// End of the generated period, ms since epoch; the data covers [end - days, end). The default
  /// (2026-01-01T00:00:00Z) keeps the bytes independent of the clock; the CLI passes today.
  std::int64_t end = 1'767'225'600'000;
  int days = 90;
  double duplicate_rate = 0.03;  // payloads delivered twice (SNS and EventBridge are at-least-once)
  double late_rate = 0.05;       // payloads delivered minutes to hours late
};

namespace detail {

// xoshiro256** seeded by splitmix64: fast, and identical output everywhere.
class rng {
 public:
  explicit rng(std::uint64_t seed) noexcept {
    for (auto& w : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      w = z ^ (z >> 31);
    }
  }
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) noexcept { return uniform() < p; }
  std::uint64_t below(std::uint64_t n) noexcept { return n ? next() % n : 0; }
  std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept {  // [lo, hi]
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo + 1)));
  }
  /// Log-normal delay with the given median (ms) and spread (sigma of the log), via Box–Muller.
  std::int64_t lognormal(double median_ms, double sigma) noexcept {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    return static_cast<std::int64_t>(median_ms * std::exp(sigma * z)) + 1;
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t s_[4];
};

inline constexpr std::int64_t second = 1000, minute = 60 * second, hour = 60 * minute,
                              day = 24 * hour;

inline constexpr std::string_view first_names[] = {
    "alice",   "bob",  "carol",  "dave",  "erin",   "frank", "grace", "heidi",  "ivan",   "judy",
    "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yara",
    "zoe",     "liam", "emma",   "noah",  "ava",    "mia",   "lucas", "sofia",  "mateo",  "lena"};
inline constexpr std::string_view last_names[] = {
    "smith", "jones", "garcia", "muller", "rossi", "dubois",  "tanaka", "kim",     "silva", "novak",
    "ng",    "brown", "wilson", "martin", "lopez", "schmidt", "costa",  "ivanova", "patel", "khan"};

struct domain_info {
  std::string_view name;
  double weight;
  bool apple;    // Apple Mail users: Privacy Protection pre-fetches on delivery
  bool gmail;    // opens partly through GoogleImageProxy
  bool gateway;  // a corporate gateway scans every link on arrival
};
inline constexpr domain_info domains[] = {
    {"gmail.com", 0.38, false, true, false},       {"yahoo.com", 0.08, false, false, false},
    {"outlook.com", 0.10, false, false, false},    {"hotmail.com", 0.05, false, false, false},
    {"icloud.com", 0.09, true, false, false},      {"me.com", 0.02, true, false, false},
    {"gmx.de", 0.04, false, false, false},         {"orange.fr", 0.03, false, false, false},
    {"acme-corp.com", 0.06, false, false, true},   {"globex.example", 0.05, false, false, true},
    {"initech.example", 0.04, false, false, true}, {"umbrella.example", 0.06, false, false, false},
};

inline constexpr std::string_view human_open_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.43 Mobile Safari/537.36",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17029; Pro)",
};
inline constexpr std::string_view gmail_proxy_agent =
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
inline constexpr std::string_view scanner_agents[] = {
    "Mozilla/5.0 (compatible; Barracuda Sentinel)",
    "Mimecast URL Protect/1.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/119.0.0.0 Safari/537.36",
    "python-requests/2.31.0",
};

struct campaign_info {
  std::string_view slug, subject;
};
inline constexpr campaign_info campaigns[] = {
    {"spring-sale", "Spring sale: 30% off everything"},
    {"newsletter-weekly", "This week at Example Shop"},
    {"product-launch", "Meet the new Example Pro"},
    {"black-friday", "Black Friday starts now"},
    {"win-back", "We miss you - here is 15% off"},
    {"webinar-invite", "Join our live webinar on Thursday"},
    {"holiday-gift-guide", "The holiday gift guide"},
    {"survey", "Two minutes to tell us how we did?"},
};
struct transactional_info {
  std::string_view kind, subject, template_name;
};
inline constexpr transactional_info transactional[] = {
    {"order-confirmation", "Your order is confirmed", "order_confirmation"},
    {"shipping", "Your order has shipped", "shipping_update"},
    {"password-reset", "Reset your password", "password_reset"},
    {"receipt", "Your receipt from Example Shop", "receipt"},
    {"welcome", "Welcome to Example Shop", "welcome"},
};

/// JSON string escaping: the same as the normalized events' writer.
inline void escape_into(std::string& out, std::string_view s) {
  sesami::detail::append_json_escaped(out, s);
}

// One email: shared by the events of all its recipients.
struct mail {
  std::string message_id;
  std::int64_t sent_at = 0;
  bool campaign = false;
  std::size_t kind = 0;  // index into campaigns or transactional
  std::vector<std::string> recipients;
  int shape = 0;  // 0 SNS event publishing, 1 EventBridge, 2 classic notification through SNS
};

enum class kind : std::uint8_t {
  send,
  delivery,
  hard_bounce,
  soft_bounce,
  suppressed_bounce,
  complaint,
  open,
  click,
  reject,
  delay,
  rendering_failure
};

struct pending {
  std::int64_t emit = 0;  // when the payload reaches the endpoint
  std::uint64_t order = 0;
  std::shared_ptr<const mail> m;
  std::size_t rcpt = 0;  // recipient index; SIZE_MAX for whole-message records
  kind k = kind::send;
  std::int64_t ts = 0;           // the event's own time
  std::uint32_t variant = 0;     // user agent / link / bounce flavour, chosen at scheduling
  std::uint64_t payload_id = 0;  // SNS MessageId / EventBridge id source: same for a duplicate
  bool machine = false;
  friend bool operator>(const pending& a, const pending& b) noexcept {
    return a.emit != b.emit ? a.emit > b.emit : a.order > b.order;
  }
};

inline void hex_into(std::string& out, std::uint64_t v, int digits) {
  static constexpr char h[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += h[(v >> (4 * i)) & 15];
}
inline std::string uuid(std::uint64_t a, std::uint64_t b) {
  std::string s;
  hex_into(s, a >> 32, 8), s += '-', hex_into(s, a >> 16, 4), s += '-';
  hex_into(s, 0x4000 | (a & 0x0fff), 4), s += '-', hex_into(s, 0x8000 | (b >> 50), 4), s += '-';
  hex_into(s, b, 12);
  return s;
}
inline std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 33, x *= 0xff51afd7ed558ccdULL, x ^= x >> 33, x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}
inline std::string iso(std::int64_t ms) { return sesami::detail::format_iso8601(ms); }

}  // namespace detail

/// Generates payloads in (mostly) arrival order. next() returns false when done.
class generator {
 public:
  explicit generator(const options& opt) : opt_(opt), rng_(opt.seed) {
    // About 3 normalized events per recipient of a mail under this model.
    recipients_total_ = static_cast<double>(opt.events) / 3.0;
    hours_ = static_cast<std::int64_t>(opt.days) * 24;
    start_ = opt.end - hours_ * detail::hour;
    start_ -= ((start_ % detail::hour) + detail::hour) % detail::hour;
    users_ = std::max<std::uint64_t>(50, static_cast<std::uint64_t>(recipients_total_ / 6));
    // Campaigns on ~every 4th day at 09:00–11:00 UTC; transactional the rest.
    for (std::int64_t d = 2; d < opt.days; d += 3 + static_cast<std::int64_t>(rng_.below(3)))
      campaign_days_.push_back(d);
    const double campaign_share = campaign_days_.empty() ? 0.0 : 0.7;
    per_campaign_ = campaign_days_.empty() ? 0.0
                                           : recipients_total_ * campaign_share /
                                                 static_cast<double>(campaign_days_.size());
    transactional_per_hour_ =
        recipients_total_ * (1 - campaign_share) / static_cast<double>(hours_);
  }

  /// Writes the next payload (one JSON document, no trailing newline) into `out`.
  bool next(std::string& out) {
    for (;;) {
      if (!queue_.empty() &&
          (hour_ >= hours_ || queue_.top().emit < start_ + hour_ * detail::hour)) {
        detail::pending p = queue_.top();
        queue_.pop();
        out.clear();
        render(p, out);
        ++payloads_;
        return true;
      }
      if (hour_ >= hours_) return false;
      generate_hour();
      ++hour_;
    }
  }

  std::size_t payloads() const noexcept { return payloads_; }
  /// Distinct normalized events emitted so far (what a store keeps after deduplication).
  std::size_t events() const noexcept { return events_; }
  std::int64_t start() const noexcept { return start_; }

 private:
  // ---- scheduling ------------------------------------------------------------------------------
  void generate_hour() {
    using namespace detail;
    const std::int64_t h0 = start_ + hour_ * hour;
    const std::int64_t hour_of_day = (h0 / hour) % 24;
    // Transactional traffic follows the waking day (peak around 15:00 UTC).
    const double rhythm =
        0.35 + 1.3 * std::max(0.0, std::sin((static_cast<double>(hour_of_day) - 6) / 24.0 * 2 *
                                            3.141592653589793));
    carry_tx_ += transactional_per_hour_ * rhythm / 0.77;
    while (carry_tx_ >= 1) {
      carry_tx_ -= 1;
      schedule_mail(false, h0 + rng_.between(0, hour - 1));
    }
    const std::int64_t d = hour_ / 24;
    if (hour_of_day >= 9 && hour_of_day < 11 &&
        std::find(campaign_days_.begin(), campaign_days_.end(), d) != campaign_days_.end()) {
      carry_campaign_ += per_campaign_ / 2;
      const std::size_t which = static_cast<std::size_t>((d * 7 + 3) % std::size(campaigns));
      std::vector<std::int64_t> times;
      while (carry_campaign_ >= 1) {
        carry_campaign_ -= 1;
        times.push_back(h0 + rng_.between(0, hour - 1));
      }
      std::sort(times.begin(), times.end());
      for (auto t : times) schedule_mail(true, t, which);
    }
  }

  std::string address(std::uint64_t user) const {
    using namespace detail;
    const std::uint64_t h = mix(user * 0x9e3779b97f4a7c15ULL + opt_.seed);
    std::string a(first_names[h % std::size(first_names)]);
    a += '.';
    a += last_names[(h >> 8) % std::size(last_names)];
    a += std::to_string(user % 997);
    a += '@';
    a += domains[domain_of(user)].name;
    return a;
  }
  std::size_t domain_of(std::uint64_t user) const {
    using namespace detail;
    const double u = static_cast<double>(mix(user + 0x51ed27 + opt_.seed) >> 11) * 0x1.0p-53;
    double acc = 0;
    for (std::size_t i = 0; i < std::size(domains); ++i) {
      acc += domains[i].weight;
      if (u < acc) return i;
    }
    return 0;
  }
  bool user_invalid(std::uint64_t user) const {  // typos and abandoned mailboxes: always bounce
    return (detail::mix(user ^ 0xbadadd7e55ULL ^ opt_.seed) % 1000) < 15;
  }
  bool user_apple(std::uint64_t user) const {
    return detail::domains[domain_of(user)].apple || (detail::mix(user ^ 0xa991eULL) % 100) < 20;
  }

  void schedule_mail(bool campaign, std::int64_t t, std::size_t which = 0) {
    using namespace detail;
    auto m = std::make_shared<mail>();
    m->campaign = campaign;
    m->kind = campaign ? which : static_cast<std::size_t>(rng_.below(std::size(transactional)));
    m->sent_at = t;
    m->message_id = "01000";
    hex_into(m->message_id, static_cast<std::uint64_t>(t), 11);
    m->message_id += '-';
    hex_into(m->message_id, rng_.next(), 8);
    m->message_id += '-';
    hex_into(m->message_id, rng_.next(), 16);
    m->message_id += "-000000";
    const std::size_t n = !campaign && rng_.chance(0.05) ? 2 : 1;  // a receipt cc'd to someone
    std::vector<std::uint64_t> users;
    for (std::size_t i = 0; i < n; ++i) {
      users.push_back(rng_.below(users_));
      m->recipients.push_back(address(users.back()));
    }
    const double s = rng_.uniform();
    m->shape = campaign ? (s < 0.7 ? 1 : 0) : (s < 0.75 ? 0 : 2);
    std::shared_ptr<const mail> cm = m;

    // Whole-message outcomes first: SES refuses before sending.
    if (rng_.chance(0.0005)) {
      push(cm, SIZE_MAX, kind::reject, t + rng_.between(20, 400));
    } else if (!campaign && rng_.chance(0.0003)) {
      push(cm, SIZE_MAX, kind::rendering_failure, t + rng_.between(20, 400));
    } else {
      push(cm, SIZE_MAX, kind::send, t + rng_.between(5, 80));
      for (std::size_t r = 0; r < n; ++r) schedule_recipient(cm, r, users[r]);
    }
    flush();
  }

  void schedule_recipient(const std::shared_ptr<const detail::mail>& m, std::size_t r,
                          std::uint64_t user) {
    using namespace detail;
    const std::int64_t t = m->sent_at;
    const domain_info& dom = domains[domain_of(user)];
    if (user_invalid(user)) return push(m, r, kind::hard_bounce, t + rng_.between(400, 6000));
    if (rng_.chance(0.002)) return push(m, r, kind::suppressed_bounce, t + rng_.between(50, 300));
    std::int64_t delivered = t + rng_.between(300, 8000);
    if (rng_.chance(0.01)) {  // greylisting or a full mailbox: delays, then delivery or soft bounce
      const std::int64_t delay_at = t + rng_.between(5 * minute, 40 * minute);
      push(m, r, kind::delay, delay_at);
      if (rng_.chance(0.5))
        return push(m, r, kind::soft_bounce, delay_at + rng_.between(hour, 12 * hour));
      delivered = delay_at + rng_.between(10 * minute, 3 * hour);
    } else if (rng_.chance(0.004)) {
      return push(m, r, kind::soft_bounce, t + rng_.between(1000, 20000));
    }
    push(m, r, kind::delivery, delivered);

    // Machines first: they act on arrival.
    if (user_apple(user))
      push(m, r, kind::open, delivered + rng_.between(5 * second, 20 * minute), 0, true);
    if (dom.gateway)  // the gateway follows every link of the mail within seconds of sending
      for (std::uint32_t link = 0; link < 2; ++link)
        push(m, r, kind::click, t + rng_.between(1500, 9000) + link,
             (link << 8) | static_cast<std::uint32_t>(rng_.below(std::size(scanner_agents))), true);

    // People.
    std::int64_t last_open = 0;
    if (rng_.chance(m->campaign ? 0.22 : 0.45)) {
      std::int64_t at = delivered + rng_.lognormal(m->campaign ? 2.0 * hour : 20.0 * minute, 1.3);
      const int opens = rng_.chance(0.3) ? 1 + static_cast<int>(rng_.below(3)) : 1;
      for (int i = 0; i < opens; ++i) {
        const bool proxied = dom.gmail && rng_.chance(0.5);
        const auto ua = proxied
                            ? 0xffffu
                            : static_cast<std::uint32_t>(rng_.below(std::size(human_open_agents)));
        push(m, r, kind::open, at, ua, proxied);
        last_open = at;
        if (i == 0 && rng_.chance(0.15)) {
          const auto link = static_cast<std::uint32_t>(rng_.below(3));
          push(m, r, kind::click, at + rng_.between(15 * second, 5 * minute), link << 8);
        }
        at += rng_.lognormal(6.0 * hour, 1.0);
      }
    }
    if (rng_.chance(m->campaign ? 0.0008 : 0.0001)) {
      const std::int64_t at =
          (last_open ? last_open : delivered) + rng_.lognormal(30.0 * minute, 1.5);
      push(m, r, kind::complaint, at);
      // One complaint in five reaches us before the open it follows: hold that open back.
      if (last_open && rng_.chance(0.2)) {
        const pending& c = batch_.back();
        for (auto it = batch_.rbegin(); it != batch_.rend(); ++it)
          if (it->k == kind::open && it->ts == last_open) {
            it->emit = c.emit + rng_.between(minute, 2 * hour);
            break;
          }
      }
    }
  }

  // Queues the mail's events; duplicates (at-least-once delivery) repeat a payload later.
  void flush() {
    using namespace detail;
    for (auto& p : batch_) {
      p.order = order_++;
      if (rng_.chance(opt_.duplicate_rate)) {
        pending dup = p;
        dup.emit += rng_.between(20 * second, 10 * minute);
        dup.order = order_++;
        queue_.push(std::move(dup));
      }
      queue_.push(std::move(p));
    }
    batch_.clear();
  }

  void push(const std::shared_ptr<const detail::mail>& m, std::size_t r, detail::kind k,
            std::int64_t ts, std::uint32_t variant = 0, bool machine = false) {
    using namespace detail;
    pending p;
    p.m = m;
    p.rcpt = r;
    p.k = k;
    p.ts = ts;
    p.variant = variant;
    p.machine = machine;
    p.payload_id = rng_.next();
    p.emit = ts + rng_.between(100, 3000);
    if (rng_.chance(opt_.late_rate)) p.emit += rng_.between(minute, 6 * hour);
    events_ += r == SIZE_MAX ? m->recipients.size() : 1;
    batch_.push_back(std::move(p));
  }

  // ---- rendering -------------------------------------------------------------------------------
  static constexpr std::string_view event_type_name(detail::kind k) {
    using detail::kind;
    switch (k) {
      case kind::send:
        return "Send";
      case kind::delivery:
        return "Delivery";
      case kind::hard_bounce:
      case kind::soft_bounce:
      case kind::suppressed_bounce:
        return "Bounce";
      case kind::complaint:
        return "Complaint";
      case kind::open:
        return "Open";
      case kind::click:
        return "Click";
      case kind::reject:
        return "Reject";
      case kind::delay:
        return "DeliveryDelay";
      case kind::rendering_failure:
        return "Rendering Failure";
    }
    return "Send";
  }
  static constexpr std::string_view detail_type(detail::kind k) {
    using detail::kind;
    switch (k) {
      case kind::send:
        return "Email Sent";
      case kind::delivery:
        return "Email Delivered";
      case kind::hard_bounce:
      case kind::soft_bounce:
      case kind::suppressed_bounce:
        return "Email Bounced";
      case kind::complaint:
        return "Email Complaint Received";
      case kind::open:
        return "Email Opened";
      case kind::click:
        return "Email Clicked";
      case kind::reject:
        return "Email Rejected";
      case kind::delay:
        return "Email Delivery Delayed";
      case kind::rendering_failure:
        return "Email Rendering Failed";
    }
    return "Email Sent";
  }

  void render_mail(const detail::pending& p, std::string& o) const {
    using namespace detail;
    const mail& m = *p.m;
    const std::string_view from = m.campaign ? "Example Shop <news@mail.example-shop.com>"
                                             : "Example Shop <orders@mail.example-shop.com>";
    const std::string_view source =
        m.campaign ? "news@mail.example-shop.com" : "orders@mail.example-shop.com";
    const std::string_view subject =
        m.campaign ? campaigns[m.kind].subject : transactional[m.kind].subject;
    const std::string_view config = m.campaign ? "marketing" : "transactional";
    o += "\"mail\":{\"timestamp\":\"" + iso(m.sent_at) + "\",\"source\":\"";
    o += source;
    o += "\",\"sourceArn\":\"arn:aws:ses:us-east-1:123456789012:identity/mail.example-shop.com\","
         "\"sendingAccountId\":\"123456789012\",\"messageId\":\"";
    o += m.message_id;
    o += "\",\"destination\":[";
    for (std::size_t i = 0; i < m.recipients.size(); ++i) {
      if (i) o += ',';
      o += '"' + m.recipients[i] + '"';
    }
    o += "],\"headersTruncated\":false,\"commonHeaders\":{\"from\":[\"";
    escape_into(o, from);
    o += "\"],\"to\":[\"" + m.recipients[0] + "\"],\"messageId\":\"" + m.message_id +
         "\",\"subject\":\"";
    escape_into(o, subject);
    o += "\"},\"tags\":{\"ses:configuration-set\":[\"";
    o += config;
    o += "\"],\"ses:source-ip\":[\"198.51.100.7\"],\"ses:from-domain\":[\"mail.example-shop.com\"],"
         "\"ses:caller-identity\":[\"sesami-demo\"]";
    if (m.campaign) {
      o += ",\"campaign\":[\"";
      o += campaigns[m.kind].slug;
      o += "\"]";
    } else {
      o += ",\"kind\":[\"";
      o += transactional[m.kind].kind;
      o += "\"]";
    }
    o += "}}";
  }

  std::string recipient_of(const detail::pending& p) const { return p.m->recipients[p.rcpt]; }

  std::string ip(std::uint64_t seed) const {
    const std::uint64_t h = detail::mix(seed);
    return std::to_string(17 + h % 180) + "." + std::to_string((h >> 8) % 256) + "." +
           std::to_string((h >> 16) % 256) + "." + std::to_string(1 + (h >> 24) % 254);
  }

  // The event-specific object ("bounce": {...}), after a comma.
  void render_detail(const detail::pending& p, std::string& o) const {
    using namespace detail;
    const std::string ts = iso(p.ts);
    const std::string feedback = uuid(p.payload_id ^ 0xfeedULL, p.payload_id);
    switch (p.k) {
      case kind::send:
        o += ",\"send\":{}";
        break;
      case kind::delivery:
        o += ",\"delivery\":{\"timestamp\":\"" + ts +
             "\",\"processingTimeMillis\":" + std::to_string(p.ts - p.m->sent_at) +
             ",\"recipients\":[\"" + recipient_of(p) +
             "\"],\"smtpResponse\":\"250 2.0.0 OK  1700000000 " + feedback.substr(0, 8) +
             " - gsmtp\",\"reportingMTA\":\"a8-30.smtp-out.amazonses.com\",\"remoteMtaIp\":\"" +
             ip(p.payload_id) + "\"}";
        break;
      case kind::hard_bounce:
      case kind::soft_bounce:
      case kind::suppressed_bounce: {
        std::string_view
            type = "Permanent",
            sub = "General", status = "5.1.1",
            diag = "smtp; 550 5.1.1 The email account that you tried to reach does not exist.";
        if (p.k == kind::soft_bounce) {
          type = "Transient", sub = "MailboxFull", status = "4.2.2",
          diag = "smtp; 452 4.2.2 The email account that you tried to reach is over quota.";
        } else if (p.k == kind::suppressed_bounce) {
          type = "Permanent", sub = "OnAccountSuppressionList", status = "5.1.1",
          diag =
              "Amazon SES did not send the message to this address because it is on the "
              "suppression list for your account.";
        }
        o += ",\"bounce\":{\"feedbackId\":\"" + feedback + "\",\"bounceType\":\"";
        o += type;
        o += "\",\"bounceSubType\":\"";
        o += sub;
        o += "\",\"bouncedRecipients\":[{\"emailAddress\":\"" + recipient_of(p) +
             "\",\"action\":\"failed\",\"status\":\"";
        o += status;
        o += "\",\"diagnosticCode\":\"";
        escape_into(o, diag);
        o += "\"}],\"timestamp\":\"" + ts +
             "\",\"reportingMTA\":\"dns; a8-30.smtp-out.amazonses.com\"}";
        break;
      }
      case kind::complaint:
        o += ",\"complaint\":{\"feedbackId\":\"" + feedback +
             "\",\"complaintSubType\":null,\"complainedRecipients\":[{\"emailAddress\":\"" +
             recipient_of(p) + "\"}],\"timestamp\":\"" + ts +
             "\",\"userAgent\":\"Yahoo!-Mail-Feedback/2.0\",\"complaintFeedbackType\":\"abuse\","
             "\"arrivalDate\":\"" +
             ts + "\"}";
        break;
      case kind::open: {
        std::string_view ua = "Mozilla/5.0";  // Apple Mail Privacy Protection, exactly this
        if (!p.machine)
          ua = human_open_agents[p.variant % std::size(human_open_agents)];
        else if (p.variant == 0xffff)
          ua = gmail_proxy_agent;
        o += ",\"open\":{\"ipAddress\":\"" + ip(p.payload_id) + "\",\"timestamp\":\"" + ts +
             "\",\"userAgent\":\"";
        escape_into(o, ua);
        o += "\"}";
        break;
      }
      case kind::click: {
        const std::uint32_t link = p.variant >> 8;
        const std::string_view ua =
            p.machine ? scanner_agents[(p.variant & 0xff) % std::size(scanner_agents)]
                      : human_open_agents[link % std::size(human_open_agents)];
        const std::string_view slug =
            p.m->campaign ? campaigns[p.m->kind].slug : transactional[p.m->kind].kind;
        static constexpr std::string_view pages[] = {"shop", "account", "unsubscribe-preferences"};
        o += ",\"click\":{\"ipAddress\":\"" + ip(p.payload_id) + "\",\"timestamp\":\"" + ts +
             "\",\"userAgent\":\"";
        escape_into(o, ua);
        o += "\",\"link\":\"https://www.example-shop.com/";
        o += pages[link % 3];
        o += "?utm_campaign=";
        o += slug;
        o += "\",\"linkTags\":{\"link\":[\"";
        o += pages[link % 3];
        o += "\"]}}";
        break;
      }
      case kind::reject:
        o += ",\"reject\":{\"reason\":\"Bad content\"}";
        break;
      case kind::delay:
        o += ",\"deliveryDelay\":{\"timestamp\":\"" + ts +
             "\",\"delayType\":\"TransientCommunicationFailure\",\"expirationTime\":\"" +
             iso(p.m->sent_at + day) + "\",\"delayedRecipients\":[{\"emailAddress\":\"" +
             recipient_of(p) +
             "\",\"status\":\"4.4.1\",\"diagnosticCode\":\"smtp; 421 4.4.1 Unable to connect "
             "to remote host\"}],\"reportingMTA\":\"a8-30.smtp-out.amazonses.com\"}";
        break;
      case kind::rendering_failure:
        o += ",\"failure\":{\"errorMessage\":\"Attribute 'firstName' is not present in the "
             "rendering data.\",\"templateName\":\"";
        o += transactional[p.m->kind].template_name;
        o += "\"}";
        break;
    }
  }

  void render(const detail::pending& p, std::string& o) const {
    using namespace detail;
    // Classic identity notifications exist only for bounces, complaints and deliveries.
    const bool classic_kind = p.k == kind::delivery || p.k == kind::complaint ||
                              p.k == kind::hard_bounce || p.k == kind::soft_bounce ||
                              p.k == kind::suppressed_bounce;
    const int shape = p.m->shape == 2 && !classic_kind ? 0 : p.m->shape;
    std::string record = "{";
    if (shape == 2) {
      std::string_view nt = p.k == kind::delivery    ? "Delivery"
                            : p.k == kind::complaint ? "Complaint"
                                                     : "Bounce";
      record += "\"notificationType\":\"";
      record += nt;
      record += "\",";
    } else {
      record += "\"eventType\":\"";
      record += event_type_name(p.k);
      record += "\",";
    }
    render_mail(p, record);
    render_detail(p, record);
    record += '}';

    const std::string id = uuid(p.payload_id, mix(p.payload_id));
    const std::int64_t delivered_at = p.ts + 50;
    if (shape == 1) {
      o += "{\"version\":\"0\",\"id\":\"" + id + "\",\"detail-type\":\"";
      o += detail_type(p.k);
      o += "\",\"source\":\"aws.ses\",\"account\":\"123456789012\",\"time\":\"" +
           iso(delivered_at) +
           "\",\"region\":\"us-east-1\",\"resources\":[\"arn:aws:ses:us-east-1:123456789012:"
           "configuration-set/";
      o += p.m->campaign ? "marketing" : "transactional";
      o += "\"],\"detail\":" + record + "}";
      return;
    }
    o += "{\"Type\":\"Notification\",\"MessageId\":\"" + id +
         "\",\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:ses-events\",\"Subject\":\"Amazon "
         "SES "
         "Email Event Notification\",\"Message\":\"";
    escape_into(o, record);
    o += "\",\"Timestamp\":\"" + iso(delivered_at) +
         "\",\"SignatureVersion\":\"1\",\"Signature\":\"ZGVtbw==\",\"SigningCertURL\":\"https://"
         "sns.us-east-1.amazonaws.com/"
         "SimpleNotificationService-demo.pem\",\"UnsubscribeURL\":\"https://"
         "sns.us-east-1.amazonaws.com/?Action=Unsubscribe\"}";
  }

  options opt_;
  detail::rng rng_;
  double recipients_total_ = 0;
  std::int64_t hours_ = 0, start_ = 0, hour_ = 0;
  std::uint64_t users_ = 0;
  std::vector<std::int64_t> campaign_days_;
  double per_campaign_ = 0, transactional_per_hour_ = 0, carry_tx_ = 0, carry_campaign_ = 0;
  std::priority_queue<detail::pending, std::vector<detail::pending>, std::greater<>> queue_;
  std::uint64_t order_ = 0;
  std::size_t payloads_ = 0, events_ = 0;
  std::vector<detail::pending> batch_;  // the current mail's events, before they are queued
};

}  // namespace sesami::demo
