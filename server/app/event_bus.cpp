#include "event_bus.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace sesami::app {
namespace {

constexpr const char* drop_names[] = {"not_an_ses_event", "unregistered_account",
                                      "other_configuration_set"};

bool account_id(std::string_view a) noexcept {
  if (a.size() != 12) return false;
  for (char c : a)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

event_bus_router::event_bus_router(poller_log log)
    : log_(std::move(log)), routes_(std::make_shared<const bus_routes>()) {}

void event_bus_router::replace(bus_routes routes) {
  auto next = std::make_shared<const bus_routes>(std::move(routes));
  std::lock_guard lock(mu_);
  routes_ = std::move(next);
}

std::uint64_t event_bus_router::dropped(drop why) const noexcept {
  return dropped_[static_cast<int>(why)].load();
}

void event_bus_router::dropped_line(drop why, std::string_view account, std::string_view event_id) {
  dropped_[static_cast<int>(why)].fetch_add(1, std::memory_order_relaxed);
  if (!log_) return;
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t count = 0;
  {
    std::lock_guard lock(mu_);
    auto& q = quiet_[std::string(drop_names[static_cast<int>(why)]) + "|" + std::string(account)];
    ++q.since;
    if (q.last != std::chrono::steady_clock::time_point{} && now - q.last < std::chrono::minutes(1))
      return;
    count = q.since;
    q.since = 0;
    q.last = now;
  }
  log_(3, "event bus: event dropped, stored in no workspace",
       {{"reason", drop_names[static_cast<int>(why)]},
        {"account", account},
        {"eventId", event_id},
        {"droppedSinceLastLine", count}});
}

std::vector<std::string> event_bus_router::route(std::string_view body,
                                                 const std::vector<sesami::event>& events) {
  boost::system::error_code ec;
  const auto doc = boost::json::parse(body, ec);
  const auto* o = ec ? nullptr : doc.if_object();
  auto field = [&](std::string_view k) -> std::string_view {
    if (!o) return {};
    if (const auto* v = o->if_contains(k))
      if (const auto* s = v->if_string()) return *s;
    return {};
  };
  const std::string_view account = field("account"), id = field("id");
  // Only SES's own events: for an aws.* source EventBridge itself fills in `account`.
  if (field("source") != "aws.ses" || !account_id(account) || events.empty()) {
    dropped_line(drop::not_an_ses_event, account_id(account) ? account : "", id);
    return {};
  }
  std::shared_ptr<const bus_routes> routes;
  {
    std::lock_guard lock(mu_);
    routes = routes_;
  }
  const auto it = routes->find(account);
  if (it == routes->end() || it->second.empty()) {
    dropped_line(drop::unregistered_account, account, id);
    return {};
  }
  // One message is one SES event: every recipient's event shares its mail's configuration set.
  const std::string& set = events.front().configuration_set;
  std::vector<std::string> to;
  for (const auto& m : it->second)
    if (m.configuration_set.empty() || m.configuration_set == set) to.push_back(m.workspace);
  if (to.empty()) {
    dropped_line(drop::other_configuration_set, account, id);
    return {};
  }
  routed_.fetch_add(1, std::memory_order_relaxed);
  return to;
}

void event_bus_router::render_metrics(std::string& out) const {
  out +=
      "# HELP sesami_event_bus_routed_total Events from SESami's event bus stored in at least one "
      "workspace\n# TYPE sesami_event_bus_routed_total counter\nsesami_event_bus_routed_total " +
      std::to_string(routed_.load()) +
      "\n# HELP sesami_event_bus_dropped_total Events from SESami's event bus stored in no "
      "workspace, by reason\n# TYPE sesami_event_bus_dropped_total counter\n";
  for (int i = 0; i < 3; ++i)
    out += std::string("sesami_event_bus_dropped_total{reason=\"") + drop_names[i] + "\"} " +
           std::to_string(dropped_[i].load()) + "\n";
}

}  // namespace sesami::app
