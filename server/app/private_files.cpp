#include "private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <string>

namespace sesami::app {
namespace fs = std::filesystem;
namespace {
std::error_code last_error() { return {errno, std::generic_category()}; }
}  // namespace

std::error_code create_private_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return {};
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    fs::create_directories(dir.parent_path(), ec);
    if (ec) return ec;
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return last_error();
  return {};
}

std::error_code create_private_file(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0) return last_error();
  ::close(fd);
  return {};
}

std::error_code write_private_file(const fs::path& p, std::string_view content, bool replace) {
  std::random_device rd;
  const fs::path tmp =
      p.parent_path() / ("." + p.filename().string() + "." + std::to_string(rd()) + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0) return last_error();
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const auto ec = last_error();
      ::close(fd);
      ::unlink(tmp.c_str());
      return ec;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const auto ec = last_error();
    ::unlink(tmp.c_str());
    return ec;
  }
  // rename replaces; link refuses an existing name (atomically: two processes creating the same
  // key file at once end with one of them, whole).
  const int rc = replace ? ::rename(tmp.c_str(), p.c_str()) : ::link(tmp.c_str(), p.c_str());
  const auto ec = rc == 0 ? std::error_code{} : last_error();
  if (!replace || rc != 0) ::unlink(tmp.c_str());
  return ec;
}

bool readable_by_others(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && (st.st_mode & 077) != 0;
}

}  // namespace sesami::app
