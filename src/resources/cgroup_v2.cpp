// cgroup v2 (unified hierarchy): memory.max / memory.current / memory.stat and
// cpu.max / cpu.stat, with limits taken as the tightest along our cgroup's ancestry.
#include "resources/cgroup_internal.h"
#include "resources/text_file.h"

namespace harvis::resources {

namespace fs = std::filesystem;

namespace {

// memory.max: a byte count, or "max" for no limit. Absent: no limit at this level.
std::optional<uint64_t> ReadMemoryMax(const fs::path& file,
                                      std::vector<std::string>& problems) {
  const auto text = ReadTextFile(file);
  if (!text || Trim(*text) == "max") return std::nullopt;
  const auto limit = ParseUint64(*text);
  if (!limit) problems.push_back(DescribeMalformed(file, *text));
  return limit;
}

// cpu.max: "QUOTA PERIOD" in microseconds, QUOTA "max" for no limit; the period may be
// omitted (kernel default 100000).
std::optional<double> ReadCpuMax(const fs::path& file, std::vector<std::string>& problems) {
  const auto text = ReadTextFile(file);
  if (!text) return std::nullopt;
  const std::string_view line = Trim(*text);
  const size_t space = line.find(' ');
  const std::string_view quota_text = line.substr(0, space);
  const std::string_view period_text =
      space == std::string_view::npos ? std::string_view("100000") : line.substr(space + 1);
  if (quota_text == "max" && ParseUint64(period_text)) return std::nullopt;
  const auto quota = ParseUint64(quota_text);
  const auto period = ParseUint64(period_text);
  if (!quota || !period || *quota == 0 || *period == 0) {
    problems.push_back(DescribeMalformed(file, *text));
    return std::nullopt;
  }
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

void ReadV2Usage(const fs::path& leaf, CgroupReading& reading) {
  if (const auto text = ReadTextFile(leaf / "memory.current")) {
    if (const auto current = ParseUint64(*text)) {
      reading.memory_used_bytes = WorkingSet(*current, leaf / "memory.stat", "inactive_file");
    } else {
      reading.problems.push_back(DescribeMalformed(leaf / "memory.current", *text));
    }
  }
  if (const auto text = ReadTextFile(leaf / "cpu.stat")) {
    reading.cpu_usage_usec = FindKeyedValue(*text, "usage_usec");
    if (!reading.cpu_usage_usec) {
      reading.problems.push_back(DescribeMalformed(leaf / "cpu.stat", *text));
    }
  }
}

}  // namespace

CgroupReading ReadCgroupV2(const fs::path& root,
                           const std::map<std::string, std::string>& self) {
  CgroupReading reading;
  const auto own = self.find("");
  const auto chain = CgroupChain(root, own == self.end() ? "/" : own->second);
  for (const auto& dir : chain) {
    reading.memory_limit_bytes = TighterLimit(
        reading.memory_limit_bytes, ReadMemoryMax(dir / "memory.max", reading.problems));
    const auto cores = ReadCpuMax(dir / "cpu.max", reading.problems);
    if (cores && (!reading.cpu_quota_cores || *cores < *reading.cpu_quota_cores)) {
      reading.cpu_quota_cores = cores;
    }
  }
  ReadV2Usage(chain.front(), reading);
  return reading;
}

}  // namespace harvis::resources
