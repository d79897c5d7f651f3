#include "audio/resample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "audio_test_util.h"

namespace harvis::audio {
namespace {

using testing::Rms;
using testing::Tone;
using testing::ToneFraction;

struct RateCase {
  int from;
  int to;
};

class ResampleTest : public ::testing::TestWithParam<RateCase> {};

TEST_P(ResampleTest, KeepsLengthAndToneFrequency) {
  const RateCase c = GetParam();
  const std::vector<float> tone = Tone(c.from, 1.0, 440.0, 0.5);
  const std::vector<float> out = ResampleFloat(tone, c.from, c.to);
  EXPECT_EQ(out.size(), static_cast<size_t>(c.to));  // one second
  const size_t edge = static_cast<size_t>(c.to / 50);  // skip filter edges (20 ms)
  EXPECT_NEAR(Rms(out, edge), 0.5 / std::sqrt(2.0), 0.01);
  EXPECT_GT(ToneFraction(out, c.to, 440.0, edge), 0.95);
  EXPECT_LT(ToneFraction(out, c.to, 880.0, edge), 0.01);
}

INSTANTIATE_TEST_SUITE_P(CommonRates, ResampleTest,
                         ::testing::Values(RateCase{8000, 16000}, RateCase{22050, 16000},
                                           RateCase{44100, 16000}, RateCase{48000, 16000},
                                           RateCase{16000, 24000}, RateCase{16000, 44100},
                                           RateCase{11025, 48000}));

TEST(ResampleTest, IdentityWhenRatesMatch) {
  const std::vector<float> tone = Tone(16000, 0.1);
  EXPECT_EQ(ResampleFloat(tone, 16000, 16000), tone);
  const std::vector<int16_t> ints = {1, 2, 3, -4};
  EXPECT_EQ(ResampleInt16(ints, 8000, 8000), ints);
}

TEST(ResampleTest, InvalidRatesAndEmptyInputGiveEmpty) {
  EXPECT_TRUE(ResampleFloat(Tone(16000, 0.1), 0, 16000).empty());
  EXPECT_TRUE(ResampleFloat(Tone(16000, 0.1), 16000, -1).empty());
  EXPECT_TRUE(ResampleFloat({}, 8000, 16000).empty());
  EXPECT_TRUE(ResampleInt16({}, 8000, 16000).empty());
}

TEST(ResampleTest, ExtremeRatiosStayBounded) {
  EXPECT_EQ(ResampleFloat(std::vector<float>(3, 0.1f), 1, 16000).size(), 48000u);
  EXPECT_EQ(ResampleFloat(Tone(384000, 0.5), 384000, 16000).size(), 8000u);
}

TEST(ResampleTest, Int16KeepsToneAndLength) {
  const std::vector<int16_t> tone = FloatToInt16(Tone(48000, 0.5, 440.0, 0.5));
  const std::vector<int16_t> out = ResampleInt16(tone, 48000, 16000);
  ASSERT_EQ(out.size(), 8000u);
  const std::vector<float> back = Int16ToFloat(out);
  EXPECT_GT(ToneFraction(back, 16000, 440.0, 320), 0.95);
  EXPECT_NEAR(Rms(back, 320), 0.5 / std::sqrt(2.0), 0.01);
}

TEST(DownmixTest, AveragesChannels) {
  EXPECT_EQ(DownmixToMono({1.0f, 0.0f, 0.5f, 0.5f, -1.0f, 1.0f}, 2),
            (std::vector<float>{0.5f, 0.5f, 0.0f}));
  EXPECT_EQ(DownmixToMono({0.3f, 0.6f, 0.9f, 0.1f}, 3), (std::vector<float>{0.6f}));
  EXPECT_EQ(DownmixToMono({0.25f, -0.25f}, 1), (std::vector<float>{0.25f, -0.25f}));
  EXPECT_TRUE(DownmixToMono({0.25f}, 0).empty());
}

TEST(SampleConversionTest, FloatToInt16ClampsAndRounds) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(FloatToInt16({0.0f, 1.0f, -1.0f, 2.0f, -7.0f, 0.5f, nan, 1.0f / 32768}),
            (std::vector<int16_t>{0, 32767, -32768, 32767, -32768, 16384, 0, 1}));
}

TEST(SampleConversionTest, Int16RoundTripsThroughFloat) {
  std::vector<int16_t> all;
  for (int v = -32768; v <= 32767; v += 7) all.push_back(static_cast<int16_t>(v));
  const std::vector<float> f = Int16ToFloat(all);
  EXPECT_EQ(f.front(), -1.0f);
  EXPECT_EQ(FloatToInt16(f), all);
}

// Piece by piece, as a WebSocket client streams: the tone stays a clean tone at every
// boundary (resampling each piece on its own would fade both ends of every piece).
TEST(StreamResamplerTest, PiecesResampleLikeOneStream) {
  const auto in = Tone(24000, 2.0, 440.0, 0.5);
  StreamResampler stream(24000, 16000);
  std::vector<float> out;
  for (size_t i = 0; i < in.size(); i += 2400) {
    auto piece = stream.Push(std::vector<float>(in.begin() + i, in.begin() + std::min(in.size(), i + 2400)));
    out.insert(out.end(), piece.begin(), piece.end());
  }
  EXPECT_LE(out.size(), 32000u);
  EXPECT_GE(out.size(), 32000u - 1600u);  // the filter's latency at most
  EXPECT_GT(ToneFraction(out, 16000, 440.0, 800), 0.99);
  // Every 10 ms block past the first 50 ms carries the tone's full level.
  for (size_t b = 800; b + 160 <= out.size(); b += 160) {
    EXPECT_NEAR(Rms(std::vector<float>(out.begin() + b, out.begin() + b + 160)), 0.5 / std::sqrt(2.0), 0.02) << b;
  }
}

TEST(StreamResamplerTest, EqualRatesCopyAndBadRatesGiveNothing) {
  StreamResampler same(16000, 16000), bad(0, 16000);
  const std::vector<float> x = {0.1f, -0.2f};
  EXPECT_EQ(same.Push(x), x);
  EXPECT_TRUE(bad.Push(x).empty());
}

}  // namespace
}  // namespace harvis::audio
