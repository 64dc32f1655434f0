// mail_bench: the cost SESami adds to a send, measured in one process against the direct call.
//   reference: simulator.send() — the transport alone (what a caller of SES would pay anyway);
//   use case:  mailer.send() — JSON parsing, validation, the suppression check, the attempt record
//              before and after, the rate token, then the same transport call.
// The HTTP path on top is measured by bench/mail_bench.sh (http_load against `sesami serve`).
// Prints one JSON line with p50/p95 in microseconds for both and their ratio.
//   mail_bench [--sends N] [--dir DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <sodium.h>
#include <unistd.h>

#include "app/import.hpp"
#include "app/mail.hpp"
#include "app/simulator.hpp"
#include "store/mail_store.hpp"

using namespace sesami;
namespace fs = std::filesystem;

namespace {
struct pct {
  double p50, p95;
};
pct percentiles(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v[v.size() * 95 / 100]};
}
}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 2000;
  fs::path dir = fs::temp_directory_path() / ("sesami-mail-bench-" + std::to_string(getpid()));
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--sends") n = std::stoul(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
  }
  fs::create_directories(dir);
  store::open_options so;
  so.path = (dir / "bench.db").string();
  auto st = store::open_sqlite(so);
  auto md = st ? store::open_sqlite_mail(so.path)
               : store::result<std::unique_ptr<store::mail_store>>(st.error());
  if (!st || !md) {
    std::fprintf(stderr, "mail_bench: cannot open %s\n", so.path.c_str());
    return 2;
  }
  (void)(*st)->ensure_workspace("bench");
  app::simulator_options simo;
  simo.max_send_rate = 1e9;  // no throttling: the cost, not the quota, is measured
  app::simulator sim(**st, simo);
  app::local_rate_limiter limiter;
  app::mail_options mo;
  mo.bulk_worker = false;
  mo.public_url = "https://sesami.example.com";
  app::secret_key key{};  // a throwaway server key: the bench's database lives for one run
  randombytes_buf(key.data(), key.size());
  const app::secret_box box(app::database_key(key));
  app::mailer mailer(
      **st, **md, limiter,
      [&sim](std::string_view) -> app::outcome<app::transport_choice> {
        return app::transport_choice{&sim, "bench", "simulator", 1e9};
      },
      box, mo);

  app::outgoing_mail direct;
  direct.from = "shop@example.com";
  direct.to = {"reader@example.org"};
  direct.simple = app::simple_content{"Your receipt", "Thanks for your order.", "", {}};
  direct.configuration_set = "bench";
  const std::string body =
      R"({"from":"shop@example.com","to":["reader@example.org"],"subject":"Your receipt",)"
      R"("text":"Thanks for your order.","correlationId":"order-1","tags":{"kind":"receipt"}})";

  using clock = std::chrono::steady_clock;
  auto us = [](clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); };
  std::vector<double> ref, uc;
  // Interleaved so that background ingestion of the simulator's events weighs on both alike.
  for (std::size_t i = 0; i < n + 100; ++i) {
    const auto t0 = clock::now();
    auto a = sim.send("bench", direct);
    const auto t1 = clock::now();
    auto b = mailer.send("bench", body, "");
    const auto t2 = clock::now();
    if (!a || !b.code.empty()) {
      std::fprintf(stderr, "mail_bench: send failed: %s\n", b.body.c_str());
      return 1;
    }
    if (i >= 100) ref.push_back(us(t1 - t0)), uc.push_back(us(t2 - t1));  // 100 warm-up rounds
  }
  const auto r = percentiles(ref), u = percentiles(uc);
  std::printf(
      "{\"sends\":%zu,\"direct\":{\"p50Us\":%.1f,\"p95Us\":%.1f},\"useCase\":{\"p50Us\":%.1f,"
      "\"p95Us\":%.1f},\"addedP50Us\":%.1f,\"addedP95Us\":%.1f}\n",
      n, r.p50, r.p95, u.p50, u.p95, u.p50 - r.p50, u.p95 - r.p95);
  mailer.stop();
  sim.stop();
  fs::remove_all(dir);
  return 0;
}
