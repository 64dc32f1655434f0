#pragma once
// Silence becomes an alert (issue #18): every minute, each workspace's silence findings
// (pipeline_health.hpp: a source quiet past its window, sends whose events never came) are raised
// as alerts — one open alert per finding, keyed "silence:<kind>:<source>" — and an open silence
// alert whose finding is gone is resolved. Stateless between runs and nodes: what is open is read
// from the alerts themselves, so a restart or a second node neither repeats nor forgets one.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <thread>

#include "alerts.hpp"
#include "aws_connection.hpp"
#include "pipeline_health.hpp"

namespace sesami::store {
class store;
}

namespace sesami::app {

class silence_alerts {
 public:
  /// `aws` may be null (no connection: the findings' advice is the simulator's / SNS's).
  silence_alerts(store::store& st, pipeline_health& health, alerts& a, aws_connection_service* aws,
                 std::int64_t every_ms = 60'000);
  ~silence_alerts();
  silence_alerts(const silence_alerts&) = delete;
  silence_alerts& operator=(const silence_alerts&) = delete;

  /// One round over every workspace at `now` (ms); the thread's step, and the tests'.
  void check(std::int64_t now);
  /// One workspace: raises what is silent, resolves what is no longer.
  void check_workspace(std::string_view workspace, std::int64_t now);

  void start();
  void stop();

 private:
  store::store& st_;
  pipeline_health& health_;
  alerts& alerts_;
  aws_connection_service* aws_;
  std::int64_t every_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

/// The dedupe key of a finding's alert.
std::string silence_alert_key(const silence_finding& f);

}  // namespace sesami::app
