#pragma once
// Files only the server's own user may read: the database (SQLite makes its -wal and -shm with the
// database file's mode), key files, the SNS certificate cache. Modes are given at creation, so
// they hold whatever the umask; existing files keep the mode their operator chose.
#include <filesystem>
#include <string_view>
#include <system_error>

namespace sesami::app {

/// Creates `dir` (and missing parents) when it does not exist; a directory made here is 0700.
std::error_code create_private_directory(const std::filesystem::path& dir);

/// Creates an empty file with mode 0600 when `p` does not exist; leaves an existing one alone.
std::error_code create_private_file(const std::filesystem::path& p);

/// Writes `content` to a temporary file (0600) beside `p`, then moves it into place: a reader
/// never sees half a file. `replace` false: an existing `p` is kept and the answer is
/// std::errc::file_exists.
std::error_code write_private_file(const std::filesystem::path& p, std::string_view content,
                                   bool replace = true);

/// True when group or others may read or write `p` (a key file an operator should tighten).
bool readable_by_others(const std::filesystem::path& p);

}  // namespace sesami::app
