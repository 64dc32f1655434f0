// Redis (issue #8): what sharing costs. In one process and one run, each next to its in-process
// reference: a shared-bucket acquisition (EVALSHA of the Lua bucket) vs app::local_rate_limiter,
// and a sealed credential-cache hit (GET + XChaCha20-Poly1305 open + JSON) vs the memory cache;
// a bare PING gives the round trip both pay. Single thread, loopback Redis.
//   redis_bench [N] [redis://…]   (default 20000, SESAMI_TEST_REDIS or redis://127.0.0.1:6379)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../server/store/redis/client.hpp"
#include "../server/store/redis/credential_cache.hpp"
#include "../server/store/redis/rate_limiter.hpp"

using namespace sesami;
using clk = std::chrono::steady_clock;

namespace {
template <class F>
double mean_us(int n, F&& f) {
  for (int i = 0; i < n / 10; ++i) f(i);  // warm-up
  const auto t0 = clk::now();
  for (int i = 0; i < n; ++i) f(i);
  return std::chrono::duration<double, std::micro>(clk::now() - t0).count() / n;
}
}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  const char* env = std::getenv("SESAMI_TEST_REDIS");
  auto cfg = redis::parse_url(argc > 2 ? argv[2] : (env && *env ? env : "redis://127.0.0.1:6379"));
  if (!cfg) {
    std::fprintf(stderr, "redis_bench: %s\n", cfg.error().c_str());
    return 2;
  }
  redis::client c(*cfg);
  if (!c.probe()) {
    std::fprintf(stderr, "redis_bench: Redis unreachable at %s\n", redis::redacted(*cfg).c_str());
    return 2;
  }
  int failed = 0;
  const double ping = mean_us(n, [&](int) { failed += !c.command({"PING"}); });

  // Buckets: a rate so high every acquisition succeeds (the cost, not the waiting, is measured).
  app::local_rate_limiter local;
  redis::rate_limiter shared(c, "sesami:bench:bucket:");
  const double local_bucket =
      mean_us(n, [&](int) { failed += local.try_acquire("k", 1e9).count() != 0; });
  const double shared_bucket =
      mean_us(n, [&](int) { failed += shared.try_acquire("k", 1e9).count() != 0; });

  // Cache hits.
  aws::assumed_role role;
  role.creds.access_key_id = "ASIAEXAMPLEKEYID0001";
  role.creds.secret_access_key = std::string(40, 's');
  role.creds.session_token = std::string(400, 't');  // STS session tokens run to hundreds of bytes
  role.creds.expires = std::chrono::time_point_cast<std::chrono::seconds>(
      std::chrono::system_clock::now() + std::chrono::hours(1));
  role.assumed_role_arn = "arn:aws:sts::123456789012:assumed-role/SESamiAccess/sesami-bench";
  role.account_id = "123456789012";
  const auto key = aws::cache_key("bench", "arn:aws:iam::123456789012:role/SESamiAccess", "ext");
  aws::memory_credential_cache memory;
  redis::secret_key k{};
  k.fill(7);
  redis::credential_cache sealed(c, k);
  memory.put(key, role);
  sealed.put(key, role);
  const double memory_hit = mean_us(n, [&](int) { failed += !memory.get(key); });
  const double redis_hit = mean_us(n, [&](int) { failed += !sealed.get(key); });
  sealed.erase(key);
  (void)c.command({"DEL", "sesami:bench:bucket:k"});

  std::printf("redis_bench: %d iterations each, %s, single thread\n", n,
              redis::redacted(*cfg).c_str());
  std::printf("PING round trip                 %8.2f us\n", ping);
  std::printf("bucket: local                   %8.3f us\n", local_bucket);
  std::printf("bucket: shared (Redis Lua)      %8.2f us   ratio %.0fx local, %.2fx PING\n",
              shared_bucket, shared_bucket / local_bucket, shared_bucket / ping);
  std::printf("cache hit: memory               %8.3f us\n", memory_hit);
  std::printf("cache hit: Redis, sealed        %8.2f us   ratio %.0fx memory, %.2fx PING\n",
              redis_hit, redis_hit / memory_hit, redis_hit / ping);
  if (failed) std::fprintf(stderr, "redis_bench: %d operations failed\n", failed);
  return failed ? 1 : 0;
}
