#include "common/page_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace harvis::bench {

// Writes `bytes` to a new file, fsyncs it and asks the kernel to drop its cached pages.
bool WriteUncached(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  const bool ok = off == bytes.size() && fsync(fd) == 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
  close(fd);
  return ok;
}

// Drops the whole page cache (root only; fails in most containers).
bool DropCaches() {
  sync();
  std::ofstream f("/proc/sys/vm/drop_caches");
  if (!f) return false;
  f << "3" << std::endl;
  return static_cast<bool>(f);
}

// Fraction of the file's pages resident in the page cache (-1 if unknown).
double ResidentFraction(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return -1;
  const size_t size = std::filesystem::file_size(path);
  void* p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return -1;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE)), pages = (size + page - 1) / page;
  std::vector<unsigned char> vec(pages);
  size_t resident = 0;
  if (mincore(p, size, vec.data()) == 0) {
    for (unsigned char v : vec) resident += v & 1;
  }
  munmap(p, size);
  return static_cast<double>(resident) / static_cast<double>(pages);
}

}  // namespace harvis::bench
