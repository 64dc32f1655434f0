#pragma once
// Serves the dashboard's build (web/dist): files under one root, nothing outside it, and
// index.html for client-side routes (single-page app fallback).
#include <filesystem>

#include "router.hpp"

namespace sesami::http {

/// A handler for router::set_fallback. Paths with "..", backslashes, NULs or escapes that decode
/// to separators are refused (404); symlinks that lead out of the root are refused too.
handler static_files(std::filesystem::path root);

}  // namespace sesami::http
