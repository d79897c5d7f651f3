#include "resources/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace harvis::resources {

namespace {

Status OsError(const std::string& what, int error_number) {
  return Status(ErrorCode::kFailedPrecondition, what + ": " + std::strerror(error_number));
}

bool WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    content.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

}  // namespace

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content) {
  const std::string temp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return OsError("cannot create " + temp, errno);
  const bool written = WriteAll(fd, content) && ::fsync(fd) == 0;
  const int write_error = errno;
  const bool closed = ::close(fd) == 0;
  const int close_error = errno;
  if (!written || !closed) {
    ::unlink(temp.c_str());
    return OsError("cannot write " + temp, written ? close_error : write_error);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int rename_error = errno;
    ::unlink(temp.c_str());
    return OsError("cannot rename " + temp + " to " + path.string(), rename_error);
  }
  return Status::Ok();
}

}  // namespace harvis::resources
