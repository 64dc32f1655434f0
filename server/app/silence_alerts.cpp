#include "silence_alerts.hpp"

#include <chrono>
#include <set>

#include <sesami/detail/iso8601.hpp>

#include "../store/store.hpp"

namespace sesami::app {

namespace {
constexpr std::string_view key_prefix = "silence:";

std::string iso_or_unknown(std::int64_t ms) {
  return ms > 0 ? sesami::detail::format_iso8601(ms) : std::string("an unknown time");
}
}  // namespace

std::string silence_alert_key(const silence_finding& f) {
  return std::string(key_prefix) + f.kind + ":" + f.source;
}

silence_alerts::silence_alerts(store::store& st, pipeline_health& health, alerts& a,
                               aws_connection_service* aws, std::int64_t every_ms)
    : st_(st), health_(health), alerts_(a), aws_(aws), every_ms_(every_ms) {}

silence_alerts::~silence_alerts() { stop(); }

void silence_alerts::check_workspace(std::string_view ws, std::int64_t now) {
  delivery_path path;
  if (aws_)
    if (auto c = aws_->get(ws); c && c->connected())
      path = {c->mode.empty() ? "sqs" : c->mode, c->queue_url, c->configuration_set};
  auto findings = detect_silence(health_.store(), ws, now, path);
  if (!findings) return;  // the store is away: try again next round, resolve nothing

  std::set<std::string, std::less<>> current;
  for (const auto& f : *findings) {
    auto key = silence_alert_key(f);
    (void)raise_alert(
        alerts_, ws,
        {f.kind, f.message, "Since " + iso_or_unknown(f.since) + ".", f.check, key, f.since});
    current.insert(std::move(key));
  }
  // Open silence alerts whose finding is gone: events arrive again.
  auto open = alerts_.list(ws, {200, false});
  if (!open) return;
  for (const auto& a : open->alerts)
    if (a.resolved_at == 0 && a.dedupe_key.rfind(key_prefix, 0) == 0 &&
        !current.count(a.dedupe_key))
      (void)alerts_.resolve(ws, a.dedupe_key);
}

void silence_alerts::check(std::int64_t now) {
  (void)health_.flush();  // this node's latest counts first
  auto wss = st_.list_workspaces();
  if (!wss) return;
  for (const auto& w : *wss) check_workspace(w.id, now);
}

void silence_alerts::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    for (;;) {
      {
        std::unique_lock wait(mu_);
        if (cv_.wait_for(wait, std::chrono::milliseconds(every_ms_), [&] { return stop_; })) return;
      }
      check(std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count());
    }
  });
}

void silence_alerts::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sesami::app
