// `sesami parse` and `sesami aggregate` on an input of any size (issue #21): a generated ~1 GB of
// JSON Lines piped into standard input, under a peak-RSS bound, with the output checked against
// the in-memory core on the small input it repeats. SESAMI_TEST_STREAM_MB sets the size.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>

#include <sesami/aggregate.hpp>
#include <sesami/aggregate_json.hpp>
#include <sesami/batch.hpp>
#include <sesami/parse.hpp>
#include <sesami/to_json.hpp>

#include "../server/support.hpp"
#include "ops.hpp"

using namespace sesami::test;

namespace {
constexpr long rss_bound_kib = 64 * 1024;  // the bound: peak RSS < 64 MiB

/// One line per EventBridge fixture (every event type): the cycle the generator repeats. Each
/// carries 20 kB of a field SESami does not read (as large mail headers do), so that the 1 GB a
/// debug build parses takes seconds, not minutes; the pieces still hold whole lines.
std::string cycle_text() {
  std::string out;
  for (const char* f : {"send", "delivery", "bounce", "complaint", "open", "click", "reject",
                        "delivery-delay", "rendering-failure", "subscription"}) {
    auto doc = boost::json::parse(
        read_file(std::string(SESAMI_FIXTURES_DIR) + "/eventbridge/event-" + f + ".json"));
    doc.as_object()["detail"].as_object()["padding"] = std::string(20000, 'x');
    out += boost::json::serialize(doc);
    out += '\n';
  }
  return out;
}

std::size_t stream_bytes() {
  const char* mb = std::getenv("SESAMI_TEST_STREAM_MB");
  return static_cast<std::size_t>(mb ? std::atol(mb) : 1024) << 20;
}

/// Writes `text` `times` times to fd.
void write_repeated(int fd, const std::string& text, std::size_t times) {
  std::string block;
  while (block.size() < (1u << 20)) block += text;
  const std::size_t per_block = block.size() / text.size();
  for (std::size_t done = 0; done < times;) {
    const std::size_t n = std::min(per_block, times - done);
    std::string_view rest(block.data(), n * text.size());
    while (!rest.empty()) {
      const ssize_t w = ::write(fd, rest.data(), rest.size());
      if (w <= 0) return;
      rest.remove_prefix(static_cast<std::size_t>(w));
    }
    done += n;
  }
}

struct timed {
  spawned r;
  double seconds;
};
timed run_big(const std::string& cmd, const std::string& cycle, std::size_t times,
              const std::function<void(const char*, std::size_t)>& sink) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = spawn_and_wait(
      {SESAMI_BIN, cmd, "-"}, {}, [&](int fd) { write_repeated(fd, cycle, times); }, sink);
  const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
  return {std::move(r), dt.count()};
}
}  // namespace

TEST_CASE("parse: a 1 GB stream in bounded memory, output as the in-memory parse", "[stream]") {
  temp_dir dir;
  const std::string cycle = cycle_text();
  write_file(dir.path / "small.jsonl", cycle);
  // The small file: the command's output is the core's in-memory parse.
  sesami::batch_result mem;
  sesami::parse_batch(cycle, mem);
  REQUIRE(mem.diagnostics.empty());
  std::string want;
  for (const auto& e : mem.events) {
    sesami::append_json(e, want);
    want += '\n';
  }
  auto small = spawn_and_wait({SESAMI_BIN, "parse", (dir.path / "small.jsonl").string()});
  REQUIRE(small.status == 0);
  REQUIRE(small.out == want);

  const std::size_t times = stream_bytes() / cycle.size();
  std::size_t pos = 0, total = 0, mismatches = 0;
  const auto big = run_big("parse", cycle, times, [&](const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      mismatches += p[i] != want[pos];
      if (++pos == want.size()) pos = 0;
    }
    total += n;
  });
  std::printf("sesami parse: %.0f MB in %.1f s (%.0f MB/s), peak RSS %ld KiB\n",
              static_cast<double>(times * cycle.size()) / 1e6, big.seconds,
              static_cast<double>(times * cycle.size()) / 1e6 / big.seconds, big.r.max_rss_kib);
  INFO(big.r.err);
  CHECK(big.r.status == 0);
  CHECK(total == times * want.size());
  CHECK(mismatches == 0);
  CHECK(big.r.max_rss_kib < rss_bound_kib);
}

TEST_CASE("aggregate: a 1 GB stream in bounded memory, output as the in-memory aggregation",
          "[stream]") {
  temp_dir dir;
  const std::string cycle = cycle_text();
  write_file(dir.path / "small.jsonl", cycle);
  const auto parsed = sesami::parse_batch(cycle);
  REQUIRE(parsed.diagnostics.empty());
  const sesami::batch b = *sesami::make_batch(parsed.events);
  const auto one = sesami::aggregate(b, sesami::filter{});
  REQUIRE(one.has_value());
  auto small = spawn_and_wait({SESAMI_BIN, "aggregate", (dir.path / "small.jsonl").string()});
  REQUIRE(small.status == 0);
  REQUIRE(small.out == sesami::to_json(*one) + "\n");

  // The same events `times` over: counts scale, distinct pairs (uniques, statuses, rates) do not.
  const std::size_t times = stream_bytes() / cycle.size();
  sesami::aggregation want = *one;
  const auto k = static_cast<std::uint64_t>(times);
  want.events *= k;
  for (auto& t : want.totals) t *= k;
  for (auto& s : want.series)
    for (auto& v : s) v = static_cast<std::uint32_t>(v * k);
  for (auto* s : {&want.machine_open_series, &want.machine_click_series})
    for (auto& v : *s) v = static_cast<std::uint32_t>(v * k);
  for (auto* e : {&want.opens, &want.clicks}) {
    e->total *= k;
    e->human *= k;
    e->machine *= k;
  }
  for (auto& c : want.bounce_classes) c *= k;
  want.simulator_events *= k;
  for (auto& l : want.top_links) {
    l.clicks *= k;
    l.human_clicks *= k;
  }
  for (auto& d : want.top_bouncing_domains) {
    d.bounces *= k;
    d.hard_bounces *= k;
  }
  std::string out;
  const auto big =
      run_big("aggregate", cycle, times, [&](const char* p, std::size_t n) { out.append(p, n); });
  std::printf("sesami aggregate: %.0f MB in %.1f s (%.0f MB/s), peak RSS %ld KiB\n",
              static_cast<double>(times * cycle.size()) / 1e6, big.seconds,
              static_cast<double>(times * cycle.size()) / 1e6 / big.seconds, big.r.max_rss_kib);
  INFO(big.r.err);
  CHECK(big.r.status == 0);
  CHECK(out == sesami::to_json(want) + "\n");
  CHECK(big.r.max_rss_kib < rss_bound_kib);
}
