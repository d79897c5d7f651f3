// Host-wide readings from /proc (the fallback when no cgroup limit applies) and the
// process's own cgroup membership. The /proc root is a parameter so tests can point it
// at a fixture tree. Internal to the resources layer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace harvis::resources {

struct ProcMemory {
  uint64_t total_bytes = 0;      // MemTotal
  uint64_t available_bytes = 0;  // MemAvailable (MemFree on very old kernels)
};

// MemTotal/MemAvailable from <proc_root>/meminfo; nullopt when unreadable or malformed.
// Thread-safe (no shared state).
std::optional<ProcMemory> ReadProcMemory(const std::filesystem::path& proc_root);

// Busy CPU time of the whole host in microseconds (user+nice+system+irq+softirq+steal
// of the "cpu" line of <proc_root>/stat); nullopt when unreadable. Thread-safe.
std::optional<uint64_t> ReadProcCpuUsageUsec(const std::filesystem::path& proc_root);

// CPUs this process may run on (sched_getaffinity), else hardware_concurrency(), at
// least 1. Thread-safe.
unsigned HostCpuCount();

// <proc_root>/self/cgroup as controller -> path ("memory" -> "/kubepods/...", and
// "" -> path for the cgroup v2 line "0::/..."); empty when unreadable. Thread-safe.
std::map<std::string, std::string> ReadSelfCgroups(const std::filesystem::path& proc_root);

}  // namespace harvis::resources
