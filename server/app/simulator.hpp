#pragma once
// The offline transport: what `POST /mail` uses when the workspace has no AWS connection. It
// behaves like SES's mailbox simulator (docs.aws.amazon.com/ses/latest/dg/send-an-email-from-
// console.html#send-email-simulator), labels included (bounce+anything@ acts like bounce@):
//   success@          Send, Delivery
//   bounce@           Send, Bounce (Permanent/General, 550 5.1.1 "user unknown")
//   ooto@             Send, Delivery — the out-of-office reply is an email SES forwards to the
//                     Return-Path (RFC 3834), not an event, so no event stands for it
//   complaint@        Send, Delivery, Complaint (feedback type abuse)
//   suppressionlist@  Send, Bounce (Permanent/OnAccountSuppressionList)
//   any other address Send, Delivery
// plus, when engagement is on, opens (Apple Mail Privacy Protection machine opens and human ones)
// and clicks some seconds after delivery.
//
// The events are SES event-publishing records shaped like real ones (configuration set, the
// message's tags, the message id returned to the caller) and go through the normal ingestion path
// (app::ingest_payload) on a background thread, after realistic delays: Send at once, Delivery or
// Bounce 0.5-2 s later. stop() (and the destructor) ingests the events still waiting at once and
// ends the thread (a crash loses them: they live in memory only).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../store/store.hpp"
#include "mail_transport.hpp"

namespace sesami::app {

class pipeline_health;

struct simulator_options {
  double max_send_rate = 14;  // messages per second, like a new SES account's quota
  bool engagement = false;    // simulated opens and clicks after delivery
  std::int64_t delivery_min_ms = 500, delivery_max_ms = 2000;
  std::int64_t engagement_min_ms = 2000, engagement_max_ms = 8000;
  /// TEST ONLY: the first N transport calls answer "throttled", as SES does above the max rate.
  int throttle_first = 0;
  std::string account_id = "000000000000";
  std::string region = "us-east-1";
  /// Where the events' arrival is recorded (pipeline_health.hpp, source "simulator"); may be null.
  pipeline_health* health = nullptr;
};

/// A message id in SES's format: 16 hex digits ("0100" and the send time), a UUID, "-000000".
std::string simulated_message_id(std::int64_t now_ms);

class simulator final : public mail_transport {
 public:
  simulator(store::store& s, simulator_options opt);
  ~simulator() override;
  simulator(const simulator&) = delete;
  simulator& operator=(const simulator&) = delete;

  std::string_view name() const noexcept override { return "simulator"; }
  send_result<std::string> send(std::string_view workspace, const outgoing_mail& mail) override;
  send_result<std::vector<bulk_entry_result>> send_bulk(std::string_view workspace,
                                                        const bulk_mail& mail) override;

  const simulator_options& options() const noexcept { return opt_; }
  /// Stops the event thread (idempotent); later sends still answer but publish nothing.
  void stop();
  /// Events handed to ingestion so far, and those it refused (a bug if ever > 0).
  std::uint64_t published() const;
  std::uint64_t failed() const;

 private:
  struct scheduled {
    std::chrono::steady_clock::time_point due;
    std::uint64_t order;
    std::string workspace;
    std::string payload;
    int tries = 0;  // ingestion attempts that met a busy store
    friend bool operator>(const scheduled& a, const scheduled& b) {
      return a.due != b.due ? a.due > b.due : a.order > b.order;
    }
  };
  struct message;  // what the events of one message share
  send_error throttle_check();
  std::string accept(std::string_view workspace, const message& m);
  void run();

  store::store& store_;
  simulator_options opt_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<scheduled, std::vector<scheduled>, std::greater<>> queue_;
  std::uint64_t order_ = 0, published_ = 0, failed_ = 0;
  int calls_ = 0;
  bool stopping_ = false;
  std::mt19937_64 rng_;
  std::thread worker_;
};

}  // namespace sesami::app
