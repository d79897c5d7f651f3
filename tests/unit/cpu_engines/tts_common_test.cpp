#include "engines/tts/tts_common.h"

#include <gtest/gtest.h>

#include "wer.h"

namespace harvis::tts {
namespace {

TEST(SplitSentencesTest, SplitsAtSentenceEndsAndKeepsPunctuation) {
  auto parts = SplitSentences("Hello there. How are you?  Fine!\nGood; thanks: bye");
  ASSERT_EQ(parts.size(), 6u);
  EXPECT_EQ(parts[0], "Hello there.");
  EXPECT_EQ(parts[1], "How are you?");
  EXPECT_EQ(parts[2], "Fine!");
  EXPECT_EQ(parts[3], "Good;");
  EXPECT_EQ(parts[4], "thanks:");
  EXPECT_EQ(parts[5], "bye");
}

TEST(SplitSentencesTest, AbbreviationsInitialsAndDecimalsDoNotSplit) {
  auto parts = SplitSentences("Dr. Smith met J. R. Doe at 3.5 p.m. today. E.g. this works.");
  ASSERT_EQ(parts.size(), 3u) << parts[0];
  EXPECT_EQ(parts[0], "Dr. Smith met J. R. Doe at 3.5 p.m.");
  EXPECT_EQ(parts[1], "today.");
  EXPECT_EQ(parts[2], "E.g. this works.");
}

TEST(SplitSentencesTest, ClosingQuotesAndBlankLines) {
  auto parts = SplitSentences("He said \"stop.\" Then left\n\nA heading\nand text");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "He said \"stop.\"");
  EXPECT_EQ(parts[1], "Then left");
  EXPECT_EQ(parts[2], "A heading and text");
}

TEST(SplitSentencesTest, LongTextWithoutPunctuationIsCutIntoBoundedPieces) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "word ";
  auto parts = SplitSentences(text, 100);
  ASSERT_GT(parts.size(), 20u);
  for (const auto& p : parts) EXPECT_LE(p.size(), 100u);
  std::string giant(1000, 'x');
  giant += "\xC3\xA9";  // a two-byte character at the end
  parts = SplitSentences(giant, 100);
  for (const auto& p : parts) EXPECT_LE(p.size(), 100u);
  std::string joined;
  for (const auto& p : parts) joined += p;
  EXPECT_EQ(joined, giant);
}

TEST(SplitSentencesTest, EmptyAndWhitespaceGiveNothing) {
  EXPECT_TRUE(SplitSentences("").empty());
  EXPECT_TRUE(SplitSentences(" \n\t ").empty());
}

TEST(ValidateSynthesisTest, RejectsEmptyTextBadSpeedAndRate) {
  SynthesizeOptions ok;
  EXPECT_TRUE(ValidateSynthesis("x", "hi", ok).ok());
  EXPECT_EQ(ValidateSynthesis("x", "  \n", ok).code(), ErrorCode::kInvalidArgument);
  SynthesizeOptions slow = ok;
  slow.speed = 0.1;
  EXPECT_EQ(ValidateSynthesis("x", "hi", slow).code(), ErrorCode::kInvalidArgument);
  SynthesizeOptions nan = ok;
  nan.speed = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(ValidateSynthesis("x", "hi", nan).code(), ErrorCode::kInvalidArgument);
  SynthesizeOptions rate = ok;
  rate.sample_rate = 100;
  EXPECT_EQ(ValidateSynthesis("x", "hi", rate).code(), ErrorCode::kInvalidArgument);
  rate.sample_rate = 48000;
  EXPECT_TRUE(ValidateSynthesis("x", "hi", rate).ok());
}

TEST(WordErrorRateTest, CountsEditsOverReferenceWords) {
  using harvis::testing::WordErrorRate;
  EXPECT_DOUBLE_EQ(WordErrorRate("The cat sat.", "the cat sat"), 0.0);
  EXPECT_DOUBLE_EQ(WordErrorRate("the cat sat on the mat", "the cats sat on mat"), 2.0 / 6.0);
  EXPECT_DOUBLE_EQ(WordErrorRate("a b", "a b c d"), 1.0);
  EXPECT_DOUBLE_EQ(WordErrorRate("", ""), 0.0);
}

}  // namespace
}  // namespace harvis::tts
