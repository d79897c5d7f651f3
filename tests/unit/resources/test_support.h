// Helpers shared by the resources unit tests: fixture paths, a scratch directory, and
// a capture of what is logged.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "resources/cgroup.h"

namespace harvis::resources::testing_support {

inline std::string Fixture(const std::string& relative) {
  return std::string(HARVIS_FIXTURES_DIR) + "/" + relative;
}

// cgroup fixture `cgroup` (under fixtures/cgroup) with /proc fixture `proc`.
inline HostPaths FixturePaths(const std::string& cgroup, const std::string& proc = "host64g") {
  return HostPaths{Fixture("cgroup/" + cgroup), Fixture("proc/" + proc)};
}

// A fresh empty directory, removed with everything in it at destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = ::testing::TempDir() + "harvis-resources-XXXXXX";
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Routes the default spdlog logger into a string for the object's lifetime.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    sink->set_pattern("%l %v");
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }

  std::string text() const { return stream_.str(); }
  // How many times `needle` occurs in the captured text.
  int Count(const std::string& needle) const {
    const std::string haystack = text();
    int count = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + needle.size())) {
      ++count;
    }
    return count;
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace harvis::resources::testing_support
