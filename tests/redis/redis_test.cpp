// The state nodes share through Redis (issue #8), against the real Redis CI starts on
// 127.0.0.1:6379 (SESAMI_TEST_REDIS overrides): two clients stand for two nodes. Every test uses
// fresh random names, so runs and parallel tests never see each other's keys.
#include "../../server/store/redis/client.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

#include <sodium.h>
#include <catch2/catch.hpp>

#include "../../server/store/redis/credential_cache.hpp"
#include "../../server/store/redis/rate_limiter.hpp"
#include "../../server/store/redis/sns_dedupe.hpp"
#include "print.hpp"

using namespace sesami;
using namespace std::chrono_literals;

namespace {

redis::config shared_redis() {
  const char* env = std::getenv("SESAMI_TEST_REDIS");
  auto c = redis::parse_url(env && *env ? env : "redis://127.0.0.1:6379");
  REQUIRE(c);
  return *c;
}

std::string random_name(std::string_view prefix) {
  REQUIRE(sodium_init() >= 0);
  unsigned char b[8];
  randombytes_buf(b, sizeof b);
  return std::string(prefix) + redis::hex(std::string_view(reinterpret_cast<char*>(b), sizeof b));
}

redis::secret_key random_key() {
  redis::secret_key k;
  randombytes_buf(k.data(), k.size());
  return k;
}

aws::assumed_role sample_role(std::chrono::system_clock::time_point expires) {
  aws::assumed_role r;
  r.creds.access_key_id = "ASIAEXAMPLEKEYID0001";
  r.creds.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY";
  r.creds.session_token = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";
  r.creds.expires = std::chrono::time_point_cast<std::chrono::seconds>(expires);
  r.assumed_role_arn = "arn:aws:sts::123456789012:assumed-role/SESamiAccess/sesami-acme";
  r.account_id = "123456789012";
  return r;
}

// A port no Redis listens on (privileged: nothing of ours binds it).
redis::config unreachable() {
  redis::config c;
  c.port = 1;
  c.connect_timeout = 200ms;
  return c;
}

}  // namespace

TEST_CASE("client: URL parsing keeps the password out of the redacted form", "[redis][client]") {
  auto c = redis::parse_url("redis://:p%40ss:word@cache.internal:6380/3");
  REQUIRE(c);
  CHECK(c->host == "cache.internal");
  CHECK(c->port == 6380);
  CHECK(c->db == 3);
  CHECK(c->password == "p@ss:word");
  CHECK(c->user.empty());
  CHECK(redis::redacted(*c) == "redis://cache.internal:6380/3");
  auto u = redis::parse_url("redis://app:pw@h");
  REQUIRE(u);
  CHECK(u->user == "app");
  CHECK(u->port == 6379);
  CHECK_FALSE(redis::parse_url("http://h:6379"));
  CHECK_FALSE(redis::parse_url("redis://h:99999"));
  CHECK_FALSE(redis::parse_url("redis://h/x"));
  CHECK_FALSE(redis::parse_url("redis://"));
}

TEST_CASE("client: RESP errors are results, a dead server a transport error", "[redis][client]") {
  redis::client c(shared_redis());
  auto pong = c.command({"PING"});
  REQUIRE(pong);
  CHECK(pong->str == "PONG");
  CHECK(c.available());
  const auto k = random_name("sesami:test:");
  REQUIRE(c.command({"SET", k, "x", "EX", "60"}));
  auto wrong = c.command({"HGET", k, "f"});  // WRONGTYPE
  REQUIRE_FALSE(wrong);
  CHECK_FALSE(wrong.error().transport);
  CHECK(wrong.error().message.rfind("WRONGTYPE", 0) == 0);
  CHECK(c.available());  // an error reply is not an outage

  int changes = 0;
  redis::client dead(unreachable(), [&](bool, std::string_view) { ++changes; });
  auto r = dead.command({"PING"});
  REQUIRE_FALSE(r);
  CHECK(r.error().transport);
  CHECK_FALSE(dead.available());
  (void)dead.command({"PING"});  // within the backoff: fails fast, no second transition
  CHECK(changes == 1);
}

TEST_CASE("cache: two nodes share the sealed credential cache", "[redis][cache]") {
  redis::client node_a(shared_redis()), node_b(shared_redis());
  const auto key = random_key();
  std::vector<std::string> logged;
  auto log = [&](int, std::string_view msg, std::string_view detail) {
    logged.push_back(std::string(msg) + " " + std::string(detail));
  };
  redis::credential_cache a(node_a, key, log), b(node_b, key, log);
  const auto ws = random_name("ws-");
  const auto ck = aws::cache_key(ws, "arn:aws:iam::123456789012:role/SESamiAccess", "ext-42");
  const auto role = sample_role(std::chrono::system_clock::now() + 1h);

  CHECK_FALSE(b.get(ck));
  a.put(ck, role);
  auto got = b.get(ck);
  REQUIRE(got);
  CHECK(got->creds.access_key_id == role.creds.access_key_id);
  CHECK(got->creds.secret_access_key == role.creds.secret_access_key);
  CHECK(got->creds.session_token == role.creds.session_token);
  CHECK(got->creds.expires == role.creds.expires);
  CHECK(got->assumed_role_arn == role.assumed_role_arn);
  CHECK(got->account_id == role.account_id);

  // At rest: neither the name nor the value shows the role, the workspace or a secret.
  const auto name = a.redis_key(ck);
  CHECK(name == b.redis_key(ck));
  CHECK(name.find("arn") == std::string::npos);
  CHECK(name.find(ws) == std::string::npos);
  auto raw = node_a.command({"GET", name});
  REQUIRE(raw);
  REQUIRE(raw->type == redis::reply::kind::string);
  for (std::string_view clear :
       {std::string_view(role.creds.secret_access_key), std::string_view(role.creds.session_token),
        std::string_view(role.creds.access_key_id), std::string_view("SESamiAccess"),
        std::string_view("accessKeyId")})
    CHECK(raw->str.find(clear) == std::string::npos);
  // TTL = the credentials' expiry.
  auto ttl = node_a.command({"PTTL", name});
  REQUIRE(ttl);
  CHECK(ttl->integer > 3590 * 1000);
  CHECK(ttl->integer <= 3600 * 1000);

  SECTION("another key reads a miss") {
    redis::credential_cache other(node_b, random_key(), log);
    CHECK_FALSE(other.get(ck));
  }
  SECTION("a tampered entry is a miss, logged without content") {
    std::string bad = raw->str;
    bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x01);
    REQUIRE(node_a.command({"SET", name, bad, "EX", "60"}));
    CHECK_FALSE(b.get(ck));
    REQUIRE(logged.size() == 1);
    CHECK(logged[0].find("did not decrypt") != std::string::npos);
    CHECK(logged[0].find(role.creds.secret_access_key) == std::string::npos);
  }
  SECTION("an entry copied under another key's name does not open") {
    const auto ck2 = aws::cache_key(ws, "arn:aws:iam::123456789012:role/Other", "ext-42");
    REQUIRE(node_a.command({"SET", a.redis_key(ck2), raw->str, "EX", "60"}));
    CHECK_FALSE(b.get(ck2));
    CHECK(logged.size() == 1);
  }
  SECTION("erase on one node is seen by the other") {
    b.erase(ck);
    CHECK_FALSE(a.get(ck));
  }
  SECTION("expired credentials are not stored") {
    const auto ck3 = aws::cache_key(ws, "arn:aws:iam::123456789012:role/Old", "x");
    a.put(ck3, sample_role(std::chrono::system_clock::now() - 1min));
    auto none = node_a.command({"EXISTS", a.redis_key(ck3)});
    REQUIRE(none);
    CHECK(none->integer == 0);
  }
  (void)node_a.command({"DEL", name});
}

TEST_CASE("cache: answers from memory while Redis is unreachable", "[redis][cache]") {
  redis::client dead(unreachable());
  redis::credential_cache c(dead, random_key());
  const auto role = sample_role(std::chrono::system_clock::now() + 1h);
  c.put("k", role);
  CHECK_FALSE(dead.available());
  auto got = c.get("k");
  REQUIRE(got);
  CHECK(got->creds.secret_access_key == role.creds.secret_access_key);
  c.erase("k");
  CHECK_FALSE(c.get("k"));
}

TEST_CASE("bucket: two limiters share one bucket", "[redis][bucket]") {
  redis::client node_a(shared_redis()), node_b(shared_redis());
  redis::rate_limiter a(node_a), b(node_b);
  const auto bucket = random_name("test:");
  const double rate = 40;  // capacity = one second's worth
  int taken = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 1500ms) {
    for (auto* l : {&a, &b}) {
      const auto wait = l->try_acquire(bucket, rate);
      if (wait.count() == 0) {
        ++taken;
      } else {
        CHECK(static_cast<double>(wait.count()) <= 1000 / rate + 1);
      }
    }
    std::this_thread::sleep_for(2ms);
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("taken " << taken << " in " << elapsed << " s");
  // Shared: at most rate × time + capacity across both; two local buckets would allow twice it.
  CHECK(taken <= rate * elapsed + rate + 1);
  // And the bucket really refills (not a bucket stuck empty).
  CHECK(taken >= rate + rate * 0.5);
  CHECK(a.fallbacks() == 0);
  CHECK(b.fallbacks() == 0);

  SECTION("n tokens at once, and a wait when the bucket lacks them") {
    const auto k2 = random_name("test:");
    CHECK(a.try_acquire(k2, 10, 10).count() == 0);
    const auto wait = b.try_acquire(k2, 10, 5);
    CHECK(wait.count() > 0);
    CHECK(wait.count() <= 501);
  }
  SECTION("the script is loaded again after SCRIPT FLUSH (NOSCRIPT)") {
    REQUIRE(node_a.command({"SCRIPT", "FLUSH"}));
    CHECK(a.try_acquire(random_name("test:"), 5).count() == 0);
    CHECK(a.fallbacks() == 0);
  }
  SECTION("the bucket expires once it would be full again") {
    auto ttl = node_a.command({"PTTL", "sesami:bucket:" + bucket});
    REQUIRE(ttl);
    CHECK(ttl->integer > 0);
    CHECK(ttl->integer <= 2000);
  }
}

TEST_CASE("bucket: the limiter falls back to a local bucket", "[redis][bucket]") {
  redis::client dead(unreachable());
  redis::rate_limiter l(dead);
  int taken = 0;
  for (int i = 0; i < 20; ++i) taken += l.try_acquire("k", 5).count() == 0;
  CHECK(taken == 5);  // still a bucket: capacity 5, no time to refill
  CHECK(l.fallbacks() == 20);
}

TEST_CASE("dedupe: SNS MessageIds seen on one node are duplicates on another", "[redis][dedupe]") {
  redis::client node_a(shared_redis()), node_b(shared_redis());
  redis::sns_dedupe a(node_a), b(node_b);
  const auto ws = random_name("ws-");
  const auto id = random_name("msg-");
  CHECK_FALSE(a.seen(ws, id));
  CHECK_FALSE(b.seen(ws, id));
  a.remember(ws, id);
  CHECK(b.seen(ws, id));
  CHECK_FALSE(b.seen(ws + "-other", id));  // per workspace
  CHECK_FALSE(b.seen(ws, id + "-other"));
  // Remembered for 24 h; a second remember (SET NX) leaves the first one's expiry alone.
  auto ttl = node_a.command({"TTL", a.redis_key(ws, id)});
  REQUIRE(ttl);
  CHECK(ttl->integer > 86000);
  CHECK(ttl->integer <= 86400);
  CHECK(a.redis_key(ws, id).find(id) == std::string::npos);
  SECTION("unreachable Redis: unknown, never a duplicate") {
    redis::client dead(unreachable());
    redis::sns_dedupe d(dead);
    d.remember(ws, id);
    CHECK_FALSE(d.seen(ws, id));
  }
}
