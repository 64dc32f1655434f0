// The reputation guard: rates from rollups → decide() → the state in the store → alerts and the
// mailer's gate (reputation.hpp tells the whole story).
#include "reputation.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sesami/detail/iso8601.hpp>
#include <sesami/rollup.hpp>

#include "import.hpp"

namespace sesami::app {
namespace json = boost::json;

namespace {
constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::string_view warning_key = "reputation_warning";
constexpr std::string_view paused_key = "reputation_paused";

// "11.00 %" from parts per million.
std::string percent(std::uint64_t ppm) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %%", static_cast<double>(ppm) / 10'000.0);
  return buf;
}

std::uint64_t ppm_of(const sesami::rate& r) { return r.ppm().value_or(0); }

struct crossing {
  std::size_t window = 0;
  bool bounce = true;
  sesami::rate_level level = sesami::rate_level::ok;
  std::uint64_t ppm = 0;
};

// Every (window, metric) of judged windows at the warning level or above, worst first.
std::vector<crossing> crossings(std::span<const window_reading> rs,
                                const store::reputation_settings& s) {
  std::vector<crossing> out;
  for (std::size_t i = 0; i < rs.size(); ++i) {
    if (!rs[i].judged) continue;
    const auto b = rs[i].bounce().level(s.bounce_warning_ppm, s.bounce_pause_ppm);
    const auto c = rs[i].complaint().level(s.complaint_warning_ppm, s.complaint_pause_ppm);
    if (b != sesami::rate_level::ok) out.push_back({i, true, b, ppm_of(rs[i].bounce())});
    if (c != sesami::rate_level::ok) out.push_back({i, false, c, ppm_of(rs[i].complaint())});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const crossing& a, const crossing& b) { return a.level > b.level; });
  return out;
}

std::string describe(const crossing& c, std::span<const window_reading> rs,
                     const store::reputation_settings& s) {
  const auto& w = rs[c.window];
  const bool review = c.level == sesami::rate_level::review;
  const std::uint64_t level = c.bounce ? (review ? s.bounce_pause_ppm : s.bounce_warning_ppm)
                                       : (review ? s.complaint_pause_ppm : s.complaint_warning_ppm);
  return std::string(c.bounce ? "bounce" : "complaint") + " rate " + percent(c.ppm) +
         " over the last " + w.name + " (" + std::to_string(c.bounce ? w.bounces : w.complaints) +
         " of " + std::to_string(w.sends) + " sends) reached the " +
         (review ? "pause" : "warning") + " level " + percent(level);
}

// The evidence's ppm for (window, metric); nullopt when none was recorded.
std::optional<std::uint64_t> evidence_ppm(const std::string& evidence, std::string_view window,
                                          bool bounce) {
  boost::system::error_code ec;
  auto v = json::parse(evidence, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto* w = v.get_object().if_contains(window);
  if (!w || !w->is_object()) return std::nullopt;
  const auto* n = w->get_object().if_contains(bounce ? "bounce" : "complaint");
  if (!n || !n->is_int64()) return std::nullopt;
  return static_cast<std::uint64_t>(n->get_int64());
}

json::value time_or_null(std::int64_t ms) {
  if (ms <= 0) return nullptr;
  return json::value(sesami::detail::format_iso8601(ms));
}

json::value rate_json(const sesami::rate& r) {
  if (auto v = r.value()) return *v;
  return nullptr;
}

std::string label_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}
}  // namespace

decision decide(std::span<const window_reading> rs, const store::reputation_settings& s,
                const store::reputation_state& st, std::int64_t now) {
  decision d;
  const auto cs = crossings(rs, s);
  // The window the answer is about: the worst crossing's, else the shortest judged one.
  d.window = 0;
  if (!cs.empty()) {
    d.window = cs.front().window;
  } else {
    for (std::size_t i = 0; i < rs.size(); ++i)
      if (rs[i].judged) {
        d.window = i;
        break;
      }
  }
  if (st.paused) {
    d.status = "paused";
    d.reason = st.reason;
    return d;
  }
  for (const auto& c : cs) {
    if (c.level != sesami::rate_level::review) continue;
    const auto& w = rs[c.window];
    // New evidence: never resumed, worse than what an admin resumed on, or a whole window later.
    const auto seen = st.resumed_at > 0 ? evidence_ppm(st.evidence, w.name, c.bounce)
                                        : std::optional<std::uint64_t>{};
    const bool fresh =
        st.resumed_at == 0 || !seen || c.ppm > *seen || now - st.resumed_at >= w.hours * hour_ms;
    if (!fresh) continue;
    d.status = "paused";
    d.window = c.window;
    d.pause_now = true;
    d.reason = describe(c, rs, s) + "; bulk sending is paused";
    return d;
  }
  if (!cs.empty()) {
    d.status = "warning";
    d.reason = describe(cs.front(), rs, s);
    if (cs.front().level == sesami::rate_level::review)
      d.reason += "; sending was resumed on this evidence (" + st.resumed_by + ", " +
                  sesami::detail::format_iso8601(st.resumed_at) +
                  "): the guard pauses again if the rate worsens or a new window crosses the level";
    return d;
  }
  d.status = "ok";
  bool any = false;
  for (const auto& w : rs) any = any || w.judged;
  if (!any)
    d.reason =
        "fewer than " + std::to_string(s.min_sends) + " sends in every window: not judged yet";
  return d;
}

std::string evidence_of(std::span<const window_reading> rs) {
  json::object o;
  for (const auto& w : rs)
    o[w.name] = {
        {"bounce", ppm_of(w.bounce())}, {"complaint", ppm_of(w.complaint())}, {"sends", w.sends}};
  return json::serialize(o);
}

reputation_guard::reputation_guard(store::store& s, store::guard_store& g, alerts& a,
                                   guard_options opt)
    : store_(s), db_(g), alerts_(a), opt_(opt) {}

reputation_guard::~reputation_guard() { stop(); }

outcome<std::vector<window_reading>> reputation_guard::read(std::string_view ws,
                                                            const store::reputation_settings& s,
                                                            std::int64_t now) {
  // Hourly rollups, the current hour included: 24 and 168 hours.
  const std::int64_t until = sesami::rollup_hour(now) + hour_ms;
  std::vector<window_reading> out{{"24h", 24}, {"7d", 168}};
  auto rows = store_.rollups(ws, until - 168 * hour_ms, until);
  if (!rows) return from_store(rows.error());
  for (auto& w : out) {
    const std::int64_t since = until - w.hours * hour_ms;
    std::vector<sesami::rollup_row> in;
    for (const auto& r : *rows)
      if (r.hour >= since) in.push_back(r);
    auto agg = sesami::aggregate_rollups({in, {}, {}, {}});
    if (!agg) return failure{"internal", agg.error().message};
    // SESami's own alert mails are not the workspace's sending.
    auto own = db_.alert_mails_since(ws, since);
    if (!own) return from_store(own.error());
    const auto mine = static_cast<std::uint64_t>(std::max<std::int64_t>(*own, 0));
    w.sends = agg->sent > mine ? agg->sent - mine : 0;
    w.bounces = std::min(agg->hard_bounced, w.sends);
    w.complaints = std::min(agg->complained, w.sends);
    w.judged = static_cast<std::int64_t>(w.sends) >= s.min_sends;
  }
  return out;
}

outcome<reputation_view> reputation_guard::evaluate(std::string_view ws) {
  auto s = db_.settings(ws);
  if (!s) return from_store(s.error());
  for (int attempt = 0;; ++attempt) {
    const std::int64_t now = now_ms();
    auto st = db_.state(ws);
    if (!st) return from_store(st.error());
    auto rs = read(ws, *s, now);
    if (!rs) return rs.error();
    const decision d = decide(*rs, *s, *st, now);
    store::reputation_state next = *st;
    if (d.pause_now) {
      next.paused = true;
      next.paused_at = now;
      next.reason = d.reason;
      next.window = (*rs)[d.window].name;
    }
    if (d.status == "ok") next.warning_since = 0;
    if (d.status != "ok" && next.warning_since == 0) next.warning_since = now;
    const bool changed = next.paused != st->paused || next.warning_since != st->warning_since;
    if (changed) {
      auto saved = db_.save_state(ws, next);
      if (!saved) return from_store(saved.error());
      if (!*saved) {
        if (attempt < 3) continue;  // another node decided meanwhile: decide again on its state
        return failure{"store.unavailable", "the reputation state keeps changing; retry"};
      }
      next.version = st->version + 1;
    }
    reputation_view v;
    v.status = d.status;
    v.windows = std::move(*rs);
    v.deciding = d.window;
    v.reason = d.reason;
    v.since = d.status == "paused" ? next.paused_at : next.warning_since;
    v.settings = *s;
    v.state = next;
    raise_for(ws, v, d.pause_now, st->warning_since != 0 && d.status == "ok");
    return v;
  }
}

void reputation_guard::raise_for(std::string_view ws, const reputation_view& v, bool paused_now,
                                 bool back_to_ok) {
  const auto& w = v.windows[v.deciding];
  std::string numbers = "Over the last " + w.name + ": " + std::to_string(w.sends) + " sends, " +
                        std::to_string(w.bounces) + " hard bounces, " +
                        std::to_string(w.complaints) + " complaints.";
  if (paused_now) {
    (void)alerts_.raise(
        ws, {"reputation_paused", "Bulk sending paused: " + v.reason, numbers,
             "Find the cause (a stale or bought list, a broken signup form, a campaign people did "
             "not expect), clean the list, then resume with POST /reputation/resume or the "
             "Resume button on the dashboard. SES reviews accounts at its own levels (bounce "
             "10 %, complaint 0.5 %).",
             std::string(paused_key), v.since});
  }
  if (v.status == "warning") {
    (void)alerts_.raise(ws, {"reputation_warning", "Reputation warning: " + v.reason, numbers,
                             "Look at the recent bounces and complaints (GET /events?type=bounce, "
                             "the Overview), stop mailing addresses that bounce, and slow down "
                             "the campaigns that cause complaints before the rate reaches the "
                             "pause level.",
                             std::string(warning_key), v.since});
  } else if (back_to_ok) {  // only on the change: an ok workspace costs no write
    (void)alerts_.resolve(ws, warning_key);
  }
}

outcome<reputation_view> reputation_guard::resume(std::string_view ws, std::string_view by) {
  auto s = db_.settings(ws);
  if (!s) return from_store(s.error());
  for (int attempt = 0;; ++attempt) {
    auto st = db_.state(ws);
    if (!st) return from_store(st.error());
    if (!st->paused) break;
    const std::int64_t now = now_ms();
    auto rs = read(ws, *s, now);
    if (!rs) return rs.error();
    store::reputation_state next = *st;
    next.paused = false;
    next.resumed_at = now;
    next.resumed_by = by;
    next.evidence = evidence_of(*rs);
    auto saved = db_.save_state(ws, next);
    if (!saved) return from_store(saved.error());
    if (*saved) break;
    if (attempt >= 3) return failure{"store.unavailable", "the reputation state keeps changing"};
  }
  if (auto r = db_.release_held_bulk(ws); !r) return from_store(r.error());
  (void)alerts_.resolve(ws, paused_key);
  return evaluate(ws);
}

outcome<store::reputation_settings> reputation_guard::settings(std::string_view ws) {
  auto s = db_.settings(ws);
  if (!s) return from_store(s.error());
  return *s;
}

outcome<store::reputation_settings> reputation_guard::update_settings(std::string_view ws,
                                                                      const json::object& body) {
  auto s = db_.settings(ws);
  if (!s) return from_store(s.error());
  if (auto r = apply_settings(*s, body); !r) return r.error();
  if (auto r = db_.put_settings(ws, *s); !r) return from_store(r.error());
  return *s;
}

std::optional<failure> reputation_guard::gate(std::string_view ws, bool bulk) {
  std::optional<store::reputation_state> st;
  if (bulk) {
    auto v = evaluate(ws);
    if (!v) return std::nullopt;  // the send path meets the same store trouble and says so
    st = v->state;
  } else {
    auto s = db_.settings(ws);
    if (!s || !s->pause_single) return std::nullopt;
    auto cur = db_.state(ws);
    if (!cur) return std::nullopt;
    st = *cur;
  }
  if (!st->paused) return std::nullopt;
  return failure{"mail.paused",
                 "sending is paused by SESami's reputation guard since " +
                     sesami::detail::format_iso8601(st->paused_at) + ": " + st->reason +
                     ". An admin resumes with POST /reputation/resume (GET /reputation explains)"};
}

void reputation_guard::soft_bounces(std::string_view ws, std::span<const sesami::event> events) {
  std::optional<store::reputation_settings> s;
  std::vector<store::suppression_entry> add;
  for (const auto& e : events) {
    const auto* b = e.get<bounce_info>();
    if (!b || b->cls != bounce_class::soft || !e.recipient || e.recipient->empty()) continue;
    if (!s) {
      auto r = db_.settings(ws);
      if (!r) return;
      s = *r;
    }
    const std::int64_t since = e.timestamp - s->soft_bounce_days * 24 * hour_ms;
    auto n = db_.add_soft_bounce(ws, *e.recipient, e.message_id, e.timestamp, since);
    if (!n || *n < s->soft_bounce_limit) continue;
    store::suppression_entry x;
    x.address = *e.recipient;
    x.reason = "soft_bounce_repeated";
    x.source = store::suppression_source::event;
    x.created_at = now_ms();
    add.push_back(std::move(x));
  }
  if (!add.empty()) (void)store_.add_suppressions(ws, add);
}

void reputation_guard::after_ingest(std::string_view ws, std::span<const sesami::event> events) {
  soft_bounces(ws, events);
  bool matters = false;
  for (const auto& e : events)
    matters = matters || e.type == event_type::bounce || e.type == event_type::complaint;
  if (!matters) return;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    auto it = last_eval_.find(ws);
    if (it != last_eval_.end() &&
        now - it->second < std::chrono::milliseconds(opt_.min_eval_interval_ms)) {
      dirty_.emplace(ws);  // the thread looks again within a second
      return;
    }
    last_eval_[std::string(ws)] = now;
  }
  (void)evaluate(ws);
}

void reputation_guard::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    for (;;) {
      std::set<std::string, std::less<>> due;
      {
        std::unique_lock wait(mu_);
        if (cv_.wait_for(wait, std::chrono::milliseconds(opt_.min_eval_interval_ms),
                         [&] { return stop_; }))
          return;
        due.swap(dirty_);
        for (const auto& ws : due) last_eval_[ws] = std::chrono::steady_clock::now();
      }
      for (const auto& ws : due) (void)evaluate(ws);
    }
  });
}

void reputation_guard::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void reputation_guard::render_metrics(std::string& out) {
  auto wss = store_.list_workspaces();
  if (!wss) return;
  std::string bounce, complaint, paused;
  for (const auto& w : *wss) {
    auto v = evaluate(w.id);
    if (!v) continue;
    const std::string ws = label_escape(w.id);
    for (const auto& r : v->windows) {
      const std::string labels = "{workspace=\"" + ws + "\",window=\"" + r.name + "\"} ";
      bounce +=
          "sesami_bounce_rate" + labels + std::to_string(r.bounce().value().value_or(0)) + "\n";
      complaint += "sesami_complaint_rate" + labels +
                   std::to_string(r.complaint().value().value_or(0)) + "\n";
    }
    paused += "sesami_reputation_paused{workspace=\"" + ws + "\"} " +
              (v->state.paused ? "1" : "0") + "\n";
  }
  out +=
      "# HELP sesami_bounce_rate Hard bounces per send over the window, the mailbox simulator "
      "left out.\n# TYPE sesami_bounce_rate gauge\n" +
      bounce +
      "# HELP sesami_complaint_rate Complaints per send over the window, the mailbox simulator "
      "left out.\n# TYPE sesami_complaint_rate gauge\n" +
      complaint +
      "# HELP sesami_reputation_paused 1 while the reputation guard pauses the workspace's bulk "
      "sending.\n# TYPE sesami_reputation_paused gauge\n" +
      paused;
}

// ---- JSON --------------------------------------------------------------------------------------
namespace {
// A fraction in (0, max] as ppm, or the error.
outcome<std::uint64_t> level_field(const json::value& v, std::string_view name,
                                   std::uint64_t max_ppm) {
  double x = -1;
  if (v.is_double()) x = v.get_double();
  if (v.is_int64()) x = static_cast<double>(v.get_int64());
  if (v.is_uint64()) x = static_cast<double>(v.get_uint64());
  const auto ppm = static_cast<std::uint64_t>(x * 1'000'000 + 0.5);
  if (!(x > 0) || ppm == 0 || ppm > max_ppm)
    return failure{"validation." + std::string(name),
                   std::string(name) + ": a fraction above 0 and at most SES's level " +
                       percent(max_ppm) + " (e.g. 0.04 for 4 %)"};
  return ppm;
}

outcome<std::int64_t> int_field(const json::value& v, std::string_view name, std::int64_t lo,
                                std::int64_t hi) {
  if (!v.is_int64() || v.get_int64() < lo || v.get_int64() > hi)
    return failure{
        "validation." + std::string(name),
        std::string(name) + ": an integer " + std::to_string(lo) + "-" + std::to_string(hi)};
  return v.get_int64();
}
}  // namespace

outcome<void> apply_settings(store::reputation_settings& s, const json::object& body) {
  for (const auto& [k, v] : body) {
    if (k == "bounceWarning" || k == "bouncePause") {
      auto p = level_field(v, k, sesami::bounce_review_ppm);
      if (!p) return p.error();
      (k == "bounceWarning" ? s.bounce_warning_ppm : s.bounce_pause_ppm) = *p;
    } else if (k == "complaintWarning" || k == "complaintPause") {
      auto p = level_field(v, k, sesami::complaint_review_ppm);
      if (!p) return p.error();
      (k == "complaintWarning" ? s.complaint_warning_ppm : s.complaint_pause_ppm) = *p;
    } else if (k == "minSends") {
      auto n = int_field(v, k, 1, 1'000'000);
      if (!n) return n.error();
      s.min_sends = *n;
    } else if (k == "softBounceLimit") {
      auto n = int_field(v, k, 2, 100);
      if (!n) return n.error();
      s.soft_bounce_limit = *n;
    } else if (k == "softBounceDays") {
      auto n = int_field(v, k, 1, 90);
      if (!n) return n.error();
      s.soft_bounce_days = *n;
    } else if (k == "pauseSingleSends") {
      if (!v.is_bool())
        return failure{"validation.pauseSingleSends", "pauseSingleSends: a boolean"};
      s.pause_single = v.get_bool();
    } else if (k == "alertFrom") {
      if (!v.is_string() || v.get_string().size() > 254 ||
          (!v.get_string().empty() && !valid_email(v.get_string())))
        return failure{"validation.alertFrom",
                       "alertFrom: an email address (a verified SES identity), or \"\" for the "
                       "default"};
      s.alert_from = v.get_string();
    } else {
      return failure{"validation.field", "unknown field '" + std::string(k) + "'"};
    }
  }
  if (s.bounce_warning_ppm > s.bounce_pause_ppm)
    return failure{"validation.bounceWarning", "bounceWarning: at most bouncePause"};
  if (s.complaint_warning_ppm > s.complaint_pause_ppm)
    return failure{"validation.complaintWarning", "complaintWarning: at most complaintPause"};
  return {};
}

json::object settings_json(const store::reputation_settings& s) {
  const auto f = [](std::uint64_t ppm) { return static_cast<double>(ppm) / 1'000'000.0; };
  return {{"bounceWarning", f(s.bounce_warning_ppm)},
          {"bouncePause", f(s.bounce_pause_ppm)},
          {"complaintWarning", f(s.complaint_warning_ppm)},
          {"complaintPause", f(s.complaint_pause_ppm)},
          {"minSends", s.min_sends},
          {"pauseSingleSends", s.pause_single},
          {"softBounceLimit", s.soft_bounce_limit},
          {"softBounceDays", s.soft_bounce_days},
          {"alertFrom", s.alert_from}};
}

json::object view_json(const reputation_view& v) {
  json::array windows;
  for (const auto& w : v.windows)
    windows.push_back(json::object{{"window", w.name},
                                   {"sends", w.sends},
                                   {"bounces", w.bounces},
                                   {"complaints", w.complaints},
                                   {"bounceRate", rate_json(w.bounce())},
                                   {"complaintRate", rate_json(w.complaint())},
                                   {"judged", w.judged}});
  const auto& d = v.windows[v.deciding];
  return {{"status", v.status},
          {"bounceRate", rate_json(d.bounce())},
          {"complaintRate", rate_json(d.complaint())},
          {"sends", d.sends},
          {"window", d.name},
          {"since", time_or_null(v.since)},
          {"reason", v.reason.empty() ? json::value(nullptr) : json::value(v.reason)},
          {"windows", std::move(windows)},
          {"levels", settings_json(v.settings)},
          {"pausedAt", time_or_null(v.state.paused ? v.state.paused_at : 0)},
          {"resumedAt", time_or_null(v.state.resumed_at)},
          {"resumedBy",
           v.state.resumed_by.empty() ? json::value(nullptr) : json::value(v.state.resumed_by)}};
}

}  // namespace sesami::app
