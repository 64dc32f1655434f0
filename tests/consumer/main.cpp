// Parses one SES bounce through the installed headers and prints the normalized event.
#include <cstdio>
#include <sesami/json_src.hpp>
#include <sesami/sesami.hpp>

int main() {
  constexpr const char* payload = R"({"eventType":"Bounce","bounce":{"bounceType":"Permanent",
    "bounceSubType":"General","bouncedRecipients":[{"emailAddress":"Jane@Example.com",
    "status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],
    "timestamp":"2026-01-02T03:04:05.678Z"},"mail":{"timestamp":"2026-01-02T03:04:00.000Z",
    "source":"sender@example.com","messageId":"m-1","destination":["jane@example.com"]}})";
  auto events = sesami::parse_document(payload);
  if (!events || events->size() != 1) return 1;
  std::printf("%s\n", sesami::to_json_string(events->front()).c_str());
  return 0;
}
