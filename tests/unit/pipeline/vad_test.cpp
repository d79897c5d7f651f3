#include "pipeline/vad.h"

#include <gtest/gtest.h>

#include "speech_signal.h"

namespace harvis::pipeline {
namespace {

using testing::Concat;
using testing::Noise;
using testing::Silence;
using testing::SpeechLike;

std::vector<float> Add(std::vector<float> a, const std::vector<float>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) a[i] += b[i];
  return a;
}

// Pushes `pcm` in 100 ms chunks, as a client streams it.
std::vector<VadEvent> Feed(VoiceActivityDetector& vad, const std::vector<float>& pcm) {
  std::vector<VadEvent> all;
  for (size_t i = 0; i < pcm.size(); i += 1600) {
    std::vector<float> chunk(pcm.begin() + i, pcm.begin() + std::min(pcm.size(), i + 1600));
    for (const auto& e : vad.Push(chunk)) all.push_back(e);
  }
  return all;
}

TEST(Vad, SilenceAndQuietNoiseAreNotSpeech) {
  VoiceActivityDetector vad;
  EXPECT_TRUE(Feed(vad, Concat({Silence(2000), Noise(3000, 0.002f)})).empty());
  EXPECT_FALSE(vad.speaking());
  EXPECT_EQ(vad.position_ms(), 5000);
}

TEST(Vad, LoudSteadyNoiseIsNotSpeech) {
  VoiceActivityDetector vad;
  EXPECT_TRUE(Feed(vad, Noise(4000, 0.05f, 11)).empty());
}

TEST(Vad, SpeechBurstStartsAndStopsWithPaddedOffsets) {
  VoiceActivityDetector vad;  // prefix 300 ms, silence 500 ms
  auto events = Feed(vad, Concat({Silence(1000), SpeechLike(1500), Silence(1500)}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, VadEvent::kSpeechStarted);
  EXPECT_EQ(events[1].kind, VadEvent::kSpeechStopped);
  // Detected near 1000 ms, reported 300 ms earlier.
  EXPECT_GE(events[0].audio_ms, 600);
  EXPECT_LE(events[0].audio_ms, 900);
  // Ends 500 ms after the speech (2500 ms), within a few frames.
  EXPECT_GE(events[1].audio_ms, 2900);
  EXPECT_LE(events[1].audio_ms, 3300);
  EXPECT_FALSE(vad.speaking());
}

TEST(Vad, SpeechOverBackgroundNoiseIsDetected) {
  VoiceActivityDetector vad;
  auto noise = Noise(5000, 0.01f);
  auto events = Feed(vad, Add(noise, Concat({Silence(2000), SpeechLike(1500), Silence(1500)})));
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().kind, VadEvent::kSpeechStarted);
  EXPECT_GE(events.front().audio_ms, 1400);
  EXPECT_EQ(events.back().kind, VadEvent::kSpeechStopped);
  EXPECT_FALSE(vad.speaking());
}

TEST(Vad, ShortPauseDoesNotEndTheSpeechButALongOneDoes) {
  VadOptions options;
  options.silence_duration_ms = 800;
  VoiceActivityDetector vad(options);
  auto events = Feed(vad, Concat({SpeechLike(800), Silence(300), SpeechLike(800), Silence(1200)}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, VadEvent::kSpeechStarted);
  EXPECT_EQ(events[0].audio_ms, 0);  // padding is clamped at the stream start
  EXPECT_EQ(events[1].kind, VadEvent::kSpeechStopped);
}

TEST(Vad, TwoUtterancesGiveTwoTurns) {
  VoiceActivityDetector vad;
  auto events = Feed(vad, Concat({SpeechLike(700), Silence(1000), SpeechLike(700), Silence(1000)}));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].kind, VadEvent::kSpeechStarted);
  EXPECT_GT(events[2].audio_ms, events[1].audio_ms - 500);
}

TEST(Vad, ResetForgetsOffsetsAndState) {
  VoiceActivityDetector vad;
  Feed(vad, SpeechLike(500));
  EXPECT_TRUE(vad.speaking());
  vad.Reset();
  EXPECT_FALSE(vad.speaking());
  EXPECT_EQ(vad.position_ms(), 0);
}

}  // namespace
}  // namespace harvis::pipeline
