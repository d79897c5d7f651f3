#include "engines/memory_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace harvis {

Result<std::shared_ptr<const MemoryFile>> MemoryFile::CopyOf(const std::string& path) {
  const int in = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status(ErrorCode::kNotFound, "cannot read model file " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(in);
    return Status(ErrorCode::kInvalidArgument, path + ": not a regular file");
  }
  const int fd = memfd_create("harvis-weights", MFD_CLOEXEC);
  if (fd < 0) {
    close(in);
    return Status(ErrorCode::kResourceExhausted, std::string("memfd_create failed: ") + std::strerror(errno));
  }
  auto file = std::shared_ptr<const MemoryFile>(new MemoryFile(fd, static_cast<std::uint64_t>(st.st_size)));
  off_t offset = 0;
  while (offset < st.st_size) {
    const ssize_t n = sendfile(fd, in, &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "the file shrank while it was read";
      close(in);
      return Status(ErrorCode::kResourceExhausted, "cannot copy " + path + " into memory: " + why);
    }
  }
  close(in);
  return file;
}

MemoryFile::~MemoryFile() { close(fd_); }

std::string MemoryFile::path() const { return "/proc/self/fd/" + std::to_string(fd_); }

}  // namespace harvis
