// Model weights in an anonymous memory file (memfd_create): host RAM that a library which
// only loads from a path (llama.cpp) can open and map as /proc/self/fd/N. The RAM tier
// holds it, so a reload maps pages already in RAM instead of copying them again.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace harvis {

class MemoryFile {
 public:
  // A copy of the file at `path`, made by the kernel (no pass through user space).
  static Result<std::shared_ptr<const MemoryFile>> CopyOf(const std::string& path);
  ~MemoryFile();
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  // A path that opens this memory file (valid while it lives, in this process only).
  std::string path() const;
  std::uint64_t size() const { return size_; }

 private:
  MemoryFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  int fd_;
  std::uint64_t size_;
};

}  // namespace harvis
