#include "rate_limiter.hpp"

#include <cstdio>

#include <openssl/sha.h>

namespace sesami::redis {
namespace {
// KEYS[1] bucket; ARGV[1] rate per second, ARGV[2] tokens wanted. Answers 0 (taken) or the
// milliseconds until they will be there. Same arithmetic as app::local_rate_limiter. Times in
// microseconds, written with %.0f: Lua's tostring keeps only 14 digits.
constexpr std::string_view script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rate = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local cap = math.max(rate, n)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then tokens = cap; at = now end
local elapsed = math.max(0, now - at) / 1000000
tokens = math.min(cap, tokens + elapsed * rate)
local wait = 0
if tokens >= n then tokens = tokens - n else wait = math.floor((n - tokens) / rate * 1000) + 1 end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate * 1000) + 1000)
return wait
)lua";
}  // namespace

rate_limiter::rate_limiter(client& redis, std::string prefix)
    : redis_(redis), prefix_(std::move(prefix)) {
  unsigned char h[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(script.data()), script.size(), h);
  sha_ = hex(std::string_view(reinterpret_cast<const char*>(h), sizeof h));
}

std::chrono::milliseconds rate_limiter::try_acquire(std::string_view key, double per_second,
                                                    double n) {
  if (per_second <= 0) return std::chrono::milliseconds(0);
  char rate[32], want[32];
  std::snprintf(rate, sizeof rate, "%.17g", per_second);
  std::snprintf(want, sizeof want, "%.17g", n);
  const std::string bucket = prefix_ + std::string(key);
  auto r = redis_.command({"EVALSHA", sha_, "1", bucket, rate, want});
  if (!r && !r.error().transport && r.error().message.rfind("NOSCRIPT", 0) == 0)
    r = redis_.command({"EVAL", script, "1", bucket, rate, want});
  if (r && r->type == reply::kind::integer) return std::chrono::milliseconds(r->integer);
  ++fallbacks_;
  return local_.try_acquire(key, per_second, n);
}

}  // namespace sesami::redis
