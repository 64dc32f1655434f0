// Core benchmarks (issue #2). Every timed path checks its answer against a reference before the
// timing starts, and every figure has a reference measured in the same process:
//   parse        sesami::parse_batch over demo JSON Lines   vs  boost::json::parse of each line
//   query        select + aggregate on the columnar batch    vs  the row-wise reference over
//                                                                 std::vector<event>, and a plain
//                                                                 read of the columns it touches
//   wire         encode / decode of the 1 M-event batch
// The corpus comes from <sesami/demo.hpp> (realistic SES payloads, seeded), parsed by the real
// parser: nothing here is hand-shaped for the code it measures.
//
//   cmake --preset release && cmake --build --preset release --target sesami_bench
//   build/release/bench/sesami_bench --benchmark_counters_tabular=true
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>

#include <sesami/aggregate.hpp>
#include <sesami/aggregate_json.hpp>
#include <sesami/batch.hpp>
#include <sesami/demo.hpp>
#include <sesami/filter.hpp>
#include <sesami/json_src.hpp>  // this executable's one copy of Boost.JSON
#include <sesami/parse.hpp>

#include "reference_aggregate.hpp"

namespace {

/// Per-benchmark minimum run time: `fallback` seconds (long enough for steady figures), or
/// SESAMI_BENCH_MIN_TIME when set — `bench/run --quick` sets it, because a per-benchmark MinTime
/// overrides the command line's --benchmark_min_time.
double min_time(double fallback) {
  const char* env = std::getenv("SESAMI_BENCH_MIN_TIME");
  if (env == nullptr || *env == '\0') return fallback;
  char* end = nullptr;
  const double v = std::strtod(env, &end);
  return (end != nullptr && *end == '\0' && v > 0.0) ? v : fallback;
}
using namespace sesami;

// ---- corpora (built once, outside any timing) ------------------------------------------------

struct text_corpus {
  std::string jsonl;
  std::size_t events = 0;  // what parse_batch yields from it
};

/// ~50 000 events of demo payloads as JSON Lines (SNS envelopes, EventBridge, classic).
const text_corpus& parse_corpus() {
  static const text_corpus c = [] {
    text_corpus t;
    demo::generator g({.seed = 1, .events = 50'000});
    std::string payload;
    while (g.next(payload)) {
      t.jsonl += payload;
      t.jsonl += '\n';
    }
    t.events = parse_batch(t.jsonl).events.size();
    return t;
  }();
  return c;
}

constexpr std::size_t million = 1'000'000;

struct event_corpus {
  std::vector<event> events;  // for the row-wise reference
  batch columns;
};

/// Exactly one million parsed demo events, 90 days, streamed payload by payload.
const event_corpus& big_corpus() {
  static const event_corpus c = [] {
    event_corpus e;
    demo::generator g({.seed = 7, .events = million + million / 5});
    std::string payload;
    e.events.reserve(million);
    while (e.events.size() < million && g.next(payload)) {
      auto r = parse_document(payload);
      if (!r) continue;
      for (auto& ev : *r)
        if (e.events.size() < million) e.events.push_back(std::move(ev));
    }
    e.columns = make_batch(e.events).value();
    return e;
  }();
  return c;
}

// ---- the queries a dashboard sends -------------------------------------------------------------

struct query {
  const char* name;
  filter f;
  aggregate_options o;
};
std::vector<query> queries() {
  // "Now" is the corpus' last event, rounded up to the hour, like a dashboard opened after it.
  std::int64_t end = 0;
  for (auto t : big_corpus().columns.timestamp) end = std::max(end, t);
  end = (end / 3'600'000 + 1) * 3'600'000;
  const std::int64_t day = 86'400'000;
  std::vector<query> q;
  {  // Overview: the last 30 days, people only, per day.
    query x{"overview_30d_human_day", {}, {}};
    x.f.from = end - 30 * day;
    x.f.to = end;
    x.f.machine = machine_filter::exclude;
    x.o.bucket = bucket_kind::day;
    q.push_back(x);
  }
  {  // Who bounced at Gmail, per ISO week in Central European time.
    query x{"bounced_gmail_week_cet", {}, {}};
    x.f.statuses = {delivery_status::bounced, delivery_status::complained};
    x.f.recipients = {"@gmail.com"};
    x.o.bucket = bucket_kind::week;
    x.o.offset_minutes = 60;
    q.push_back(x);
  }
  {  // Everything, per month.
    query x{"all_month", {}, {}};
    x.o.bucket = bucket_kind::month;
    q.push_back(x);
  }
  {  // Hourly over a week, a campaign tag and engagement types.
    query x{"campaign_engagement_7d_hour", {}, {}};
    x.f.from = end - 7 * day;
    x.f.to = end;
    x.f.types = {event_type::delivery, event_type::open, event_type::click};
    x.f.configuration_sets = {"marketing"};
    x.o.bucket = bucket_kind::hour;
    q.push_back(x);
  }
  for (auto& x : q) {
    if (!x.o.from) x.o.from = x.f.from;
    if (!x.o.to) x.o.to = x.f.to;
  }
  return q;
}

// Seconds per iteration of the columnar run of each query, for the reference's ratio counter.
std::map<std::string, double>& columnar_seconds() {
  static std::map<std::string, double> m;
  return m;
}

double seconds_per_iteration(const benchmark::State& state, std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count() / static_cast<double>(state.iterations());
}

// ---- parse -------------------------------------------------------------------------------------

void BM_parse_jsonl(benchmark::State& state) {
  const auto& c = parse_corpus();
  if (parse_batch(c.jsonl).diagnostics.size() != 0) state.SkipWithError("demo corpus rejected");
  for (auto _ : state) {
    auto r = parse_batch(c.jsonl);
    benchmark::DoNotOptimize(r.events.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.jsonl.size()));
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * c.events), benchmark::Counter::kIsRate);
  state.counters["MB"] = static_cast<double>(c.jsonl.size()) / 1e6;
}
BENCHMARK(BM_parse_jsonl)->Unit(benchmark::kMillisecond)->MinTime(min_time(2.0));

/// Reference: Boost.JSON's DOM parse of each line, nothing else (no normalization).
void BM_parse_reference_boost_json_dom(benchmark::State& state) {
  const auto& c = parse_corpus();
  for (auto _ : state) {
    std::size_t start = 0;
    while (start < c.jsonl.size()) {
      const std::size_t nl = c.jsonl.find('\n', start);
      boost::system::error_code ec;
      auto v = boost::json::parse(std::string_view(c.jsonl).substr(start, nl - start), ec);
      benchmark::DoNotOptimize(v);
      start = nl + 1;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.jsonl.size()));
}
BENCHMARK(BM_parse_reference_boost_json_dom)->Unit(benchmark::kMillisecond)->MinTime(min_time(2.0));

// ---- filter + aggregate ------------------------------------------------------------------------

void BM_filter_aggregate(benchmark::State& state, const query& q) {
  const auto& c = big_corpus();
  {  // The answer first: the columnar result must equal the row-wise reference's.
    const auto got = aggregate(c.columns, select(c.columns, q.f), q.o);
    const auto want =
        testing::reference_aggregate(c.events, testing::reference_select(c.events, q.f), q.o);
    if (!got || *got != want || to_json(*got) != to_json(want)) {
      state.SkipWithError("columnar aggregation differs from the reference");
      return;
    }
  }
  std::size_t selected = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const selection sel = select(c.columns, q.f);
    auto a = aggregate(c.columns, sel, q.o);
    selected = sel.size();
    benchmark::DoNotOptimize(a);
  }
  columnar_seconds()[q.name] = seconds_per_iteration(state, std::chrono::steady_clock::now() - t0);
  state.counters["events"] = static_cast<double>(c.columns.size());
  state.counters["selected"] = static_cast<double>(selected);
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * c.columns.size()), benchmark::Counter::kIsRate);
}

void BM_select_only(benchmark::State& state, const query& q) {
  const auto& c = big_corpus();
  for (auto _ : state) {
    auto sel = select(c.columns, q.f);
    benchmark::DoNotOptimize(sel.data());
  }
}

/// Reference: the same query row by row over std::vector<event> (strings, hash sets).
void BM_reference_rowwise(benchmark::State& state, const query& q) {
  const auto& c = big_corpus();
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto a = testing::reference_aggregate(c.events, testing::reference_select(c.events, q.f), q.o);
    benchmark::DoNotOptimize(a);
  }
  const double s = seconds_per_iteration(state, std::chrono::steady_clock::now() - t0);
  if (const auto it = columnar_seconds().find(q.name); it != columnar_seconds().end())
    state.counters["x_columnar"] = s / it->second;
}

/// Reference: a plain read of the bytes the columnar query touches per event (timestamp, type,
/// flags, pair, domain, link, pair_link, recipient: 34 bytes), summed: the memory-bound floor.
void BM_reference_column_read(benchmark::State& state) {
  const auto& b = big_corpus().columns;
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < b.size(); ++i)
      sum += static_cast<std::uint64_t>(b.timestamp[i]) + b.type[i] + b.flags[i] + b.pair[i] +
             b.domain[i] + b.link[i] + b.pair_link[i] + b.recipient[i];
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size() * 34));
  // How many times this floor the unfiltered query takes.
  const double floor = seconds_per_iteration(state, std::chrono::steady_clock::now() - t0);
  if (const auto it = columnar_seconds().find("all_month"); it != columnar_seconds().end())
    state.counters["all_month_x"] = it->second / floor;
}

// ---- wire
// ----------------------------------------------------------------------------------------

void BM_encode(benchmark::State& state) {
  const auto& b = big_corpus().columns;
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto s = encode(b);
    bytes = s.size();
    benchmark::DoNotOptimize(s.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
}

void BM_decode(benchmark::State& state) {
  const auto& b = big_corpus().columns;
  const std::string bytes = encode(b);
  if (auto d = decode(bytes); !d || *d != b) {
    state.SkipWithError("decode(encode(b)) != b");
    return;
  }
  for (auto _ : state) {
    auto d = decode(bytes);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

void BM_build_batch(benchmark::State& state) {
  const auto& c = big_corpus();
  for (auto _ : state) {
    auto b = make_batch(c.events);
    benchmark::DoNotOptimize(b);
  }
  state.counters["events/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * c.events.size()), benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  static const auto qs = queries();
  for (const auto& q : qs)
    benchmark::RegisterBenchmark((std::string("BM_filter_aggregate/") + q.name).c_str(),
                                 BM_filter_aggregate, q)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(min_time(1.0));
  for (const auto& q : qs)
    benchmark::RegisterBenchmark((std::string("BM_select_only/") + q.name).c_str(), BM_select_only,
                                 q)
        ->Unit(benchmark::kMillisecond);
  for (const auto& q : qs)
    benchmark::RegisterBenchmark((std::string("BM_reference_rowwise/") + q.name).c_str(),
                                 BM_reference_rowwise, q)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3);
  benchmark::RegisterBenchmark("BM_reference_column_read", BM_reference_column_read)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_build_batch", BM_build_batch)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(3);
  benchmark::RegisterBenchmark("BM_encode", BM_encode)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_decode", BM_decode)->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
