// VoiceActivityDetector: server-side turn detection on 16 kHz mono float PCM, with the
// parameters of OpenAI's `turn_detection: {type: "server_vad"}`.
//
// Frame decisions (10 ms) come from WebRTC's GMM voice detector (Debian
// libwebrtc-audio-processing, pkg-config `webrtc-audio-processing`), whose aggressiveness
// `threshold` picks, gated by energy: above an adaptive noise floor and a minimum level.
// (speexdsp's VAD was tried first: it flags unadapted background noise as speech and
// prints "The VAD has been replaced by a hack".)
// On top of the frame decisions, a small state machine:
//
//   SILENT ──(min_speech_ms of voiced frames)──► SPEAKING  emits kSpeechStarted at the first
//      ▲                                            │       voiced frame − prefix_padding_ms
//      └──────(silence_duration_ms unvoiced)────────┘       emits kSpeechStopped at the end
//                                                            of that silence
// Offsets are milliseconds of audio pushed since construction (or the last Reset()).
//
// Thread safety: none; one detector per audio stream.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace webrtc {
class AudioProcessing;
}

namespace harvis::pipeline {

struct VadOptions {
  double threshold = 0.5;        // 0..1: speech probability a frame needs
  int prefix_padding_ms = 300;   // audio kept before the detected start
  int silence_duration_ms = 500; // silence that ends the speech
  int min_speech_ms = 60;        // voiced audio that starts it (shorter clicks are ignored)
};

struct VadEvent {
  enum Kind { kSpeechStarted, kSpeechStopped } kind;
  int64_t audio_ms;  // start (padding included) or end of the speech
};

class VoiceActivityDetector {
 public:
  static constexpr int kSampleRate = 16000;
  static constexpr int kFrameMs = 10;

  explicit VoiceActivityDetector(VadOptions options = {});
  ~VoiceActivityDetector();
  VoiceActivityDetector(const VoiceActivityDetector&) = delete;
  VoiceActivityDetector& operator=(const VoiceActivityDetector&) = delete;

  // Feeds audio (any length; partial frames are kept for the next call) and returns the
  // transitions it caused, in order.
  std::vector<VadEvent> Push(const std::vector<float>& pcm);
  bool speaking() const { return speaking_; }
  // While speaking: how long the current pause has lasted (0 while voiced frames come).
  int silence_ms() const { return speaking_ ? silent_run_ * kFrameMs : 0; }
  // Milliseconds of audio consumed so far.
  int64_t position_ms() const { return frames_ * kFrameMs; }
  const VadOptions& options() const { return options_; }
  // Forgets the stream: state, offsets and the detector's adaptation.
  void Reset();

 private:
  bool Voiced(std::vector<float>& frame);
  void Step(bool voiced, std::vector<VadEvent>& events);

  VadOptions options_;
  std::unique_ptr<webrtc::AudioProcessing> apm_;
  std::vector<float> pending_;    // samples of an incomplete frame
  int64_t frames_ = 0;
  bool speaking_ = false;
  int voiced_run_ = 0;    // consecutive voiced frames while silent
  int silent_run_ = 0;    // consecutive unvoiced frames while speaking
  double noise_floor_ = -1;  // mean frame energy of the background; < 0 before the first frame
};

}  // namespace harvis::pipeline
