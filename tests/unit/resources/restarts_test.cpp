#include "resources/restarts.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include "test_support.h"

namespace harvis::resources {
namespace {

using testing_support::ScratchDir;

RestartInfo Start(const std::string& state_dir) {
  Result<RestartInfo> info = RecordStart(state_dir);
  EXPECT_TRUE(info.ok()) << info.status().message();
  return info.ok() ? *info : RestartInfo{};
}

TEST(RestartsTest, FirstStartIsZeroAndEachLaterStartCounts) {
  ScratchDir scratch;
  const std::string state_dir = scratch.str() + "/state/nested";  // created on demand
  const RestartInfo first = Start(state_dir);
  EXPECT_TRUE(first.first_start);
  EXPECT_EQ(first.restarts, 0u);
  EXPECT_FALSE(first.previous_run_unclean);
  RecordCleanShutdown(state_dir);

  const RestartInfo second = Start(state_dir);
  EXPECT_FALSE(second.first_start);
  EXPECT_EQ(second.restarts, 1u);
  EXPECT_FALSE(second.previous_run_unclean);
  EXPECT_EQ(second.unclean_shutdowns, 0u);
  RecordCleanShutdown(state_dir);

  EXPECT_EQ(Start(state_dir).restarts, 2u);
}

TEST(RestartsTest, MissingCleanShutdownIsDetectedAndCounted) {
  ScratchDir scratch;
  Start(scratch.str());  // then "crashes": no RecordCleanShutdown
  const RestartInfo after_crash = Start(scratch.str());
  EXPECT_TRUE(after_crash.previous_run_unclean);
  EXPECT_EQ(after_crash.unclean_shutdowns, 1u);
  EXPECT_EQ(after_crash.restarts, 1u);
  RecordCleanShutdown(scratch.str());

  const RestartInfo after_clean = Start(scratch.str());
  EXPECT_FALSE(after_clean.previous_run_unclean);
  EXPECT_EQ(after_clean.unclean_shutdowns, 1u);  // persisted
  EXPECT_EQ(after_clean.restarts, 2u);
}

TEST(RestartsTest, LeavesNoTemporaryFilesBehind) {
  ScratchDir scratch;
  Start(scratch.str());
  Start(scratch.str());
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(scratch.path())) {
    EXPECT_EQ(entry.path().string().find(".tmp"), std::string::npos) << entry.path();
    ++files;
  }
  EXPECT_EQ(files, 2);  // the counts and the running marker
}

TEST(RestartsTest, MalformedCountsStillCountAsARestart) {
  ScratchDir scratch;
  std::ofstream(scratch.path() / "restarts") << "garbage\n";
  const RestartInfo info = Start(scratch.str());
  EXPECT_FALSE(info.first_start);
  EXPECT_EQ(info.restarts, 1u);
}

TEST(RestartsTest, UnwritableStateDirIsAClearError) {
  ScratchDir scratch;
  std::ofstream(scratch.path() / "a-file") << "not a directory\n";
  const std::string state_dir = (scratch.path() / "a-file" / "state").string();
  const Result<RestartInfo> info = RecordStart(state_dir);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(info.status().message().find(state_dir), std::string::npos)
      << info.status().message();
  RecordCleanShutdown(state_dir);  // nothing to remove: must not throw
}

TEST(RestartsTest, ReadOnlyStateDirIsAClearError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root may write anywhere";
  ScratchDir scratch;
  std::filesystem::permissions(scratch.path(), std::filesystem::perms::owner_read |
                                                   std::filesystem::perms::owner_exec);
  const Result<RestartInfo> info = RecordStart(scratch.str());
  std::filesystem::permissions(scratch.path(), std::filesystem::perms::owner_all);
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("not writable"), std::string::npos);
}

}  // namespace
}  // namespace harvis::resources
