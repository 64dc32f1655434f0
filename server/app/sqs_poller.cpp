#include "sqs_poller.hpp"

#include <algorithm>
#include <future>
#include <map>

#include <sesami/parse.hpp>

#include "import.hpp"
#include "ingest_observer.hpp"
#include "pipeline_health.hpp"

namespace sesami::app {
namespace {

std::string queue_name(std::string_view url) {
  const auto slash = url.rfind('/');
  return std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
}

std::vector<std::string> handles_of(const std::vector<aws::sqs_message>& ms) {
  std::vector<std::string> h;
  h.reserve(ms.size());
  for (auto& m : ms) h.push_back(m.receipt_handle);
  return h;
}

/// SQS's refusals that fresh session credentials can heal: the session expired (or was cut short),
/// or STS's key is unknown to SQS (revoked). A bad signature or a denied action will not heal.
bool credentials_stale(const aws::sqs_error& e) {
  return e.code == "ExpiredToken" || e.code == "ExpiredTokenException" ||
         e.code == "InvalidClientTokenId";
}

}  // namespace

sqs_poller::sqs_poller(store::store& s, aws::http_client& http, sqs_source src,
                       sqs_poller_options opt, poller_log log)
    : store_(s),
      src_(std::move(src)),
      opt_(opt),
      log_(std::move(log)),
      client_(http, src_.region.empty() ? aws::sqs_region_of(src_.queue_url) : src_.region,
              src_.endpoint) {
  opt_.wait_seconds = std::clamp(opt_.wait_seconds, 0, 20);
  opt_.max_messages = std::clamp(opt_.max_messages, 1, 10);
  opt_.visibility_seconds = std::clamp(opt_.visibility_seconds, 2, 43200);
  opt_.delete_attempts = std::max(opt_.delete_attempts, 1);
}

sqs_poller::~sqs_poller() { stop(); }

void sqs_poller::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void sqs_poller::request_stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void sqs_poller::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

void sqs_poller::note(int level, std::string_view msg, boost::json::object fields) {
  if (!log_) return;
  fields["workspace"] = src_.workspace;
  fields["queue"] = queue_name(src_.queue_url);
  log_(level, msg, std::move(fields));
}

void sqs_poller::health_error(std::string_view what) {
  if (opt_.health && !src_.route)
    opt_.health->note_error(src_.workspace, "sqs", src_.queue_url, what, now_ms());
}

void sqs_poller::backoff(bool throttled) {
  // Exponential, doubled again when throttled, capped; reset by the next successful receive.
  auto next = delay_.count() == 0 ? opt_.backoff_min : delay_ * 2;
  if (throttled) next *= 2;
  delay_ = std::min(next, opt_.backoff_max);
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, delay_, [this] { return stopping_; });
}

bool sqs_poller::refresh_credentials(aws::credentials& c, const aws::sqs_error& e) {
  if (!credentials_stale(e) || !src_.invalidate_credentials || !src_.credentials) return false;
  note(2, "sqs refused the session credentials; retrying once with fresh ones",
       {{"code", std::string_view(e.code)}});
  src_.invalidate_credentials();
  auto fresh = src_.credentials();
  if (!fresh) {
    note(4, "sqs poller has no credentials", {{"error", std::string_view(fresh.error())}});
    return false;
  }
  c = std::move(*fresh);
  return true;
}

void sqs_poller::refresh_depth(const aws::credentials& c) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_depth_) return;
  next_depth_ = now + opt_.depth_every;
  if (auto d = client_.depth(c, src_.queue_url)) {
    stats_.depth_visible.store(d->visible, std::memory_order_relaxed);
    stats_.depth_inflight.store(d->inflight, std::memory_order_relaxed);
  }
}

void sqs_poller::run() {
  note(2, "sqs poller started", {});
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    auto creds = src_.credentials ? src_.credentials()
                                  : boost::system::result<aws::credentials, std::string>(
                                        boost::system::in_place_error, "no credentials source");
    if (!creds) {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      note(4, "sqs poller has no credentials", {{"error", std::string_view(creds.error())}});
      health_error("no credentials for the queue: " + creds.error());
      backoff(false);
      continue;
    }
    refresh_depth(*creds);
    auto got = client_.receive(*creds, src_.queue_url, opt_.max_messages, opt_.wait_seconds,
                               opt_.visibility_seconds);
    if (!got && refresh_credentials(*creds, got.error())) {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);  // the refused call still counts
      got = client_.receive(*creds, src_.queue_url, opt_.max_messages, opt_.wait_seconds,
                            opt_.visibility_seconds);
    }
    if (!got) {
      const auto& e = got.error();
      const bool throttled = e.what == aws::sqs_error::kind::throttled;
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      if (throttled) stats_.throttled.fetch_add(1, std::memory_order_relaxed);
      note(throttled ? 2 : 3, "sqs receive failed",
           {{"code", std::string_view(e.code)},
            {"status", e.status},
            {"error", std::string_view(e.message)}});
      if (!throttled) health_error("ReceiveMessage failed: " + e.code + ": " + e.message);
      backoff(throttled);
      continue;
    }
    stats_.receives.fetch_add(1, std::memory_order_relaxed);
    delay_ = std::chrono::milliseconds{0};
    if (got->empty()) continue;
    stats_.received.fetch_add(got->size(), std::memory_order_relaxed);
    if (!process(*creds, *got)) backoff(false);
  }
  note(2, "sqs poller stopped", {});
}

bool sqs_poller::process(aws::credentials c, std::vector<aws::sqs_message>& batch) {
  // Parse every body; a body that does not parse is poison and stays on the queue. The events of
  // the others go to the source's workspace, or where the router says (nowhere: dropped, deleted).
  std::map<std::string, std::vector<sesami::event>> events;
  std::vector<aws::sqs_message> good;
  for (auto& m : batch) {
    batch_result parsed = parse_batch(m.body);
    if (!parsed.diagnostics.empty()) {
      stats_.poison.fetch_add(1, std::memory_order_relaxed);
      const auto& d = parsed.diagnostics.front();
      note(3, "sqs message does not parse; left for the dead-letter queue",
           {{"messageId", std::string_view(m.message_id)},
            {"receiveCount", m.receive_count},
            {"code", d.err.id()}});
      health_error("message " + m.message_id +
                   " does not parse (left for the dead-letter queue): " + std::string(d.err.id()) +
                   ": " + d.err.message);
      continue;
    }
    if (src_.route) {
      const auto to = src_.route(m.body, parsed.events);
      if (to.empty()) stats_.dropped.fetch_add(1, std::memory_order_relaxed);
      for (const auto& ws : to) {
        auto& list = events[ws];
        list.insert(list.end(), parsed.events.begin(), parsed.events.end());
      }
    } else {
      auto& list = events[src_.workspace];
      for (auto& e : parsed.events) list.push_back(std::move(e));
    }
    good.push_back(std::move(m));
  }
  if (good.empty()) return true;
  const auto handles = handles_of(good);

  // Commit on another thread; meanwhile keep the messages invisible so no other consumer (or
  // this one, later) receives them before the delete.
  const auto now = now_ms();
  auto commit = std::async(std::launch::async, [&]() -> store::result<store::ingest_summary> {
    store::ingest_summary total;
    for (const auto& [ws, list] : events) {
      if (list.empty()) continue;
      const auto items = prepare(list);
      store::ingest_options o;
      o.remember_sns_message_ids = false;  // identity makes redeliveries exactly-once already
      // A failure leaves the whole batch on the queue; what was committed dedupes on redelivery.
      auto r = store_.ingest(ws, items, now, o);
      if (!r) return r;
      total += *r;
    }
    return total;
  });
  const auto half = std::chrono::milliseconds(opt_.visibility_seconds * 500L);
  while (commit.wait_for(half) != std::future_status::ready) {
    auto ext = client_.change_visibility_batch(c, src_.queue_url, handles, opt_.visibility_seconds);
    stats_.extended.fetch_add(1, std::memory_order_relaxed);
    if (!ext)
      note(3, "sqs visibility extension failed", {{"code", std::string_view(ext.error().code)}});
  }
  auto committed = commit.get();
  if (!committed) {
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
    note(
        4, "sqs batch not committed; messages will be redelivered",
        {{"code", committed.error().id()}, {"error", std::string_view(committed.error().message)}});
    health_error("events not stored (the messages will be redelivered): " +
                 std::string(committed.error().id()) + ": " + committed.error().message);
    return false;
  }
  if (opt_.health)
    for (const auto& [ws, list] : events)
      if (!list.empty())
        opt_.health->note_events(ws, src_.route ? "event-bus" : "sqs",
                                 src_.route ? std::string_view() : std::string_view(src_.queue_url),
                                 list.size(), now_ms());
  stats_.stored.fetch_add(committed->stored, std::memory_order_relaxed);
  stats_.duplicates.fetch_add(committed->duplicates, std::memory_order_relaxed);
  if (committed->stored > 0)
    for (const auto& [ws, list] : events) notify_ingested(ws, list);

  // Durable now: delete. A failure here only means a redelivery that identity dedupes.
  std::vector<std::string> pending = handles;
  bool refreshed = false;
  for (int attempt = 0; attempt < opt_.delete_attempts && !pending.empty(); ++attempt) {
    auto del = client_.delete_batch(c, src_.queue_url, pending);
    if (!del && !refreshed && refresh_credentials(c, del.error())) {
      refreshed = true;
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      del = client_.delete_batch(c, src_.queue_url, pending);
    }
    if (!del) {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      note(3, "sqs delete failed",
           {{"code", std::string_view(del.error().code)}, {"attempt", attempt + 1}});
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, opt_.backoff_min * (attempt + 1), [this] { return stopping_; });
      continue;
    }
    stats_.deleted.fetch_add(pending.size() - del->size(), std::memory_order_relaxed);
    // Refused entries (an outdated handle, say) are not retried: SQS will not accept them later.
    if (!del->empty())
      note(3, "sqs refused some deletes",
           {{"count", del->size()}, {"code", std::string_view(del->front().code)}});
    pending.clear();
  }
  return true;
}

void render_sqs_metrics(const std::vector<const sqs_poller*>& pollers, std::string& out) {
  if (pollers.empty()) return;
  struct family {
    const char* name;
    const char* type;
    const char* help;
    std::int64_t (*get)(const sqs_poller_stats&);
  };
  static const family families[] = {
      {"sesami_sqs_received_total", "counter", "SQS messages received (redeliveries included)",
       [](const sqs_poller_stats& s) { return std::int64_t(s.received.load()); }},
      {"sesami_sqs_deleted_total", "counter", "SQS messages deleted after their events committed",
       [](const sqs_poller_stats& s) { return std::int64_t(s.deleted.load()); }},
      {"sesami_sqs_poison_total", "counter",
       "SQS message receipts whose body does not parse (left for the dead-letter queue)",
       [](const sqs_poller_stats& s) { return std::int64_t(s.poison.load()); }},
      {"sesami_sqs_events_stored_total", "counter", "Events newly stored from SQS",
       [](const sqs_poller_stats& s) { return std::int64_t(s.stored.load()); }},
      {"sesami_sqs_events_duplicate_total", "counter", "Events from SQS already stored",
       [](const sqs_poller_stats& s) { return std::int64_t(s.duplicates.load()); }},
      {"sesami_sqs_visibility_extensions_total", "counter",
       "Visibility extensions for slow batches",
       [](const sqs_poller_stats& s) { return std::int64_t(s.extended.load()); }},
      {"sesami_sqs_errors_total", "counter", "Failed SQS calls or commits",
       [](const sqs_poller_stats& s) { return std::int64_t(s.errors.load()); }},
      {"sesami_sqs_throttled_total", "counter", "Throttled SQS calls",
       [](const sqs_poller_stats& s) { return std::int64_t(s.throttled.load()); }},
      {"sesami_sqs_queue_depth", "gauge", "ApproximateNumberOfMessages (-1: unknown yet)",
       [](const sqs_poller_stats& s) { return std::int64_t(s.depth_visible.load()); }},
      {"sesami_sqs_queue_inflight", "gauge", "ApproximateNumberOfMessagesNotVisible",
       [](const sqs_poller_stats& s) { return std::int64_t(s.depth_inflight.load()); }},
  };
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
  for (const auto& f : families) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += f.help;
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += f.type;
    out += '\n';
    for (const auto* p : pollers) {
      out += f.name;
      out += "{workspace=\"" + label(p->source().workspace) + "\",queue=\"" +
             label(queue_name(p->source().queue_url)) + "\"} ";
      out += std::to_string(f.get(p->stats()));
      out += '\n';
    }
  }
}

}  // namespace sesami::app
