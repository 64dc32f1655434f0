#pragma once
// A seeded generator of normalized SES events with the mix a sender sees: sends, deliveries,
// delays, bounces of every class, complaints, human and machine opens and clicks, rejects,
// rendering failures, the mailbox simulator, opens without a recipient, subscriptions, unknown
// documents, in shuffled (out-of-order) arrival. Shared by the core tests and the benchmarks.
// Its own PRNG (splitmix64) instead of <random>'s distributions, whose output differs between
// standard libraries: the same seed gives the same events in every build.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <sesami/event.hpp>

namespace sesami::testing {

struct rng {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) noexcept { return next() % n; }
  bool chance(unsigned percent) noexcept { return below(100) < percent; }
  template <class T>
  const T& pick(const std::vector<T>& v) noexcept {
    return v[static_cast<std::size_t>(below(v.size()))];
  }
};

struct corpus_options {
  std::size_t messages = 1000;
  std::uint64_t seed = 1;
  std::int64_t start = 1767225600000;  // 2026-01-01T00:00:00Z
  std::int64_t span_ms = 90LL * 86'400'000;
  std::size_t recipients = 5000;  // distinct addresses
};

/// Roughly 5 events per message on average.
inline std::vector<event> random_events(const corpus_options& o) {
  rng r{o.seed};
  const std::vector<std::string> domains = {"example.com",     "gmail.com",
                                            "yahoo.com",       "outlook.com",
                                            "example.org",     "simulator.amazonses.com",
                                            "mail.example.net"};
  std::vector<std::string> addresses;
  for (std::size_t i = 0; i < o.recipients; ++i)
    addresses.push_back("user" + std::to_string(i) + "@" + r.pick(domains));
  const std::vector<std::string> senders = {"news@shop.example", "noreply@shop.example",
                                            "billing@shop.example"};
  const std::vector<std::string> config_sets = {"", "marketing", "transactional"};
  const std::vector<std::string> campaigns = {"spring", "summer", "autumn", "welcome"};
  const std::vector<std::string> subjects = {"", "Your order", "Spring sale", "Welcome!",
                                             "Invoice \"42\""};
  const std::vector<std::string> links = {"https://shop.example/", "https://shop.example/sale",
                                          "https://shop.example/unsubscribe?u=1",
                                          "https://shop.example/p/42"};
  const bounce_class classes[] = {bounce_class::hard, bounce_class::hard, bounce_class::soft,
                                  bounce_class::suppressed, bounce_class::undetermined};

  std::vector<event> out;
  out.reserve(o.messages * 6);
  for (std::size_t m = 0; m < o.messages; ++m) {
    event base;
    base.message_id = "0100018c-" + std::to_string(o.seed) + "-" + std::to_string(m);
    base.sender = r.pick(senders);
    base.subject = r.pick(subjects);
    base.configuration_set = r.pick(config_sets);
    if (r.chance(80)) base.tags.push_back({"campaign", {r.pick(campaigns)}});
    if (r.chance(60)) base.tags.push_back({"env", {r.chance(80) ? "prod" : "test"}});
    if (r.chance(10)) base.tags.push_back({"team", {"a", "b"}});
    base.sent_at =
        o.start + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(o.span_ms)));
    const std::size_t n_rcpt = 1 + static_cast<std::size_t>(r.below(r.chance(20) ? 3 : 1));
    std::vector<std::string> rcpts;
    for (std::size_t k = 0; k < n_rcpt; ++k) rcpts.push_back(r.pick(addresses));
    base.destinations = rcpts;
    auto add = [&](event_type t, const std::string* rcpt, std::int64_t at) -> event& {
      event e = base;
      e.type = t;
      if (rcpt) {
        e.recipient = *rcpt;
        e.destinations.clear();
      }
      e.timestamp = at;
      out.push_back(std::move(e));
      return out.back();
    };
    std::int64_t t = base.sent_at;
    auto later = [&](std::int64_t max_ms) {
      return t += 1 + static_cast<std::int64_t>(r.below(static_cast<std::uint64_t>(max_ms)));
    };
    if (r.chance(2)) {
      for (const auto& a : rcpts)
        add(event_type::reject, &a, t).details = reject_info{"Bad content"};
      continue;
    }
    if (r.chance(1)) {
      for (const auto& a : rcpts)
        add(event_type::rendering_failure, &a, t).details = failure_info{"tpl", "missing var"};
      continue;
    }
    for (const auto& a : rcpts) {
      t = base.sent_at;
      add(event_type::send, &a, t);
      if (r.chance(5)) add(event_type::delivery_delay, &a, later(3'600'000)).details = delay_info{};
      if (r.chance(7)) {
        bounce_info bi;
        bi.cls = classes[r.below(5)];
        bi.type = bi.cls == bounce_class::hard ? "Permanent" : "Transient";
        add(event_type::bounce, &a, later(600'000)).details = bi;
        if (bi.cls != bounce_class::soft || r.chance(50)) continue;
      }
      add(event_type::delivery, &a, later(60'000)).details = delivery_info{};
      const auto opens = r.below(4);
      for (std::uint64_t k = 0; k < opens; ++k) {
        open_info oi;
        oi.machine = r.chance(35);
        if (oi.machine) oi.machine_reason = "apple-mpp";
        add(event_type::open, &a, later(86'400'000)).details = oi;
      }
      const auto clicks = r.below(opens ? 3 : 1);
      for (std::uint64_t k = 0; k < clicks; ++k) {
        click_info ci;
        ci.link = r.pick(links);
        ci.machine = r.chance(20);
        add(event_type::click, &a, later(86'400'000)).details = ci;
      }
      if (r.chance(2))
        add(event_type::complaint, &a, later(5 * 86'400'000LL)).details = complaint_info{};
    }
    if (n_rcpt > 1 && r.chance(30))
      add(event_type::open, nullptr, later(86'400'000)).details = open_info{};
    if (r.chance(1)) add(event_type::subscription, &rcpts[0], later(86'400'000));
    if (r.chance(1)) add(event_type::unknown, nullptr, later(1000)).raw = "{\"eventType\":\"New\"}";
  }
  // About one event in five arrives out of order in production: shuffle locally.
  for (std::size_t i = 0; i + 1 < out.size(); ++i)
    if (r.chance(20))
      std::swap(
          out[i],
          out[i + 1 +
              static_cast<std::size_t>(r.below(std::min<std::size_t>(8, out.size() - i - 1)))]);
  return out;
}

}  // namespace sesami::testing
