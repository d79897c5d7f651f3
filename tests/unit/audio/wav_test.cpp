#include "audio/wav.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "audio_test_util.h"

namespace harvis::audio {
namespace {

using namespace std::string_literals;

using testing::BuildWav;
using testing::Chunk;
using testing::Tone;
using testing::WavLayout;
using testing::WavOptions;

struct LayoutCase {
  uint16_t tag;
  int bits;
  bool extensible;
  double tolerance;  // quantisation error allowed per sample
};

class WavLayoutTest : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(WavLayoutTest, ParsesStereoToneExactly) {
  const LayoutCase& c = GetParam();
  const WavLayout layout{c.tag, c.bits, 2, 22050, c.extensible};
  const std::vector<float> tone = Tone(22050, 0.25, 440, 0.5, 2);
  Result<PcmAudio> pcm = ParseWav(BuildWav(tone, layout));
  ASSERT_TRUE(pcm.ok()) << pcm.status().message();
  EXPECT_EQ(pcm->sample_rate, 22050);
  EXPECT_EQ(pcm->channels, 2);
  ASSERT_EQ(pcm->samples.size(), tone.size());
  for (size_t i = 0; i < tone.size(); ++i) {
    ASSERT_NEAR(pcm->samples[i], tone[i], c.tolerance) << "sample " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllLayouts, WavLayoutTest,
    ::testing::Values(LayoutCase{1, 8, false, 1.0 / 100}, LayoutCase{1, 16, false, 1e-4},
                      LayoutCase{1, 24, false, 1e-6}, LayoutCase{1, 32, false, 1e-6},
                      LayoutCase{3, 32, false, 1e-7}, LayoutCase{3, 64, false, 1e-7},
                      LayoutCase{1, 8, true, 1.0 / 100}, LayoutCase{1, 16, true, 1e-4},
                      LayoutCase{1, 24, true, 1e-6}, LayoutCase{1, 32, true, 1e-6},
                      LayoutCase{3, 32, true, 1e-7}, LayoutCase{3, 64, true, 1e-7}));

TEST(WavTest, SixChannelsAndMonoDownmix) {
  std::vector<float> six = Tone(48000, 0.1, 1000, 0.6, 6);
  for (size_t f = 0; f < six.size() / 6; ++f) six[f * 6 + 5] = 0.0f;  // one silent channel
  const std::string wav = BuildWav(six, {1, 16, 6, 48000, true});
  Result<PcmAudio> all = ParseWav(wav);
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(all->channels, 6);
  Result<PcmAudio> mono = ParseWavMono(wav);
  ASSERT_TRUE(mono.ok());
  EXPECT_EQ(mono->channels, 1);
  ASSERT_EQ(mono->samples.size(), six.size() / 6);
  for (size_t f = 0; f < mono->samples.size(); ++f) {
    ASSERT_NEAR(mono->samples[f], six[f * 6] * 5.0f / 6.0f, 1e-4);
  }
}

TEST(WavTest, SkipsUnknownAndOddSizedChunks) {
  const std::vector<float> tone = Tone(8000, 0.05);
  WavOptions opt;
  opt.before_fmt = Chunk("LIST", std::string("INFOISFT\x03\0\0\0abc", 15));  // odd, padded
  opt.before_data = Chunk("fact", "abcde", /*pad=*/false);                  // odd, no pad
  opt.after_data = Chunk("cue ", "xyz");
  Result<PcmAudio> pcm = ParseWav(BuildWav(tone, {}, opt));
  ASSERT_TRUE(pcm.ok()) << pcm.status().message();
  EXPECT_EQ(pcm->samples.size(), tone.size());
}

TEST(WavTest, StreamingDataSizesMeanToTheEnd) {
  const std::vector<float> tone = Tone(16000, 0.1);
  for (uint32_t size : {0u, 0xFFFFFFFFu}) {
    WavOptions opt;
    opt.data_size = size;
    std::string wav = BuildWav(tone, {}, opt);
    wav.push_back('\x01');  // a partial trailing frame is dropped
    Result<WavInfo> info = ParseWavHeader(wav);
    ASSERT_TRUE(info.ok()) << info.status().message();
    EXPECT_EQ(info->frames, tone.size());
  }
}

TEST(WavTest, AcceptsEveryRateInRange) {
  for (int rate : {1, 8000, 22050, 44100, 48000, 384000}) {
    Result<WavInfo> info = ParseWavHeader(BuildWav(Tone(rate, 0.01) , {1, 16, 1, rate}));
    ASSERT_TRUE(info.ok()) << rate << ": " << info.status().message();
    EXPECT_EQ(info->sample_rate, rate);
  }
  for (int rate : {0, 384001}) {
    Result<WavInfo> info = ParseWavHeader(BuildWav({0.0f}, {1, 16, 1, rate}));
    EXPECT_EQ(info.status().code(), ErrorCode::kUnprocessable) << rate;
  }
}

TEST(WavTest, NonFiniteFloatsBecomeSilenceAndLoudOnesClamp) {
  const float inf = std::numeric_limits<float>::infinity();
  std::string wav = BuildWav({0, 0, 0, 0}, {3, 32, 1, 16000});
  const float raw[4] = {std::numeric_limits<float>::quiet_NaN(), inf, 2.5f, -0.25f};
  std::memcpy(wav.data() + wav.size() - 16, raw, 16);
  Result<PcmAudio> pcm = ParseWav(wav);
  ASSERT_TRUE(pcm.ok());
  EXPECT_EQ(pcm->samples, (std::vector<float>{0.0f, 0.0f, 1.0f, -0.25f}));
}

ErrorCode CodeOf(const std::string& wav) { return ParseWavHeader(wav).status().code(); }

TEST(WavTest, RejectsMalformedStructure) {
  const std::vector<float> tone = Tone(16000, 0.01);
  const std::string good = BuildWav(tone, {});
  EXPECT_EQ(CodeOf(""), ErrorCode::kUnprocessable);
  EXPECT_EQ(CodeOf("RIFF\x10\0\0\0WAVE"s), ErrorCode::kUnprocessable);  // no chunks at all
  EXPECT_EQ(CodeOf("RIFF\x04\0\0\0WAVE"s + Chunk("data", "abcd")), ErrorCode::kUnprocessable);
  EXPECT_EQ(CodeOf("RIFF\x04\0\0\0WAVE"s + Chunk("fmt ", testing::FmtChunk({}))),
            ErrorCode::kUnprocessable);
  EXPECT_EQ(CodeOf("RIFF\x04\0\0\0WAVE"s + Chunk("fmt ", "short") + Chunk("data", "ab")),
            ErrorCode::kUnprocessable);
  EXPECT_EQ(CodeOf(BuildWav(tone, {}, testing::BeforeData(Chunk("data", "ab")))),
            ErrorCode::kUnprocessable);  // two data chunks
  std::string bad_id = good;
  bad_id[12] = '\x01';
  EXPECT_EQ(CodeOf(bad_id), ErrorCode::kUnprocessable);
}

TEST(WavTest, RejectsEveryTruncation) {
  const std::string wav = BuildWav(Tone(16000, 0.01), {}, testing::BeforeFmt(Chunk("LIST", "abc")));
  for (size_t cut = 0; cut < wav.size(); ++cut) {
    EXPECT_EQ(CodeOf(wav.substr(0, cut)), ErrorCode::kUnprocessable) << "cut at " << cut;
  }
  EXPECT_TRUE(ParseWavHeader(wav).ok());
}

TEST(WavTest, RejectsHugeDeclaredSizes) {
  EXPECT_EQ(CodeOf(BuildWav(Tone(16000, 0.01), {}, testing::DataSize(0x7FFFFFFF))),
            ErrorCode::kUnprocessable);
  std::string huge_list = "LIST";
  testing::Put32(huge_list, 0xFFFFFFF0u);
  EXPECT_EQ(CodeOf(BuildWav(Tone(16000, 0.01), {}, testing::BeforeFmt(huge_list))),
            ErrorCode::kUnprocessable);
}

TEST(WavTest, RejectsInconsistentFormats) {
  EXPECT_EQ(CodeOf(BuildWav({}, {1, 16, 0, 16000})), ErrorCode::kUnprocessable);
  EXPECT_EQ(CodeOf(BuildWav({}, {1, 16, 33, 16000})), ErrorCode::kUnprocessable);
  std::string misaligned = BuildWav(Tone(16000, 0.01), {});
  misaligned[32] = 4;  // block align 4 for mono 16-bit
  EXPECT_EQ(CodeOf(misaligned), ErrorCode::kUnprocessable);
  EXPECT_EQ(CodeOf(BuildWav({}, {1, 12, 1, 16000})), ErrorCode::kUnsupportedMedia);
  EXPECT_EQ(CodeOf(BuildWav({}, {3, 16, 1, 16000})), ErrorCode::kUnsupportedMedia);
}

TEST(WavTest, RejectsCompressedFormatsNamingTheTag) {
  Result<WavInfo> adpcm = ParseWavHeader(BuildWav({}, {0x11, 4, 1, 16000}));
  EXPECT_EQ(adpcm.status().code(), ErrorCode::kUnsupportedMedia);
  EXPECT_NE(adpcm.status().message().find("IMA ADPCM (0x0011)"), std::string::npos)
      << adpcm.status().message();
  Result<WavInfo> mp3 = ParseWavHeader(BuildWav({}, {0x55, 16, 1, 16000, true}));
  EXPECT_EQ(mp3.status().code(), ErrorCode::kUnsupportedMedia);
  EXPECT_NE(mp3.status().message().find("MPEG Layer 3"), std::string::npos);
  std::string odd_guid = BuildWav({}, {1, 16, 1, 16000, true});
  odd_guid[20 + 24 + 5] ^= 0x40;  // break the subformat GUID
  EXPECT_EQ(CodeOf(odd_guid), ErrorCode::kUnsupportedMedia);
}

TEST(WavTest, RejectsOtherRiffAndNonRiff) {
  EXPECT_EQ(CodeOf("RIFF\x04\0\0\0AVI LIST"s), ErrorCode::kUnsupportedMedia);
  EXPECT_EQ(CodeOf("OggS and more bytes"), ErrorCode::kUnsupportedMedia);
  EXPECT_FALSE(LooksLikeWav("RIFF\x04\0\0\0AVI "s));
  EXPECT_TRUE(LooksLikeWav(BuildWav({}, {})));
}

TEST(WavWriterTest, RoundTripsMono16) {
  std::vector<int16_t> samples = {0, 1, -1, 32767, -32768, 1234, -4321};
  const std::string wav = EncodeWav(samples, 24000);
  ASSERT_EQ(wav.size(), 44 + samples.size() * 2);
  Result<WavInfo> info = ParseWavHeader(wav);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->sample_rate, 24000);
  EXPECT_EQ(info->channels, 1);
  EXPECT_EQ(info->bits_per_sample, 16);
  Result<PcmAudio> pcm = ParseWav(wav);
  ASSERT_TRUE(pcm.ok());
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(std::lround(pcm->samples[i] * 32768.0f), samples[i]);
  }
}

TEST(WavWriterTest, StreamingHeaderParsesToTheEnd) {
  const std::vector<int16_t> samples(100, 7);
  std::string wav = EncodeWavHeader(16000, 1, 0xFFFFFFFF) + EncodePcm16(samples);
  Result<WavInfo> info = ParseWavHeader(wav);
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->frames, 100u);
}

TEST(WavWriterTest, RawPcmRoundTripsAndRejectsOddLengths) {
  const std::vector<int16_t> samples = {1, -2, 300, -32768};
  const std::string bytes = EncodePcm16(samples);
  EXPECT_EQ(bytes, std::string("\x01\x00\xFE\xFF\x2C\x01\x00\x80", 8));
  Result<std::vector<int16_t>> back = DecodePcm16(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, samples);
  EXPECT_EQ(DecodePcm16("abc").status().code(), ErrorCode::kUnprocessable);
}

TEST(WavWriterTest, NamesFormatTags) {
  EXPECT_EQ(WavFormatTagName(0x0011), "IMA ADPCM (0x0011)");
  EXPECT_EQ(WavFormatTagName(0x1234), "format tag (0x1234)");
}

}  // namespace
}  // namespace harvis::audio
