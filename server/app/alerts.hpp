#pragma once
// Alerts (issue #18): one model for the reputation guard, silent pipelines and failing webhooks.
// An alert says what happened (summary, detail), since when, and what to do (action). Raising is
// idempotent per dedupe key while the alert is open (not resolved): a condition that persists
// raises once. A new alert is
//   - stored (GET /alerts, the dashboard's bell: unread until someone reads it),
//   - queued on the workspace's webhook outbox as "sesami.alert.<kind>" — to every endpoint that
//     takes every type, or lists "sesami.alert" or "sesami.alert.<kind>" — right after it is
//     stored (a crash between the two loses the webhook message, never the alert),
//   - mailed to the workspace's owners through the workspace's own send path (its SES account, or
//     the simulator offline) by a background thread, at most once (claimed in the store), with
//     the correlation id "sesami-alert-<id>"; these mails are left out of the reputation rates.
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include "../store/accounts.hpp"
#include "../store/guard_store.hpp"
#include "../store/webhook_store.hpp"
#include "auth.hpp"

namespace sesami::app {

class mailer;

/// What raise_alert() takes. `since`: when the condition began (0: now).
struct new_alert {
  std::string kind;        // lower-case letters and '_': "reputation_paused", "silence", ...
  std::string summary;     // what happened, one line
  std::string detail;      // the numbers, the evidence
  std::string action;      // what to do
  std::string dedupe_key;  // one open alert per key (empty: the kind)
  std::int64_t since = 0;
};

struct alert_options {
  std::int64_t mail_poll_ms = 1000;  // how often the mailer looks for alerts to mail
  /// Log lines (level as spdlog's, message, alert id).
  std::function<void(int, std::string_view, std::string_view)> log = {};
};

/// An alert as GET /alerts and the webhook message's data carry it.
boost::json::object alert_json(const store::alert_row& a);

class alerts {
 public:
  /// `hooks` may be null (no webhook delivery); the mailer is set once it exists (set_mailer).
  alerts(store::guard_store& g, store::webhook_store* hooks, store::accounts& acc,
         alert_options opt = {});
  ~alerts();
  alerts(const alerts&) = delete;
  alerts& operator=(const alerts&) = delete;

  /// Stores the alert unless one with its dedupe key is open; returns the new alert, or nullopt
  /// when one was open already (nothing else happens then).
  outcome<std::optional<store::alert_row>> raise(std::string_view workspace, new_alert a);
  /// Closes the open alert with this key (the condition ended); a later raise makes a new one.
  outcome<bool> resolve(std::string_view workspace, std::string_view dedupe_key);

  struct listing {
    std::vector<store::alert_row> alerts;
    std::int64_t unread = 0;
  };
  outcome<listing> list(std::string_view workspace, const store::alert_query& q);
  /// One alert (id) or every alert (empty id) read; false when the id is unknown or read already.
  outcome<std::int64_t> mark_read(std::string_view workspace, std::string_view id);

  void set_mailer(mailer* m);
  /// Starts / stops the owners' mail thread.
  void start();
  void stop();
  /// Mails what is due now (the thread's step; tests).
  void mail_due();

 private:
  void queue_webhooks(const store::alert_row& a);
  std::string mail_owners(const store::alert_row& a, std::int64_t& mails);

  store::guard_store& db_;
  store::webhook_store* hooks_;
  store::accounts& acc_;
  alert_options opt_;
  mailer* mail_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

/// The entry point for every source of alerts (the guard, silence detection, webhooks).
inline outcome<std::optional<store::alert_row>> raise_alert(alerts& a, std::string_view workspace,
                                                            new_alert alert) {
  return a.raise(workspace, std::move(alert));
}

}  // namespace sesami::app
