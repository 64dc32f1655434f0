#pragma once
// Serves the dashboard's build (web/dist): files under one root, nothing outside it, and
// index.html for client-side routes (single-page app fallback).
#include <filesystem>

#include "router.hpp"

namespace sesami::http {

/// The dashboard's Content-Security-Policy: its own scripts (and WebAssembly compiled from them),
/// inline style attributes (SolidJS and Chart.js set them), data: images (the favicon), requests
/// to its own origin only; never framed, no <base>, forms post to this origin.
inline constexpr std::string_view dashboard_csp =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'";

/// A handler for router::set_fallback. Paths with "..", backslashes, NULs or escapes that decode
/// to separators are refused (404); symlinks that lead out of the root are refused too; so is
/// every path with a segment starting with '.' (dotfiles: .env, .git/), even as an app route.
/// Answers carry dashboard_csp.
handler static_files(std::filesystem::path root);

}  // namespace sesami::http
