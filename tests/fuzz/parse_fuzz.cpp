// Fuzz target for the parsers: any bytes in, never a crash, a leak, undefined behaviour or an
// exception; and every event that comes out survives to_json → event_from_json unchanged, so the
// contract's two directions cannot drift apart.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <sesami/categorize.hpp>
#include <sesami/identity.hpp>
#include <sesami/json_src.hpp>
#include <sesami/parse.hpp>
#include <sesami/to_json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const sesami::batch_result batch = sesami::parse_batch(input);
  for (const sesami::event& e : batch.events) {
    const std::string json = sesami::to_json_string(e);
    if (json != boost::json::serialize(sesami::to_json(e))) __builtin_trap();
    auto back = sesami::event_from_json(json);
    if (!back || sesami::to_json_string(*back) != json) __builtin_trap();
    if (sesami::event_id(e).size() != 32) __builtin_trap();
    (void)sesami::suppression_reason(e);
  }
  for (const sesami::diagnostic& d : batch.diagnostics)
    if (d.err.code == sesami::errc::ok) __builtin_trap();  // a diagnostic always says why

  (void)sesami::parse_document(input);
  (void)sesami::parse_sns_envelope(input);
  (void)sesami::event_from_json(input);
  (void)sesami::find_enhanced_status(input);
  return 0;
}
