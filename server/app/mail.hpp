#pragma once
// Sending (issue #5): POST /mail, POST /mail/bulk, the attempt log and one-click unsubscribe.
// The whole story of one send, in order:
//   validate (SES v2 SendEmail's shape; CR/LF refused in every header-bound field)
//   → Idempotency-Key (a retry gets the first answer; another body under the same key is a 409)
//   → suppression list (suppressed recipients removed and reported; none left: 422, nothing sent)
//   → configuration set, tags (workspace, correlation id), RFC 8058 List-Unsubscribe
//   → attempt recorded "queued" → rate limit (token bucket per account and region)
//   → transport, throttling/unavailability retried with exponential backoff and jitter
//   → attempt recorded with its outcome, the answer stored under the Idempotency-Key.
// Bulk sends are a durable queue worked by a background thread (see mail.cpp for the crash
// boundary). No sockets, no SQL.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "../store/mail_store.hpp"
#include "../store/store.hpp"
#include "auth.hpp"
#include "mail_transport.hpp"
#include "rate_limiter.hpp"
#include "secret_box.hpp"
#include "topics.hpp"

namespace sesami::app {

class template_service;  // templates.hpp

/// Which transport sends a workspace's mail, with what configuration set and at what rate.
struct transport_choice {
  mail_transport* transport = nullptr;
  std::string configuration_set;  // so the message's events flow back to SESami
  std::string rate_key;           // "ses:<account>:<region>", "simulator": one bucket per key
  double max_send_rate = 14;      // messages per second (SES GetAccount's MaxSendRate)
};
using transport_resolver = std::function<outcome<transport_choice>(std::string_view workspace)>;

struct mail_options {
  /// Base URL of this server as recipients reach it ("https://sesami.example.com"); the
  /// unsubscribe links point below it. Empty: no List-Unsubscribe headers.
  std::string public_url;
  int max_tries = 4;  // transport calls per send, retries of throttled/unavailable included
  std::int64_t backoff_base_ms = 100, backoff_max_ms = 2000;
  std::int64_t rate_wait_max_ms = 10000;  // longest wait for a rate token before answering 503
  std::int64_t bulk_lease_ms = 30000;     // a dead bulk worker's job is taken over after this
  std::int64_t bulk_poll_ms = 500;        // how often an idle bulk worker looks for work
  bool bulk_worker = true;
};

/// An answer ready for the HTTP layer: `code` empty on success, else a stable error id; `body`
/// the JSON to send (for errors {"error":{...}}).
struct mail_reply {
  std::string code;
  std::string body;
  bool replayed = false;           // served from the Idempotency-Key record
  std::int64_t retry_after_s = 0;  // with throttling
};

/// The reputation guard's word on a send (reputation.hpp): nullopt to go on, else the refusal
/// (mail.paused). `bulk`: a bulk send (POST /mail/bulk, the bulk worker's next batch).
using send_gate = std::function<std::optional<failure>(std::string_view workspace, bool bulk)>;

class mailer {
 public:
  /// `box` seals the unsubscribe secret in the database (--secret-key-file's database key); a
  /// secret an older version stored in plaintext is sealed now. Throws when the stored secret
  /// does not open with it (another key file).
  mailer(store::store& s, store::mail_store& m, rate_limiter& limiter, transport_resolver pick,
         const secret_box& box, mail_options opt);
  ~mailer();
  mailer(const mailer&) = delete;
  mailer& operator=(const mailer&) = delete;

  /// POST /mail. `body` is the request's JSON text, `idempotency_key` the header (may be empty).
  /// `alert`: SESami's own alert mail to the owners, which the guard's pause does not stop.
  mail_reply send(std::string_view workspace, std::string_view body,
                  std::string_view idempotency_key, bool alert = false);
  /// GET /mail/attempts: {"attempts":[...],"next":...}.
  outcome<std::string> attempts(std::string_view workspace, const store::attempt_query& q);
  /// POST /mail/bulk: queues the job; answers {"id","status","total"}.
  mail_reply bulk(std::string_view workspace, std::string_view body);
  /// GET /mail/bulk/{id}.
  outcome<std::string> bulk_status(std::string_view workspace, std::string_view id);

  // ---- one-click unsubscribe (RFC 8058) ----
  struct unsubscribe_target {
    std::string workspace, address;
    std::string topic;  // a topic mail's link: that topic only; empty: every mail (suppression)
  };
  /// The link for `address` in `workspace` (empty when no public URL is configured); with a
  /// topic, the link of that topic's mail (signed over workspace, address and topic).
  std::string unsubscribe_url(std::string_view workspace, std::string_view address,
                              std::string_view topic = {}) const;
  /// Checks a token's signature; "unsubscribe.bad_token" when it was altered or is not ours.
  outcome<unsubscribe_target> check_token(std::string_view token) const;
  /// One-click: a topic link unsubscribes from its topic only; a link without a topic adds the
  /// address to its workspace's suppression list (reason "unsubscribe").
  outcome<unsubscribe_target> unsubscribe(std::string_view token);
  /// The preference form's anti-forgery value for a link token (HMAC, its own domain): a POST
  /// that changes choices must carry the value the page gave out.
  std::string form_token(std::string_view token) const;
  bool check_form_token(std::string_view token, std::string_view form) const;
  /// Topics and preferences (issue #20): `"topic"` on POST /mail and /mail/bulk. Null: a request
  /// naming a topic is refused. Set before start().
  void set_topics(topics* t) { topics_ = t; }

  /// Stored templates: a send naming one the simulator keeps renders it here (SES renders its
  /// own). Null: templates go to the transport by name, unchecked.
  void set_templates(template_service* t) noexcept { templates_ = t; }

  /// Sets the base of unsubscribe links (when it is known only once the listener is up).
  void set_public_url(std::string url);

  /// Consulted before each send and each bulk batch; set before start().
  void set_gate(send_gate g) { gate_ = std::move(g); }

  /// Starts the bulk worker (when enabled) — after the server is up.
  void start();
  /// Stops the bulk worker between two batches; its job goes back to the queue.
  void stop();

 private:
  struct prepared;
  mail_reply send_prepared(std::string_view workspace, prepared& p);
  void bulk_loop();
  bool work_one_job();
  bool sleep_for(std::chrono::milliseconds d);  // false when stopping
  /// Waits for `n` rate tokens; false on stop, or when `bounded` and the wait would exceed
  /// rate_wait_max_ms (a request waits that long at most; the bulk worker as long as it takes).
  bool take_rate(const transport_choice& c, double n, bool bounded = true);
  std::string token_mac(std::string_view payload,
                        std::string_view domain = std::string_view("unsubscribe\0", 12)) const;
  std::string public_url() const;

  store::store& store_;
  store::mail_store& mail_;
  rate_limiter& limiter_;
  transport_resolver pick_;
  send_gate gate_;
  mail_options opt_;
  template_service* templates_ = nullptr;
  std::string secret_;  // HMAC key of unsubscribe tokens (sealed in the database)
  topics* topics_ = nullptr;
  std::string owner_;  // this process's bulk lease owner id

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace sesami::app
