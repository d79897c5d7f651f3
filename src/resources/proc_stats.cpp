#include "resources/proc_stats.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <sstream>
#include <thread>

#include "resources/text_file.h"

namespace harvis::resources {

std::optional<ProcMemory> ReadProcMemory(const std::filesystem::path& proc_root) {
  const auto text = ReadTextFile(proc_root / "meminfo");
  if (!text) return std::nullopt;
  const auto total_kib = FindKeyedValue(*text, "MemTotal:");
  auto available_kib = FindKeyedValue(*text, "MemAvailable:");
  if (!available_kib) available_kib = FindKeyedValue(*text, "MemFree:");
  if (!total_kib || !available_kib || *total_kib == 0) return std::nullopt;
  // meminfo counts in kB, which the kernel means as KiB.
  return ProcMemory{*total_kib * 1024, std::min(*available_kib, *total_kib) * 1024};
}

std::optional<uint64_t> ReadProcCpuUsageUsec(const std::filesystem::path& proc_root) {
  const auto text = ReadTextFile(proc_root / "stat", 64 * 1024);
  if (!text || text->rfind("cpu ", 0) != 0) return std::nullopt;
  std::istringstream line(text->substr(4, text->find('\n')));
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  std::array<uint64_t, 8> ticks{};
  for (auto& field : ticks) {
    if (!(line >> field)) return std::nullopt;
  }
  const uint64_t busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7];
  const long ticks_per_second = sysconf(_SC_CLK_TCK);
  if (ticks_per_second <= 0) return std::nullopt;
  return busy * 1'000'000 / static_cast<uint64_t>(ticks_per_second);
}

unsigned HostCpuCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return static_cast<unsigned>(count);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::map<std::string, std::string> ReadSelfCgroups(const std::filesystem::path& proc_root) {
  std::map<std::string, std::string> paths;
  const auto text = ReadTextFile(proc_root / "self" / "cgroup");
  if (!text) return paths;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    // "hierarchy-id:controller,controller:/path"
    const size_t first = line.find(':');
    const size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controllers.empty()) {
      paths[""] = path;
      continue;
    }
    std::istringstream names(controllers);
    std::string name;
    while (std::getline(names, name, ',')) paths[name] = path;
  }
  return paths;
}

}  // namespace harvis::resources
