#include "metrics.hpp"

#include <cstdio>

namespace sesami::http {
namespace {
// Label values are our own route patterns and names, but escape anyway: the format requires it.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
}  // namespace

void metrics::record_request(std::string_view method, std::string_view route, unsigned status,
                             double seconds) {
  std::string key;
  key.append(method).append("|").append(route).append("|").append(std::to_string(status));
  std::lock_guard lock(mu_);
  ++requests_[key];
  auto it = latencies_.find(route);
  if (it == latencies_.end()) it = latencies_.emplace(std::string(route), latency{}).first;
  auto& l = it->second;
  for (std::size_t i = 0; i < buckets.size(); ++i)
    if (seconds <= buckets[i]) ++l.counts[i];
  ++l.count;
  l.sum += seconds;
}

void metrics::add_events(std::string_view source, std::string_view type, std::uint64_t n) {
  std::string key;
  key.append(source).append("|").append(type);
  std::lock_guard lock(mu_);
  events_[key] += n;
}

void metrics::add_reject(std::string_view reason) {
  std::lock_guard lock(mu_);
  auto it = rejects_.find(reason);
  if (it == rejects_.end()) it = rejects_.emplace(std::string(reason), 0).first;
  ++it->second;
}

std::string metrics::render() const {
  std::string out;
  auto split = [](std::string_view key, std::size_t n, std::string_view* parts) {
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const auto bar = key.find('|');
      parts[i] = key.substr(0, bar);
      key = key.substr(bar + 1);
    }
    parts[n - 1] = key;
  };
  std::lock_guard lock(mu_);
  out += "# HELP sesami_http_requests_total HTTP requests by method, route pattern and status.\n";
  out += "# TYPE sesami_http_requests_total counter\n";
  for (const auto& [k, v] : requests_) {
    std::string_view p[3];
    split(k, 3, p);
    out += "sesami_http_requests_total{method=\"" + label(p[0]) + "\",route=\"" + label(p[1]) +
           "\",status=\"" + std::string(p[2]) + "\"} " + std::to_string(v) + "\n";
  }
  out +=
      "# HELP sesami_http_request_duration_seconds Time from a parsed request to its response.\n";
  out += "# TYPE sesami_http_request_duration_seconds histogram\n";
  for (const auto& [route, l] : latencies_) {
    const std::string r = label(route);
    for (std::size_t i = 0; i < buckets.size(); ++i)
      out += "sesami_http_request_duration_seconds_bucket{route=\"" + r + "\",le=\"" +
             num(buckets[i]) + "\"} " + std::to_string(l.counts[i]) + "\n";
    out += "sesami_http_request_duration_seconds_bucket{route=\"" + r + "\",le=\"+Inf\"} " +
           std::to_string(l.count) + "\n";
    out += "sesami_http_request_duration_seconds_sum{route=\"" + r + "\"} " + num(l.sum) + "\n";
    out += "sesami_http_request_duration_seconds_count{route=\"" + r + "\"} " +
           std::to_string(l.count) + "\n";
  }
  out += "# HELP sesami_events_ingested_total Events committed, by source and event type.\n";
  out += "# TYPE sesami_events_ingested_total counter\n";
  for (const auto& [k, v] : events_) {
    std::string_view p[2];
    split(k, 2, p);
    out += "sesami_events_ingested_total{source=\"" + label(p[0]) + "\",type=\"" + label(p[1]) +
           "\"} " + std::to_string(v) + "\n";
  }
  out += "# HELP sesami_ingest_rejects_total Ingestion requests refused, by reason.\n";
  out += "# TYPE sesami_ingest_rejects_total counter\n";
  for (const auto& [k, v] : rejects_)
    out += "sesami_ingest_rejects_total{reason=\"" + label(k) + "\"} " + std::to_string(v) + "\n";
  out +=
      "# HELP sesami_http_requests_in_flight Requests being handled now (the work queue depth).\n";
  out += "# TYPE sesami_http_requests_in_flight gauge\n";
  out += "sesami_http_requests_in_flight " +
         std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n";
  out += "# HELP sesami_http_connections Open client connections.\n";
  out += "# TYPE sesami_http_connections gauge\n";
  out += "sesami_http_connections " + std::to_string(connections_.load(std::memory_order_relaxed)) +
         "\n";
  return out;
}

}  // namespace sesami::http
