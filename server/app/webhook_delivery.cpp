// Outbound webhooks, the delivery half: threads that claim due outbox rows under a lease, sign and
// POST each message, and record the outcome (the attempt, the next retry, the endpoint's health)
// in one transaction per batch. What a message looks like is in webhooks.hpp.
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include <sesami/detail/iso8601.hpp>

#include "base64.hpp"
#include "import.hpp"
#include "webhooks.hpp"

namespace sesami::app {
namespace {
constexpr std::size_t excerpt_bytes = 1024;

// The first 1 KiB of a response, printable ASCII only: it is shown in the dashboard and in JSON.
std::string excerpt(std::string_view body) {
  std::string out(body.substr(0, excerpt_bytes));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
      c = ' ';
    else if (static_cast<unsigned char>(c) >= 0x7f)
      c = '?';
  return out;
}

}  // namespace

std::optional<std::int64_t> webhook_retry_delay_ms(int failures) noexcept {
  // 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, then 12 h five times: the last retry
  // ~3 days after the first attempt; 15 attempts in all.
  constexpr std::int64_t s = 1000, m = 60 * s, h = 60 * m;
  constexpr std::int64_t schedule[] = {5 * s, 30 * s, 2 * m,  10 * m, 30 * m, 1 * h,  2 * h,
                                       4 * h, 8 * h,  12 * h, 12 * h, 12 * h, 12 * h, 12 * h};
  if (failures < 1 || failures > static_cast<int>(std::size(schedule))) return std::nullopt;
  return schedule[failures - 1];
}

std::string webhook_body(std::string_view type, std::int64_t timestamp_ms, std::string_view data) {
  std::string out;
  out.reserve(data.size() + type.size() + 64);
  out += R"({"type":")";
  out += type;  // an event type name or "sesami.*": no character that needs escaping
  out += R"(","timestamp":")";
  out += sesami::detail::format_iso8601(timestamp_ms);
  out += R"(","data":)";
  out += data.empty() ? std::string_view("null") : data;
  out.push_back('}');
  return out;
}

std::string webhook_signature(std::string_view secret, std::string_view id, std::int64_t ts_s,
                              std::string_view body) {
  constexpr std::string_view prefix = "whsec_";
  if (!secret.starts_with(prefix)) return {};
  const std::string_view b64 = secret.substr(prefix.size());
  auto key = base64_decode(b64);
  if (!key) return {};
  const std::string ts = std::to_string(ts_s);
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key->data()),
                              key->size());
  const auto feed = [&](std::string_view v) {
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(v.data()), v.size());
  };
  feed(id), feed("."), feed(ts), feed("."), feed(body);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_memzero(key->data(), key->size());
  return "v1," + base64_encode({reinterpret_cast<const char*>(mac), sizeof mac});
}

std::string new_webhook_secret() {
  unsigned char raw[24];
  randombytes_buf(raw, sizeof raw);
  std::string out = "whsec_" + base64_encode({reinterpret_cast<const char*>(raw), sizeof raw});
  sodium_memzero(raw, sizeof raw);
  return out;
}

void webhooks::start() {
  std::lock_guard lock(mu_);
  if (!threads_.empty()) return;
  stop_ = false;
  for (std::size_t i = 0; i < std::max<std::size_t>(opt_.threads, 1); ++i)
    threads_.emplace_back([this, i] { run(i); });
}

void webhooks::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void webhooks::wake() {
  {
    std::lock_guard lock(mu_);
    ++wakes_;
  }
  cv_.notify_all();
}

void webhooks::run(std::size_t index) {
  const std::string owner = node_ + "-" + std::to_string(index);
  std::mt19937_64 rng(std::random_device{}());
  std::uint64_t seen = 0;
  const std::int64_t budget_ms =
      opt_.lease_ms - opt_.timeout_ms - std::min<std::int64_t>(5000, opt_.lease_ms / 10);
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      seen = wakes_;
    }
    const std::int64_t claimed_at = now_ms();
    auto due = db_.claim_due(owner, claimed_at, opt_.lease_ms, opt_.batch);
    if (!due && opt_.log)
      opt_.log(3, "cannot claim webhook deliveries: " + due.error().message, "");
    if (due && !due->empty()) {
      std::vector<store::delivery_outcome> done;
      done.reserve(due->size());
      for (const auto& d : *due) {
        // Stop before the lease could expire under a slow endpoint: the rest is claimed again
        // once the lease ends (the first one is always sent: the lease covers one timeout).
        if (!done.empty() && now_ms() - claimed_at > budget_ms) break;
        {
          std::lock_guard lock(mu_);
          if (stop_) break;
        }
        done.push_back(deliver(d, rng));
      }
      const std::int64_t now = now_ms();
      auto r = db_.record(owner, done, now, now - opt_.disable_after_ms,
                          "failing since more than " +
                              std::to_string(opt_.disable_after_ms / (24 * 3600 * 1000)) +
                              " days: disabled by SESami; fix the endpoint, then enable it");
      if (!r && opt_.log) opt_.log(3, "cannot record webhook deliveries: " + r.error().message, "");
      if (r)
        for (const auto& id : *r) {
          if (opt_.log) opt_.log(4, "webhook endpoint disabled: failing for days", id);
          if (!opt_.on_disabled) continue;
          for (const auto& d : *due)
            if (d.d.endpoint_id == id) {
              opt_.on_disabled(d.d.workspace, id, d.url);
              break;
            }
        }
      if (r && due->size() == opt_.batch) continue;  // more may be due: no sleep
    }
    // Idle: look again soon (another node may have queued work), or at once when woken.
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(due ? 200 : 1000),
                 [&] { return stop_ || wakes_ != seen; });
  }
}

store::delivery_outcome webhooks::deliver(const store::due_delivery& d, std::mt19937_64& rng) {
  store::delivery_outcome o;
  o.id = d.d.id;
  o.endpoint_id = d.d.endpoint_id;
  o.attempt.at = now_ms();
  const int failures = d.d.attempts + 1;
  auto fail = [&](std::string error) {
    o.attempt.error = std::move(error);
    auto delay = webhook_retry_delay_ms(failures);
    if (!delay) {
      o.give_up = true;
      return o;
    }
    std::uniform_real_distribution<double> jitter(0.8, 1.2);  // spreads a burst's retries
    o.attempt.next_attempt_at =
        o.attempt.at +
        std::max<std::int64_t>(1, static_cast<std::int64_t>(static_cast<double>(*delay) *
                                                            opt_.backoff_scale * jitter(rng)));
    return o;
  };
  if (d.event_missing) {  // deleted by retention before it could be sent: nothing to send
    o.give_up = true;
    o.attempt.error = "the event is no longer stored (retention)";
    return o;
  }
  auto secret = open_secret(d.d.endpoint_id, d.secret);
  if (!secret) return fail("the endpoint's secret does not open with this server key");
  const std::string type = d.d.event_id.empty() ? d.d.type : "email." + d.d.type;
  const std::string body = webhook_body(type, d.timestamp, d.data);
  const std::int64_t ts = o.attempt.at / 1000;
  std::string signature = webhook_signature(*secret, d.d.webhook_id, ts, body);
  sodium_memzero(secret->data(), secret->size());
  if (d.previous_expires_at > o.attempt.at)
    if (auto old = open_secret(d.d.endpoint_id, d.previous_secret)) {
      signature += " " + webhook_signature(*old, d.d.webhook_id, ts, body);
      sodium_memzero(old->data(), old->size());
    }

  aws::http_request req;
  req.method = "POST";
  req.url = d.url;
  req.body = body;
  req.timeout_ms = opt_.timeout_ms;
  req.connect_timeout_ms = std::min<long>(opt_.timeout_ms, 10'000);
  req.policy = opt_.policy;  // checked again: the name may resolve elsewhere now
  req.headers = {{"Content-Type", "application/json"},
                 {"webhook-id", d.d.webhook_id},
                 {"webhook-timestamp", std::to_string(ts)},
                 {"webhook-signature", signature}};
  const auto started = std::chrono::steady_clock::now();
  auto res = http_.perform(req);
  o.attempt.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  if (!res)
    return fail(res.error().timeout
                    ? "timed out after " + std::to_string(opt_.timeout_ms / 1000) + " s"
                    : res.error().message);
  o.attempt.status = static_cast<int>(res->status);
  o.attempt.response = excerpt(res->body);
  if (res->status >= 200 && res->status < 300) {
    o.delivered = true;
    return o;
  }
  return fail("HTTP " + std::to_string(res->status));
}

}  // namespace sesami::app
