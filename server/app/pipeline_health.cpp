// Pipeline health: the accumulator, the sources as the API shows them, silence findings.
#include "pipeline_health.hpp"

#include <sodium.h>

#include <algorithm>

namespace sesami::app {
namespace {

constexpr std::int64_t history_hours = 8 * 24;  // hour buckets kept (the default's week + a day)
constexpr std::size_t error_chars = 500;        // a last error longer than this is cut

std::string ago(std::int64_t ms) {
  const std::int64_t min = std::max<std::int64_t>(ms / 60'000, 0);
  if (min < 60) return std::to_string(min) + " min";
  if (min < 48 * 60)
    return std::to_string(min / 60) + " h" +
           (min % 60 ? " " + std::to_string(min % 60) + " min" : "");
  return std::to_string(min / (24 * 60)) + " days";
}

}  // namespace

std::string source_id(std::string_view kind, std::string_view name) {
  std::string in(kind);
  in += '\n';
  in += name;
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(in.data()), in.size());
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "src_";
  for (int i = 0; i < 8; ++i) out += digits[h[i] >> 4], out += digits[h[i] & 15];
  return out;
}

std::string describe_source(std::string_view kind, std::string_view name) {
  const std::string n(name.substr(0, 256));
  if (kind == "sns") return n.empty() ? "the SNS endpoint" : "SNS topic " + n;
  if (kind == "eventbridge")
    return n.empty() ? "the EventBridge endpoint" : "EventBridge (AWS account " + n + ")";
  if (kind == "sqs") return "SQS queue " + n;
  if (kind == "event-bus") return "SESami's event bus";
  if (kind == "simulator") return "the mailbox simulator";
  if (kind == "import") return "file imports";
  return std::string(kind) + (n.empty() ? "" : " " + n);
}

// ---- the accumulator ---------------------------------------------------------------------------
pipeline_health::pipeline_health(store::pipeline_health_store& s, pipeline_health_options opt)
    : store_(s), opt_(opt) {}

pipeline_health::~pipeline_health() { stop(); }

store::source_delta& pipeline_health::entry(std::string_view ws, std::string_view kind,
                                            std::string_view name) {
  auto id = source_id(kind, name);
  auto key = std::pair{std::string(ws), id};
  if (auto it = pending_.find(key); it != pending_.end()) return it->second;
  if (pending_.size() >= opt_.max_pending) return overflow_;
  auto& d = pending_[std::move(key)];
  d.workspace = std::string(ws), d.id = std::move(id), d.kind = std::string(kind);
  d.name = std::string(name);
  return d;
}

void pipeline_health::note_events(std::string_view ws, std::string_view kind, std::string_view name,
                                  std::size_t events, std::int64_t now) {
  std::lock_guard lock(mu_);
  auto& d = entry(ws, kind, name);
  d.first_event_at = d.first_event_at ? std::min(d.first_event_at, now) : now;
  d.last_event_at = std::max(d.last_event_at, now);
  const std::int64_t hour = now / hour_ms;
  if (!d.hours.empty() && d.hours.back().first == hour)
    d.hours.back().second += static_cast<std::int64_t>(events);
  else
    d.hours.emplace_back(hour, static_cast<std::int64_t>(events));
}

void pipeline_health::note_error(std::string_view ws, std::string_view kind, std::string_view name,
                                 std::string_view message, std::int64_t now) {
  std::lock_guard lock(mu_);
  auto& d = entry(ws, kind, name);
  if (now < d.last_error_at) return;
  d.last_error_at = now;
  d.last_error = std::string(message.substr(0, error_chars));
}

store::status pipeline_health::flush() {
  std::lock_guard one(flush_mu_);
  std::map<std::pair<std::string, std::string>, store::source_delta> taken;
  {
    std::lock_guard lock(mu_);
    taken.swap(pending_);
  }
  if (taken.empty()) return {};
  std::vector<store::source_delta> deltas;
  deltas.reserve(taken.size());
  for (auto& [k, d] : taken) deltas.push_back(std::move(d));
  const std::int64_t now_hour = std::chrono::duration_cast<std::chrono::hours>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  auto r = store_.merge(deltas, now_hour - history_hours);
  if (r) return r;
  // Not merged: put the counts back (merged with anything noted meanwhile) for the next flush.
  std::lock_guard lock(mu_);
  for (auto& d : deltas) {
    auto key = std::pair{d.workspace, d.id};
    auto it = pending_.find(key);
    if (it == pending_.end()) {
      pending_.emplace(std::move(key), std::move(d));
      continue;
    }
    auto& p = it->second;
    if (d.first_event_at)
      p.first_event_at =
          p.first_event_at ? std::min(p.first_event_at, d.first_event_at) : d.first_event_at;
    p.last_event_at = std::max(p.last_event_at, d.last_event_at);
    p.hours.insert(p.hours.begin(), d.hours.begin(), d.hours.end());
    if (d.last_error_at > p.last_error_at)
      p.last_error_at = d.last_error_at, p.last_error = std::move(d.last_error);
  }
  return r;
}

void pipeline_health::start() {
  std::lock_guard g(loop_mu_);
  if (loop_.joinable()) return;
  stopping_ = false;
  loop_ = std::thread([this] {
    for (;;) {
      {
        std::unique_lock lock(loop_mu_);
        if (loop_cv_.wait_for(lock, opt_.flush_every, [this] { return stopping_; })) return;
      }
      (void)flush();  // a busy store keeps the counts for the next round
    }
  });
}

void pipeline_health::stop() {
  {
    std::lock_guard g(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  (void)flush();
}

// ---- reading -----------------------------------------------------------------------------------
std::int64_t default_silence_window(const store::source_row& r) {
  if (r.kind == "import" || r.kind == "simulator" || r.last_event_at <= 0) return 0;
  // Hours with events over the week up to the last event: a source active every hour has a gap of
  // an hour, a daily newsletter one of a day. Counting hours, not events, keeps a burst from
  // looking like a steady stream.
  const std::int64_t last = r.last_event_at / hour_ms;
  const std::int64_t first = std::max(r.first_event_at / hour_ms, last - 7 * 24 + 1);
  std::int64_t active = 0, first_active = 0, last_active = 0;
  for (const auto& [hour, n] : r.hours) {
    if (hour < first || hour > last || n <= 0) continue;
    if (!active++) first_active = hour;
    last_active = hour;
  }
  // The mean interval between active hours; with one active hour (or none kept), the time the
  // source has been known.
  const std::int64_t gap_ms = active > 1 ? (last_active - first_active) * hour_ms / (active - 1)
                                         : (last - first + 1) * hour_ms;
  return std::clamp(2 * gap_ms, default_window_floor_ms, default_window_ceiling_ms);
}

store::result<std::vector<source_health>> list_sources(store::pipeline_health_store& s,
                                                       std::string_view workspace,
                                                       std::int64_t now) {
  const std::int64_t now_hour = now / hour_ms;
  auto rows = s.sources(workspace, now_hour - history_hours);
  if (!rows) return rows.error();
  std::vector<source_health> out;
  out.reserve(rows->size());
  for (auto& r : *rows) {
    source_health h;
    h.hourly.assign(24, 0);
    std::int64_t previous = 0;
    for (const auto& [hour, n] : r.hours) {
      if (hour > now_hour - 24 && hour <= now_hour) h.hourly[23 - (now_hour - hour)] = n;
      if (hour == now_hour - 1) previous = n;
    }
    // The current hour's count plus the previous hour's share of the last 60 minutes.
    const std::int64_t into = now % hour_ms;
    h.events_last_hour = h.hourly[23] + previous * (hour_ms - into) / hour_ms;
    h.window_is_default = r.silence_window_ms <= 0;
    h.window_ms = h.window_is_default ? default_silence_window(r) : r.silence_window_ms;
    h.silent = r.last_event_at > 0 && h.window_ms > 0 && now - r.last_event_at > h.window_ms;
    h.row = std::move(r);
    out.push_back(std::move(h));
  }
  return out;
}

store::result<std::vector<silence_finding>> detect_silence(
    store::pipeline_health_store& s, std::string_view workspace, std::int64_t now,
    const std::vector<source_health>& sources, const delivery_path& path) {
  std::vector<silence_finding> out;
  for (const auto& h : sources) {
    if (!h.silent) continue;
    const auto& r = h.row;
    out.push_back(
        {"source_silent", r.id, r.last_event_at,
         "events are not arriving from " + describe_source(r.kind, r.name) +
             ": the last one came " + ago(now - r.last_event_at) +
             " ago, longer than its silence window of " + ago(h.window_ms) +
             (r.last_error_at > r.last_event_at ? "; its last error: " + r.last_error : ""),
         silent_source_hint(r.kind, r.name, path)});
  }
  // Sends whose events never came: the whole path (SES → ... → SESami) is silent for them,
  // whichever source should have carried them.
  constexpr std::size_t sample = 100;
  auto sends =
      s.unanswered_sends(workspace, now - send_lookback_ms, now - send_event_deadline_ms, sample);
  if (!sends) return sends.error();
  if (!sends->empty()) {
    const auto& oldest = sends->front();
    const std::string count = sends->size() >= sample ? "at least " + std::to_string(sample)
                                                      : std::to_string(sends->size());
    const bool simulator = oldest.transport == "simulator";
    out.push_back({"send_events_missing", "", oldest.created_at,
                   "events are not arriving for mail sent through SESami: " + count +
                       (sends->size() == 1 ? " message" : " messages") +
                       " sent more than 15 minutes ago without a Send event (the oldest, " +
                       oldest.message_id + ", " + ago(now - oldest.created_at) + " ago via " +
                       (simulator ? "the simulator" : "SES") + ")",
                   missing_events_hint(simulator ? delivery_path{} : path)});
  }
  return out;
}

store::result<std::vector<silence_finding>> detect_silence(store::pipeline_health_store& s,
                                                           std::string_view workspace,
                                                           std::int64_t now,
                                                           const delivery_path& path) {
  auto sources = list_sources(s, workspace, now);
  if (!sources) return sources.error();
  return detect_silence(s, workspace, now, *sources, path);
}

void render_health_metrics(store::pipeline_health_store& s, std::int64_t now, std::string& out) {
  auto rows = s.all_sources();
  if (!rows) return;  // a busy store: the family is left out of this scrape
  auto label = [](std::string_view v) {
    std::string o;
    for (char ch : v) {
      if (ch == '\\' || ch == '"') o += '\\';
      if (ch == '\n') {
        o += "\\n";
        continue;
      }
      o += ch;
    }
    return o;
  };
  out +=
      "# HELP sesami_last_event_age_seconds Seconds since an event last arrived from the source\n"
      "# TYPE sesami_last_event_age_seconds gauge\n";
  for (const auto& r : *rows) {
    const std::string source = r.kind + (r.name.empty() ? "" : ":" + r.name);
    out += "sesami_last_event_age_seconds{workspace=\"" + label(r.workspace) + "\",source=\"" +
           label(source) + "\",id=\"" + r.id + "\"} " +
           std::to_string(std::max<std::int64_t>(now - r.last_event_at, 0) / 1000) + "\n";
  }
}

}  // namespace sesami::app
