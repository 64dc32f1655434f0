#pragma once
// Counters for GET /metrics in Prometheus' text format: requests and latencies per route pattern,
// events ingested by source and type, rejects by reason, requests in flight.
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace sesami::http {

class metrics {
 public:
  void record_request(std::string_view method, std::string_view route, unsigned status,
                      double seconds);
  void add_events(std::string_view source, std::string_view type, std::uint64_t n);
  void add_reject(std::string_view reason);
  void in_flight_add(int delta) noexcept { in_flight_.fetch_add(delta, std::memory_order_relaxed); }
  void connections_add(int delta) noexcept {
    connections_.fetch_add(delta, std::memory_order_relaxed);
  }

  /// The exposition text (version 0.0.4).
  std::string render() const;

  static constexpr std::array<double, 12> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct latency {
    std::array<std::uint64_t, buckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t, std::less<>> requests_;  // "method|route|status"
  std::map<std::string, latency, std::less<>> latencies_;       // "route"
  std::map<std::string, std::uint64_t, std::less<>> events_;    // "source|type"
  std::map<std::string, std::uint64_t, std::less<>> rejects_;   // "reason"
  std::atomic<int> in_flight_{0};
  std::atomic<int> connections_{0};
};

}  // namespace sesami::http
