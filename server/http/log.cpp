#include "log.hpp"

#include <chrono>
#include <string>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

#include <sesami/ascii.hpp>
#include <sesami/detail/iso8601.hpp>

namespace sesami::http::log {
namespace {
std::shared_ptr<spdlog::logger> logger() {
  if (auto l = spdlog::get("sesami")) return l;
  // A first use before init(): still JSON, still on stderr.
  auto l = spdlog::stderr_logger_mt("sesami");
  l->set_pattern("%v");
  return l;
}

void redact(boost::json::value& v) {
  if (auto* o = v.if_object()) {
    for (auto& kv : *o) {
      if (is_secret(kv.key()))
        kv.value() = "[redacted]";
      else
        redact(kv.value());
    }
  } else if (auto* a = v.if_array()) {
    for (auto& e : *a) redact(e);
  }
}
}  // namespace

void init(spdlog::level::level_enum level) {
  auto l = logger();
  l->set_level(level);
  l->flush_on(spdlog::level::info);
}

bool enabled(spdlog::level::level_enum level) noexcept { return logger()->should_log(level); }

bool is_secret(std::string_view name) noexcept {
  std::string n;
  for (char c : name)
    if (c != '-' && c != '_') n.push_back(ascii_lower(c));
  static constexpr std::string_view words[] = {"authorization", "cookie", "password",
                                               "token",         "apikey", "secret",
                                               "signature",     "csrf",   "session"};
  for (auto w : words)
    if (n.find(w) != std::string::npos) return true;
  return false;
}

void write(spdlog::level::level_enum level, std::string_view msg, boost::json::object fields) {
  auto l = logger();
  if (!l->should_log(level)) return;
  boost::json::value f(std::move(fields));
  redact(f);
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  boost::json::object line;
  line["ts"] = sesami::detail::format_iso8601(now);
  line["level"] = std::string_view(spdlog::level::to_string_view(level).data(),
                                   spdlog::level::to_string_view(level).size());
  line["msg"] = msg;
  for (auto& kv : f.as_object()) line[kv.key()] = std::move(kv.value());
  l->log(level, "{}", boost::json::serialize(line));
}

}  // namespace sesami::http::log
