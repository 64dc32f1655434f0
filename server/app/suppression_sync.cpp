#include "suppression_sync.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <sesami/ascii.hpp>

#include "../aws/ses_v2.hpp"
#include "import.hpp"

namespace sesami::app {
namespace {

/// SES knows two reasons; a local complaint stays a complaint, anything else is a bounce.
std::string_view ses_reason(std::string_view local) {
  return ascii_lower(local).find("complaint") != std::string::npos ? "COMPLAINT" : "BOUNCE";
}
std::string local_reason(std::string_view ses) {
  return ses == "COMPLAINT" ? "complaint" : "hard-bounce";
}

bool retryable(const aws::ses_error& e) {
  return e.http_status == 0 || e.http_status == 429 || e.http_status >= 500 ||
         e.aws_code == "TooManyRequestsException" || e.aws_code == "ThrottlingException";
}
std::string code_of(const aws::ses_error& e) {
  return e.aws_code.empty() ? "Transport" : e.aws_code;
}

/// Runs `f` until it succeeds or fails with a non-retryable error, at most `attempts` times.
template <class F>
auto with_retries(const suppression_sync_options& opt, F&& f) {
  auto r = f();
  for (int i = 1; i < opt.attempts && !r && retryable(r.error()); ++i) {
    std::this_thread::sleep_for(opt.retry_delay * i);
    r = f();
  }
  return r;
}

}  // namespace

std::string iso_ms(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

suppression_syncer::suppression_syncer(store::store& s, store::suppression_sync_store& log,
                                       aws::http_client& http, link_lookup link_of,
                                       suppression_sync_options opt)
    : store_(s), log_(log), http_(http), link_of_(std::move(link_of)), opt_(opt) {
  opt_.page_size = std::clamp(opt_.page_size, 1, 1000);
  opt_.attempts = std::max(opt_.attempts, 1);
}

suppression_syncer::~suppression_syncer() { stop_schedule(); }

std::mutex& suppression_syncer::lock_for(std::string_view workspace) {
  std::lock_guard g(locks_mu_);
  auto it = locks_.find(workspace);
  if (it == locks_.end())
    it = locks_.emplace(std::string(workspace), std::make_unique<std::mutex>()).first;
  return *it->second;
}

boost::system::result<store::sync_record, sync_error> suppression_syncer::sync(
    std::string_view workspace, std::string_view cause) {
  auto link = link_of_ ? link_of_(workspace) : std::nullopt;
  if (!link || !link->credentials)
    return sync_error{"aws.not_connected",
                      "this workspace has no AWS connection; connect one in Settings → AWS"};
  std::lock_guard one_at_a_time(lock_for(workspace));

  store::sync_record rec;
  rec.at = now_ms();
  rec.cause = std::string(cause);
  auto baseline = log_.baseline(workspace);
  if (!baseline) return sync_error{std::string(baseline.error().id()), baseline.error().message};
  const std::set<std::string> base(baseline->begin(), baseline->end());

  auto finish = [&](const std::vector<std::string>& new_base)
      -> boost::system::result<store::sync_record, sync_error> {
    if (auto st = log_.save(workspace, rec, new_base); !st)
      return sync_error{std::string(st.error().id()), st.error().message};
    return rec;
  };
  auto fail_whole = [&](std::string op, std::string code, std::string message) {
    rec.errors.push_back({"", std::move(op), std::move(code), std::move(message)});
    return finish(*baseline);  // nothing decided: the baseline stays as it was
  };

  auto creds = link->credentials();
  if (!creds) return fail_whole("credentials", "aws.credentials", creds.error());

  // Local list, every page.
  std::map<std::string, store::suppression_entry> local;
  store::suppression_query q;
  q.limit = 1000;
  for (;;) {
    auto page = store_.list_suppressions(workspace, q);
    if (!page) return sync_error{std::string(page.error().id()), page.error().message};
    for (auto& e : page->entries) local.emplace(ascii_lower(e.address), std::move(e));
    if (!page->next) break;
    q.cursor = *page->next;
  }

  // Remote list, every page (bounded).
  aws::ses_v2_client ses(http_, link->region, link->ses_endpoint);
  std::map<std::string, aws::suppressed_destination> remote;
  aws::list_suppressed_params lp;
  lp.page_size = opt_.page_size;
  for (;;) {
    auto page = with_retries(opt_, [&] { return ses.list_suppressed_destinations(*creds, lp); });
    if (!page) return fail_whole("list", code_of(page.error()), page.error().message);
    for (auto& e : page->items) remote.emplace(ascii_lower(e.email_address), std::move(e));
    if (page->next_token.empty()) break;
    if (remote.size() >= opt_.max_remote)
      return fail_whole("list", "sync.too_large",
                        "the SES suppression list has more than " +
                            std::to_string(opt_.max_remote) + " entries; not synced");
    lp.next_token = page->next_token;
  }

  std::set<std::string> next_base;
  std::vector<store::suppression_entry> to_pull;
  for (auto& [addr, e] : local) {
    const bool in_remote = remote.count(addr) > 0, in_base = base.count(addr) > 0;
    if (in_remote) {
      next_base.insert(addr);
    } else if (!in_base) {
      const auto reason = ses_reason(e.reason);
      auto r =
          with_retries(opt_, [&] { return ses.put_suppressed_destination(*creds, addr, reason); });
      if (r) {
        ++rec.pushed, next_base.insert(addr);
        rec.changes.push_back({addr, "pushed", std::string(reason)});
      } else {
        rec.errors.push_back({addr, "put", code_of(r.error()), r.error().message});
      }
    } else {
      // On both lists last time, gone from SES now: removed there, so removed here.
      auto r = store_.remove_suppression(workspace, addr);
      if (r) {
        ++rec.removed_local;
        rec.changes.push_back({addr, "removed-local", e.reason});
      } else {
        rec.errors.push_back(
            {addr, "remove-local", std::string(r.error().id()), r.error().message});
        next_base.insert(addr);  // retried next run
      }
    }
  }
  for (auto& [addr, e] : remote) {
    if (local.count(addr)) continue;
    if (!base.count(addr)) {
      store::suppression_entry le;
      le.address = addr;
      le.reason = local_reason(e.reason);
      le.source = store::suppression_source::ses_sync;
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          e.last_update_time.time_since_epoch())
                          .count();
      le.created_at = ms > 0 ? ms : rec.at;
      to_pull.push_back(std::move(le));
    } else {
      // On both lists last time, gone from ours now: removed here, so removed in SES.
      auto r = with_retries(
          opt_, [&] { return ses.delete_suppressed_destination(*creds, e.email_address); });
      // Already gone from SES (NotFoundException) is what we wanted.
      if (r || r.error().aws_code == "NotFoundException") {
        ++rec.removed_remote;
        rec.changes.push_back({addr, "removed-remote", e.reason});
      } else {
        rec.errors.push_back({addr, "delete", code_of(r.error()), r.error().message});
        next_base.insert(addr);
      }
    }
  }
  if (!to_pull.empty()) {
    // All or nothing (one transaction); a failure leaves them for the next run.
    if (auto added = store_.add_suppressions(workspace, to_pull)) {
      for (auto& le : to_pull) {
        ++rec.pulled, next_base.insert(le.address);
        rec.changes.push_back({le.address, "pulled", le.reason});
      }
    } else {
      rec.errors.push_back(
          {"", "add-local", std::string(added.error().id()), added.error().message});
    }
  }
  return finish(std::vector<std::string>(next_base.begin(), next_base.end()));
}

boost::system::result<std::optional<store::sync_record>, sync_error> suppression_syncer::last(
    std::string_view workspace) {
  auto r = log_.last(workspace);
  if (!r) return sync_error{std::string(r.error().id()), r.error().message};
  return std::move(*r);
}

void suppression_syncer::start_schedule(std::chrono::milliseconds every, aws_links_source links) {
  std::lock_guard g(sched_mu_);
  if (scheduler_.joinable() || every.count() <= 0) return;
  stopping_ = false;
  scheduler_ = std::thread([this, every, links = std::move(links)] {
    for (;;) {
      {
        std::unique_lock lock(sched_mu_);
        if (sched_cv_.wait_for(lock, every, [this] { return stopping_; })) return;
      }
      for (auto& l : links()) {
        {
          std::lock_guard lock(sched_mu_);
          if (stopping_) return;
        }
        (void)sync(l.workspace, "schedule");  // recorded; the record holds any error
      }
    }
  });
}

void suppression_syncer::stop_schedule() {
  {
    std::lock_guard g(sched_mu_);
    stopping_ = true;
  }
  sched_cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

}  // namespace sesami::app
