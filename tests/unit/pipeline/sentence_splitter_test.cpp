#include "pipeline/sentence_splitter.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace harvis::pipeline {
namespace {

using Chunks = std::vector<std::string>;

// Feeds `text` in pieces of random length in [1, max_piece] (0: all at once).
Chunks Split(const std::string& text, SplitterOptions opt, size_t max_piece, unsigned seed = 1) {
  SentenceSplitter splitter(opt);
  Chunks out;
  auto take = [&](Chunks got) { out.insert(out.end(), got.begin(), got.end()); };
  std::mt19937 rng(seed);
  for (size_t i = 0; i < text.size();) {
    const size_t n = max_piece == 0 ? text.size() : 1 + rng() % max_piece;
    take(splitter.Push(std::string_view(text).substr(i, n)));
    i += n;
  }
  take(splitter.Finish());
  return out;
}

bool ValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80         ? 1
                       : (c >> 5) == 6  ? 2
                       : (c >> 4) == 14 ? 3
                       : (c >> 3) == 30 ? 4
                                        : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

// The chunks of `text`, checked to be the same however the text is cut into pieces,
// and to be trimmed, non-empty, within max_chars and valid UTF-8.
Chunks SplitAllWays(const std::string& text, SplitterOptions opt = {}) {
  const Chunks whole = Split(text, opt, 0);
  EXPECT_EQ(Split(text, opt, 1), whole) << "char by char: " << text;
  for (unsigned seed = 1; seed <= 20; ++seed) {
    EXPECT_EQ(Split(text, opt, 2 + seed % 9, seed), whole) << "seed " << seed << ": " << text;
  }
  for (const std::string& chunk : whole) {
    EXPECT_FALSE(chunk.empty());
    EXPECT_NE(chunk.front(), ' ');
    EXPECT_NE(chunk.back(), ' ');
    EXPECT_LE(chunk.size(), std::max<size_t>(opt.max_chars, 1));
    EXPECT_TRUE(ValidUtf8(chunk)) << chunk;
  }
  return whole;
}

TEST(SentenceSplitter, SplitsAtTerminatorsFollowedBySpace) {
  EXPECT_EQ(SplitAllWays("Hello there. How are you? I am fine!"),
            (Chunks{"Hello there.", "How are you?", "I am fine!"}));
  EXPECT_EQ(SplitAllWays("Really?! Yes... I think so. Wait\xE2\x80\xA6 Now."),
            (Chunks{"Really?!", "Yes...", "I think so.", "Wait\xE2\x80\xA6", "Now."}));
  EXPECT_EQ(
      SplitAllWays("He said \"stop.\" Then he left. She said \xE2\x80\x9Cgo.\xE2\x80\x9D Ok."),
      (Chunks{"He said \"stop.\"", "Then he left.", "She said \xE2\x80\x9Cgo.\xE2\x80\x9D",
              "Ok."}));
}

TEST(SentenceSplitter, WaitsForTheCharacterAfterTheTerminator) {
  SentenceSplitter splitter;
  EXPECT_TRUE(splitter.Push("Hello.").empty());
  EXPECT_EQ(splitter.Push(" World"), Chunks{"Hello."});
  EXPECT_EQ(splitter.Finish(), Chunks{"World"});
  EXPECT_TRUE(splitter.Push("Done.").empty());
  EXPECT_EQ(splitter.Finish(), Chunks{"Done."});  // Finish resets: the splitter is reusable
  EXPECT_TRUE(splitter.Finish().empty());
}

TEST(SentenceSplitter, KeepsAbbreviationsAndInitials) {
  EXPECT_EQ(SplitAllWays("Mr. Smith met Dr. Jones and Mrs. Lee at 10 a.m. on Main St. today. "
                         "Then they left."),
            (Chunks{"Mr. Smith met Dr. Jones and Mrs. Lee at 10 a.m. on Main St. today.",
                    "Then they left."}));
  EXPECT_EQ(
      SplitAllWays("Fruit, e.g. apples, i.e. food, etc. is good. MR. X and PROF. Y vs. Zed. Ok."),
      (Chunks{"Fruit, e.g. apples, i.e. food, etc. is good.", "MR. X and PROF. Y vs. Zed.",
              "Ok."}));
  EXPECT_EQ(
      SplitAllWays("J. K. Rowling wrote it. The U.S. Army and Acme Inc. and Foo Ltd. agree. Yes."),
      (Chunks{"J. K. Rowling wrote it.", "The U.S. Army and Acme Inc. and Foo Ltd. agree.",
              "Yes."}));
  EXPECT_EQ(SplitAllWays("See Fig. 3 and No. 5 for approx. values. No. I disagree. So do I. Fine."),
            (Chunks{"See Fig. 3 and No. 5 for approx. values.", "No.", "I disagree.", "So do I.",
                    "Fine."}));
}

TEST(SentenceSplitter, KeepsDecimalsVersionsUrlsAndFileNames) {
  EXPECT_EQ(SplitAllWays("Pi is 3.14 and it costs $4.50 in v1.2.3 now. Visit example.com or mail "
                         "a.b@c.de about main.cpp today. Go to example.com. Then rest."),
            (Chunks{"Pi is 3.14 and it costs $4.50 in v1.2.3 now.",
                    "Visit example.com or mail a.b@c.de about main.cpp today.",
                    "Go to example.com.", "Then rest."}));
}

TEST(SentenceSplitter, EllipsisBeforeLowercaseGoesOn) {
  EXPECT_EQ(SplitAllWays("Well... maybe not. Hmm\xE2\x80\xA6 perhaps. Fine... Next."),
            (Chunks{"Well... maybe not.", "Hmm\xE2\x80\xA6 perhaps.", "Fine...", "Next."}));
}

TEST(SentenceSplitter, ListItemsAreChunksOfTheirOwn) {
  EXPECT_EQ(
      SplitAllWays("Here is a list:\n1. Buy milk\n2. Call Mr. Smith. He waits\n- Walk the dog\n"
                   "* Feed the cat\n\xE2\x80\xA2 Water plants\n  3) Sleep\n\nThat is all."),
      (Chunks{"Here is a list:", "1. Buy milk", "2. Call Mr. Smith.", "He waits", "Walk the dog",
              "Feed the cat", "Water plants", "3. Sleep", "That is all."}));
  EXPECT_EQ(SplitAllWays("In step 1. Then step 2.\n-5 degrees is cold\nright."),
            (Chunks{"In step 1.", "Then step 2.", "-5 degrees is cold right."}));
}

TEST(SentenceSplitter, BlankLineEndsAChunkAndASingleNewlineDoesNot) {
  EXPECT_EQ(SplitAllWays("First paragraph without a period\n\nSecond one\r\n\r\nThird\nline"),
            (Chunks{"First paragraph without a period", "Second one", "Third line"}));
}

TEST(SentenceSplitter, DropsCodeAndMarkdown) {
  EXPECT_EQ(
      SplitAllWays("Run this:\n```bash\nls -la. Then rm *.txt\n```\nAnd it works. Use `grep` now."),
      (Chunks{"Run this:", "And it works.", "Use grep now."}));
  EXPECT_EQ(SplitAllWays("Look:\n```python\nprint(1)"), (Chunks{"Look:"}));  // never closed
  EXPECT_EQ(SplitAllWays("## Getting started\nThis is **very** important. __Really__ it is. "
                         "*Note:* snake_case stays. **Bold.** Next"),
            (Chunks{"Getting started", "This is very important.", "Really it is.",
                    "Note: snake_case stays.", "Bold.", "Next"}));
}

TEST(SentenceSplitter, NeverEmitsEmptyOrUnspeakableChunks) {
  EXPECT_TRUE(SplitAllWays("").empty());
  EXPECT_TRUE(SplitAllWays("   \n\n  \t ").empty());
  EXPECT_TRUE(SplitAllWays("... !! ---\n\n```\ncode\n```").empty());
  EXPECT_EQ(SplitAllWays("  Hi.   There  "), (Chunks{"Hi.", "There"}));
}

TEST(SentenceSplitter, CapsLongChunksAtTheLastBreak) {
  SplitterOptions opt{.max_chars = 20};
  EXPECT_EQ(SplitAllWays("one two three four five six seven eight", opt),
            (Chunks{"one two three four", "five six seven eight"}));
  EXPECT_EQ(SplitAllWays("alpha,beta;gamma:deltaepsilon", opt),
            (Chunks{"alpha,beta;gamma:", "deltaepsilon"}));
  EXPECT_EQ(SplitAllWays(std::string(50, 'a'), opt),
            (Chunks{std::string(20, 'a'), std::string(20, 'a'), std::string(10, 'a')}));
}

TEST(SentenceSplitter, NeverCutsInsideAUtf8Character) {
  std::string text;
  for (int i = 0; i < 30; ++i) text += "\xC3\xA9";  // é
  const Chunks chunks = SplitAllWays(text, SplitterOptions{.max_chars = 21});
  std::string joined;
  for (const auto& c : chunks) joined += c;
  EXPECT_EQ(joined, text);
  EXPECT_EQ(chunks.size(), 3u);
  // max below one character: one character each.
  const std::string euros = "\xE2\x82\xAC\xE2\x82\xAC";
  EXPECT_EQ(Split(euros, SplitterOptions{.max_chars = 1}, 0),
            (Chunks{"\xE2\x82\xAC", "\xE2\x82\xAC"}));
  EXPECT_EQ(Split(euros, SplitterOptions{.max_chars = 1}, 1),
            (Chunks{"\xE2\x82\xAC", "\xE2\x82\xAC"}));
}

TEST(SentenceSplitter, JoinsSentencesShorterThanMinChars) {
  EXPECT_EQ(SplitAllWays("Hi. Ok. This is longer. Yes.", SplitterOptions{.min_chars = 10}),
            (Chunks{"Hi. Ok. This is longer.", "Yes."}));
}

// Random texts built from the tricky pieces: the output must not depend on the cutting.
TEST(SentenceSplitter, OutputDoesNotDependOnHowTheStreamIsCut) {
  const std::vector<std::string> parts = {"Hello",
                                          " ",
                                          "world",
                                          ". ",
                                          "Mr.",
                                          " Smith",
                                          "?! ",
                                          "...",
                                          " and",
                                          "\n",
                                          "\n\n",
                                          "1. ",
                                          "- ",
                                          "```",
                                          "code",
                                          "`x`",
                                          "**",
                                          "__",
                                          "#",
                                          "## ",
                                          "3.14",
                                          "e.g.",
                                          " ",
                                          "\xE2\x80\xA6",
                                          "\xC3\xA9t\xC3\xA9",
                                          "\xE2\x80\xA2 ",
                                          "\"",
                                          "\xE2\x80\x9D",
                                          ", ",
                                          "a.b@c.de",
                                          "J. ",
                                          "No. 5",
                                          "verylongwordwithoutanybreaks",
                                          "\r\n",
                                          "_",
                                          "*"};
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) text += parts[rng() % parts.size()];
    SplitAllWays(text, SplitterOptions{.max_chars = 5 + rng() % 40, .min_chars = 1 + rng() % 8});
  }
}

}  // namespace
}  // namespace harvis::pipeline
