#include "sns_dedupe.hpp"

#include <sodium.h>

namespace sesami::redis {

sns_dedupe::sns_dedupe(client& redis, std::chrono::seconds ttl, std::string prefix)
    : redis_(redis), ttl_(ttl), prefix_(std::move(prefix)) {}

// Hashed: the key stays short whatever the (signature-checked, but external) id holds.
std::string sns_dedupe::redis_key(std::string_view workspace, std::string_view message_id) const {
  crypto_generichash_state st;
  unsigned char h[16];
  crypto_generichash_init(&st, nullptr, 0, sizeof h);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(workspace.data()),
                            workspace.size());
  const unsigned char sep = 0;
  crypto_generichash_update(&st, &sep, 1);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(message_id.data()),
                            message_id.size());
  crypto_generichash_final(&st, h, sizeof h);
  return prefix_ + hex(std::string_view(reinterpret_cast<const char*>(h), sizeof h));
}

bool sns_dedupe::seen(std::string_view workspace, std::string_view message_id) {
  auto r = redis_.command({"EXISTS", redis_key(workspace, message_id)});
  return r && r->type == reply::kind::integer && r->integer == 1;
}

void sns_dedupe::remember(std::string_view workspace, std::string_view message_id) {
  (void)redis_.command(
      {"SET", redis_key(workspace, message_id), "1", "NX", "EX", std::to_string(ttl_.count())});
}

}  // namespace sesami::redis
