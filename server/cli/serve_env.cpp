#include "serve_env.hpp"

#include <cctype>
#include <filesystem>

namespace sesami::cli {

std::string env_name_of(const std::string& long_name) {
  std::string out = "SESAMI_";
  for (const char c : long_name)
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

void derive_env_names(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    if (opt == app.get_help_ptr() || opt->get_group().empty() || opt->get_lnames().empty())
      continue;
    opt->envname(env_name_of(opt->get_lnames().front()));
  }
}

std::string installed_web_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::canonical("/proc/self/exe", ec);
  if (ec) return {};
  const auto web = exe.parent_path().parent_path() / "share" / "sesami" / "web";
  if (!std::filesystem::is_regular_file(web / "index.html", ec)) return {};
  return web.string();
}

}  // namespace sesami::cli
