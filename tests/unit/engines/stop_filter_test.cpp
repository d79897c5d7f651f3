#include "engines/llm/stop_filter.h"

#include <gtest/gtest.h>

namespace harvis {
namespace {

std::string Feed(StopFilter& f, const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += f.Push(p);
  return out + f.Finish();
}

TEST(StopFilterTest, PassesTextThroughWithoutStops) {
  StopFilter f({});
  EXPECT_EQ(f.Push("Hello"), "Hello");
  EXPECT_EQ(f.Push(" world"), " world");
  EXPECT_EQ(f.Finish(), "");
  EXPECT_FALSE(f.stopped());
}

TEST(StopFilterTest, EndsBeforeAStopSequenceSplitAcrossPieces) {
  StopFilter f({"END"});
  EXPECT_EQ(f.Push("one two E"), "one two ");  // "E" may start the stop sequence
  EXPECT_EQ(f.Push("N"), "");
  EXPECT_EQ(f.Push("D and more"), "");
  EXPECT_TRUE(f.stopped());
  EXPECT_EQ(f.Push("ignored"), "");
  EXPECT_EQ(f.Finish(), "");
}

TEST(StopFilterTest, ReleasesAHeldPrefixThatDidNotBecomeAStop) {
  StopFilter f({"###"});
  EXPECT_EQ(f.Push("a #"), "a ");
  EXPECT_EQ(f.Push("# b"), "## b");
  EXPECT_EQ(f.Finish(), "");
}

TEST(StopFilterTest, TheEarliestOfSeveralStopsWins) {
  StopFilter f({"zz", "b"});
  EXPECT_EQ(Feed(f, {"aab zz"}), "aa");
}

TEST(StopFilterTest, HoldsBackAnUnfinishedUtf8Character) {
  StopFilter f({});
  const std::string euro = "\xe2\x82\xac";
  EXPECT_EQ(f.Push("1 " + euro.substr(0, 2)), "1 ");
  EXPECT_EQ(f.Push(euro.substr(2)), euro);
}

TEST(StopFilterTest, InvalidBytesBecomeReplacementCharacters) {
  StopFilter f({});
  EXPECT_EQ(Feed(f, {"a\xff", "b\xe2\x82"}), "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(StopFilterTest, EmptyStopStringsAreIgnored) {
  StopFilter f({""});
  EXPECT_EQ(Feed(f, {"abc"}), "abc");
}

}  // namespace
}  // namespace harvis
