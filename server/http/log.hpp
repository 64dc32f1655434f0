#pragma once
// Structured logs: one JSON object per line on stderr, through spdlog. Secrets never reach them:
// fields whose names say "secret" (tokens, keys, passwords, cookies, Authorization) are replaced
// before formatting, and request paths are logged as their route pattern, not their text.
#include <string_view>

#include <spdlog/common.h>
#include <boost/json/object.hpp>

namespace sesami::http::log {

/// Sets up the "sesami" logger (stderr, one JSON object per line) at the given level.
void init(spdlog::level::level_enum level);

/// True for field names that carry credentials: authorization, cookie, password, token, apiKey ...
bool is_secret(std::string_view field_name) noexcept;

/// Writes {"ts","level","msg",...fields} with secret fields redacted.
void write(spdlog::level::level_enum level, std::string_view msg, boost::json::object fields = {});
inline void info(std::string_view msg, boost::json::object f = {}) {
  write(spdlog::level::info, msg, std::move(f));
}
inline void warn(std::string_view msg, boost::json::object f = {}) {
  write(spdlog::level::warn, msg, std::move(f));
}
inline void error(std::string_view msg, boost::json::object f = {}) {
  write(spdlog::level::err, msg, std::move(f));
}
bool enabled(spdlog::level::level_enum level) noexcept;

}  // namespace sesami::http::log
