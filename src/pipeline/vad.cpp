#include "pipeline/vad.h"

#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include <algorithm>
#include <cmath>

namespace harvis::pipeline {
namespace {

constexpr int kFrameSamples = VoiceActivityDetector::kSampleRate * VoiceActivityDetector::kFrameMs / 1000;
// The GMM detector is level-independent and, before it has adapted, takes steady noise
// for speech; so a voiced frame must also stand out of the noise floor (minimum
// tracking: falls at once, rises over seconds) and exceed an absolute level (-50 dBFS).
constexpr double kMinEnergy = 0.003 * 0.003;
constexpr double kSnr = 4.0;          // energy ratio over the floor (6 dB)
constexpr double kFloorRise = 0.003;  // per 10 ms frame: a time constant of about 3 s

int Frames(int ms) { return std::max(1, (ms + VoiceActivityDetector::kFrameMs - 1) / VoiceActivityDetector::kFrameMs); }

// A higher threshold means fewer frames declared voiced: a less likely "likelihood".
webrtc::VoiceDetection::Likelihood LikelihoodFor(double threshold) {
  if (threshold < 0.25) return webrtc::VoiceDetection::kHighLikelihood;
  if (threshold < 0.5) return webrtc::VoiceDetection::kModerateLikelihood;
  if (threshold < 0.75) return webrtc::VoiceDetection::kLowLikelihood;
  return webrtc::VoiceDetection::kVeryLowLikelihood;
}

}  // namespace

VoiceActivityDetector::VoiceActivityDetector(VadOptions options) : options_(options) {
  options_.threshold = std::clamp(options_.threshold, 0.0, 1.0);
  Reset();
}

VoiceActivityDetector::~VoiceActivityDetector() = default;

void VoiceActivityDetector::Reset() {
  apm_.reset(webrtc::AudioProcessing::Create());
  apm_->voice_detection()->Enable(true);
  apm_->voice_detection()->set_likelihood(LikelihoodFor(options_.threshold));
  apm_->voice_detection()->set_frame_size_ms(kFrameMs);
  pending_.clear();
  frames_ = 0;
  noise_floor_ = -1;
  speaking_ = false;
  voiced_run_ = 0;
  silent_run_ = 0;
}

std::vector<VadEvent> VoiceActivityDetector::Push(const std::vector<float>& pcm) {
  std::vector<VadEvent> events;
  for (float x : pcm) {
    pending_.push_back(std::isfinite(x) ? std::clamp(x, -1.0f, 1.0f) : 0.0f);
    if (pending_.size() < static_cast<size_t>(kFrameSamples)) continue;
    Step(Voiced(pending_), events);
    pending_.clear();
  }
  return events;
}

bool VoiceActivityDetector::Voiced(std::vector<float>& frame) {
  double energy = 0;
  for (float s : frame) energy += static_cast<double>(s) * s;
  energy /= frame.size();
  if (noise_floor_ < 0 || energy < noise_floor_) noise_floor_ = energy;
  else noise_floor_ += (energy - noise_floor_) * kFloorRise;
  const bool loud = energy >= kMinEnergy && energy >= kSnr * noise_floor_;
  float* channel = frame.data();  // processed in place; the frame is dropped afterwards
  const int rc = apm_->ProcessStream(&channel, frame.size(), kSampleRate, webrtc::AudioProcessing::kMono,
                                     kSampleRate, webrtc::AudioProcessing::kMono, &channel);
  if (rc != webrtc::AudioProcessing::kNoError) return false;
  return loud && apm_->voice_detection()->stream_has_voice();
}

void VoiceActivityDetector::Step(bool voiced, std::vector<VadEvent>& events) {
  ++frames_;
  if (!speaking_) {
    voiced_run_ = voiced ? voiced_run_ + 1 : 0;
    if (voiced_run_ >= Frames(options_.min_speech_ms)) {
      speaking_ = true;
      silent_run_ = 0;
      const int64_t first_voiced_ms = (frames_ - voiced_run_) * kFrameMs;
      events.push_back({VadEvent::kSpeechStarted, std::max<int64_t>(0, first_voiced_ms - options_.prefix_padding_ms)});
    }
    return;
  }
  silent_run_ = voiced ? 0 : silent_run_ + 1;
  if (silent_run_ >= Frames(options_.silence_duration_ms)) {
    speaking_ = false;
    voiced_run_ = 0;
    events.push_back({VadEvent::kSpeechStopped, position_ms()});
  }
}

}  // namespace harvis::pipeline
