#include "audio/decode.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <tuple>

#include "audio/wav.h"
#include "audio_test_util.h"

namespace harvis::audio {
namespace {

using testing::BuildWav;
using testing::ReadFixture;
using testing::Rms;
using testing::Tone;
using testing::ToneFraction;
using testing::WavLayout;

constexpr double kToneRms = 0.5 / 1.4142135623730951;  // amplitude 0.5 sine

bool IsClientError(ErrorCode code) {
  return code == ErrorCode::kUnsupportedMedia || code == ErrorCode::kUnprocessable;
}

// ---- WAV of every layout, rate and channel count --------------------------------------

using WavCase = std::tuple<std::pair<uint16_t, int>, std::pair<int, int>>;  // (tag, bits), (ch, rate)

class DecodeWavTest : public ::testing::TestWithParam<WavCase> {};

TEST_P(DecodeWavTest, DecodesToneTo16kMono) {
  const auto [format, shape] = GetParam();
  const auto [channels, rate] = shape;
  const WavLayout layout{format.first, format.second, channels, rate, channels > 2};
  Result<std::vector<float>> out =
      DecodeToMono16k(BuildWav(Tone(rate, 1.0, 440, 0.5, channels), layout));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->size(), 16000u);
  EXPECT_NEAR(Rms(*out, 320), kToneRms, 0.01);
  EXPECT_GT(ToneFraction(*out, 16000, 440, 320), 0.95);
  EXPECT_FALSE(IsSilent(*out));
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, DecodeWavTest,
    ::testing::Combine(::testing::Values(std::pair{1, 8}, std::pair{1, 16}, std::pair{1, 24},
                                         std::pair{1, 32}, std::pair{3, 32}, std::pair{3, 64}),
                       ::testing::Values(std::pair{1, 8000}, std::pair{2, 22050},
                                         std::pair{1, 44100}, std::pair{2, 48000},
                                         std::pair{6, 48000}, std::pair{1, 16000})));

// ---- compressed formats through libavcodec --------------------------------------------

struct FixtureCase {
  const char* name;
  double seconds;
  bool tone;  // a 440 Hz sine of amplitude 0.5 (else speech)
};

class DecodeFixtureTest : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(DecodeFixtureTest, DecodesToExpectedDuration) {
  const FixtureCase& c = GetParam();
  const std::string bytes = ReadFixture(c.name);
  ASSERT_FALSE(bytes.empty()) << "missing fixture " << c.name;
  Result<std::vector<float>> out = DecodeToMono16k(bytes);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_NEAR(out->size() / 16000.0, c.seconds, 0.05);
  EXPECT_FALSE(IsSilent(*out, 0.01f));
  if (c.tone) {
    EXPECT_NEAR(Rms(*out, 1600), kToneRms, 0.05);
    EXPECT_GT(ToneFraction(*out, 16000, 440, 1600), 0.9);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, DecodeFixtureTest,
    ::testing::Values(FixtureCase{"tone_opus.webm", 1.0, true},
                      FixtureCase{"tone_opus_live.webm", 1.0, true},
                      FixtureCase{"tone_opus.ogg", 1.0, true},
                      FixtureCase{"tone_vorbis.ogg", 1.0, true},
                      FixtureCase{"tone.mp3", 1.0, true}, FixtureCase{"tone_aac.m4a", 1.0, true},
                      FixtureCase{"tone.flac", 1.0, true}, FixtureCase{"tone_alaw.wav", 1.0, true},
                      FixtureCase{"tone_ima_adpcm.wav", 1.0, true},
                      FixtureCase{"hello_opus.ogg", 1.035, false}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

// Cuts and corrupts every fixture: the result is audio or a client error, never a crash.
TEST_P(DecodeFixtureTest, SurvivesTruncationAndCorruption) {
  const std::string bytes = ReadFixture(GetParam().name);
  ASSERT_FALSE(bytes.empty());
  std::mt19937 rng(1234);
  for (size_t step = 1; step <= 40; ++step) {
    const size_t cut = bytes.size() * step / 41;
    Result<std::vector<float>> out = DecodeToMono16k(std::string_view(bytes).substr(0, cut));
    if (out.ok()) {
      EXPECT_LE(out->size() / 16000.0, GetParam().seconds + 0.05) << "cut at " << cut;
    } else {
      EXPECT_TRUE(IsClientError(out.status().code())) << cut << ": " << out.status().message();
    }
    std::string corrupt = bytes;
    for (int i = 0; i < 8; ++i) corrupt[rng() % corrupt.size()] = static_cast<char>(rng());
    Result<std::vector<float>> damaged = DecodeToMono16k(corrupt);
    if (!damaged.ok()) {
      EXPECT_TRUE(IsClientError(damaged.status().code())) << damaged.status().message();
    }
  }
}

// ---- errors -----------------------------------------------------------------------------

TEST(DecodeErrorTest, EmptyInputIsUnprocessable) {
  Result<std::vector<float>> out = DecodeToMono16k("");
  EXPECT_EQ(out.status().code(), ErrorCode::kUnprocessable);
  EXPECT_EQ(out.status().message(), "empty audio");
}

TEST(DecodeErrorTest, RandomBytesAreClientErrors) {
  std::mt19937 rng(42);
  for (size_t size : {1u, 3u, 16u, 100u, 1000u, 4096u, 65536u}) {
    std::string bytes(size, '\0');
    for (char& ch : bytes) ch = static_cast<char>(rng());
    Result<std::vector<float>> out = DecodeToMono16k(bytes);
    if (!out.ok()) {
      EXPECT_TRUE(IsClientError(out.status().code())) << out.status().message();
    }
  }
  EXPECT_EQ(DecodeToMono16k("hello, this is plain text").status().code(),
            ErrorCode::kUnsupportedMedia);
}

TEST(DecodeErrorTest, UnsupportedContainerIsNamed) {
  const std::string srt = "1\n00:00:00,000 --> 00:00:01,000\nhello there\n\n";
  Result<std::vector<float>> out = DecodeToMono16k(srt);
  EXPECT_EQ(out.status().code(), ErrorCode::kUnsupportedMedia);
  EXPECT_NE(out.status().message().find("srt"), std::string::npos) << out.status().message();
  Result<std::vector<float>> avi = DecodeToMono16k(std::string("RIFF\x04\0\0\0AVI LIST", 16));
  EXPECT_EQ(avi.status().code(), ErrorCode::kUnsupportedMedia);
}

TEST(DecodeErrorTest, TruncatedWavIsUnprocessableAtEveryCut) {
  const std::string wav = BuildWav(Tone(8000, 0.02), {1, 16, 1, 8000});
  for (size_t cut = 4; cut < wav.size(); ++cut) {  // "RIFF" and more
    EXPECT_EQ(DecodeToMono16k(wav.substr(0, cut)).status().code(), ErrorCode::kUnprocessable)
        << "cut at " << cut;
  }
}

TEST(DecodeErrorTest, HugeDeclaredSizeIsUnprocessable) {
  const std::string wav = BuildWav(Tone(16000, 0.1), {}, testing::DataSize(0xFFFFFFF0u));
  Result<std::vector<float>> out = DecodeToMono16k(wav);
  EXPECT_EQ(out.status().code(), ErrorCode::kUnprocessable);
  EXPECT_NE(out.status().message().find("truncated"), std::string::npos);
}

TEST(DecodeErrorTest, CompressedWavWithGarbageIsAClientError) {
  Result<std::vector<float>> out = DecodeToMono16k(BuildWav({}, {0x11, 4, 1, 16000}));
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(IsClientError(out.status().code())) << out.status().message();
  Result<std::vector<float>> g729 = DecodeToMono16k(BuildWav({0.1f, 0.2f}, {0x0133, 16, 1, 8000}));
  EXPECT_EQ(g729.status().code(), ErrorCode::kUnsupportedMedia) << g729.status().message();
}

TEST(DecodeErrorTest, WavWithoutSamplesIsUnprocessable) {
  EXPECT_EQ(DecodeToMono16k(BuildWav({}, {})).status().code(), ErrorCode::kUnprocessable);
}

TEST(DecodeLimitTest, LongerThanMaxDurationIsTooLarge) {
  const DecodeLimits one_second{.max_duration_seconds = 1.0};
  Result<std::vector<float>> wav = DecodeToMono16k(BuildWav(Tone(8000, 2.0), {1, 16, 1, 8000}), one_second);
  EXPECT_EQ(wav.status().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(wav.status().message(), "audio longer than 1 s");
  EXPECT_TRUE(DecodeToMono16k(BuildWav(Tone(8000, 1.0), {1, 16, 1, 8000}), one_second).ok());

  const DecodeLimits half{.max_duration_seconds = 0.5};
  for (const char* name : {"tone.flac", "tone_opus.webm", "tone.mp3", "tone_alaw.wav"}) {
    Result<std::vector<float>> out = DecodeToMono16k(ReadFixture(name), half);
    EXPECT_EQ(out.status().code(), ErrorCode::kPayloadTooLarge) << name;
    EXPECT_EQ(out.status().message(), "audio longer than 0.5 s");
  }
}

TEST(DecodeLimitTest, StreamingWavLongerThanMaxIsTooLarge) {
  const std::string wav = EncodeWavHeader(16000, 1, 0xFFFFFFFF) +
                          std::string(16000 * 2 * 3, '\0');  // 3 s of silence
  EXPECT_EQ(DecodeToMono16k(wav, {.max_duration_seconds = 2}).status().code(),
            ErrorCode::kPayloadTooLarge);
}

TEST(DecodeLimitTest, MoreThanMaxBytesIsTooLarge) {
  const std::string wav = BuildWav(Tone(16000, 0.5), {});
  Result<std::vector<float>> out = DecodeToMono16k(wav, {.max_bytes = 1000});
  EXPECT_EQ(out.status().code(), ErrorCode::kPayloadTooLarge);
}

TEST(DecodeRangeTest, FullScaleSquareStaysWithinRange) {  // fuzzer finding: soxr overshoot
  std::vector<float> square(800);
  for (size_t i = 0; i < square.size(); ++i) square[i] = (i / 2) % 2 ? 1.0f : -1.0f;
  Result<std::vector<float>> out = DecodeToMono16k(BuildWav(square, {1, 8, 1, 8000}));
  ASSERT_TRUE(out.ok()) << out.status().message();
  for (float v : *out) ASSERT_TRUE(v >= -1.0f && v <= 1.0f) << v;
}

TEST(DecodeSilenceTest, DigitalSilenceIsReturnedNotRejected) {
  Result<std::vector<float>> out = DecodeToMono16k(EncodeWav(std::vector<int16_t>(8000), 8000));
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(out->size(), 16000u);
  EXPECT_TRUE(IsSilent(*out));
  EXPECT_TRUE(IsSilent({}));
  EXPECT_FALSE(IsSilent({0.0f, 0.02f}, 0.01f));
  EXPECT_TRUE(IsSilent({0.0f, -0.005f}, 0.01f));
}

TEST(DecodeThreadTest, ConcurrentDecodesAgree) {
  const std::string opus = ReadFixture("tone_opus.ogg");
  const std::string wav = BuildWav(Tone(44100, 0.5, 440, 0.5, 2), {1, 16, 2, 44100});
  const std::vector<float> want_opus = DecodeToMono16k(opus).value();
  const std::vector<float> want_wav = DecodeToMono16k(wav).value();
  std::vector<std::thread> threads;
  std::vector<int> same(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const bool a = DecodeToMono16k(opus).value() == want_opus;
      const bool b = DecodeToMono16k(wav).value() == want_wav;
      same[t] = a && b;
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(same, std::vector<int>(4, 1));
}

}  // namespace
}  // namespace harvis::audio
