#include "engines/tts/flite/flite_runtime.h"

#include <csetjmp>

extern "C" {
#include <flite/flite.h>

// Voice registration functions of the flite voice libraries (not declared in flite's
// headers).
cst_voice* register_cmu_us_slt(const char* voxdir);
void unregister_cmu_us_slt(cst_voice* voice);
cst_voice* register_cmu_us_kal(const char* voxdir);
void unregister_cmu_us_kal(cst_voice* voice);
cst_voice* register_cmu_us_kal16(const char* voxdir);
void unregister_cmu_us_kal16(cst_voice* voice);
cst_voice* register_cmu_us_rms(const char* voxdir);
void unregister_cmu_us_rms(cst_voice* voice);
cst_voice* register_cmu_us_awb(const char* voxdir);
void unregister_cmu_us_awb(cst_voice* voice);
}

namespace harvis::tts {
namespace {

struct VoiceDef {
  const char* name;
  const char* description;
  cst_voice* (*register_voice)(const char*);
  void (*unregister_voice)(cst_voice*);
};

constexpr VoiceDef kVoices[] = {
    {"slt", "US English, female (CMU SLT, clustergen, 16 kHz)", register_cmu_us_slt,
     unregister_cmu_us_slt},
    {"kal", "US English, male (CMU KAL, diphone, 8 kHz)", register_cmu_us_kal,
     unregister_cmu_us_kal},
    {"kal16", "US English, male (CMU KAL, diphone, 16 kHz)", register_cmu_us_kal16,
     unregister_cmu_us_kal16},
    {"rms", "US English, male (CMU RMS, clustergen, 16 kHz)", register_cmu_us_rms,
     unregister_cmu_us_rms},
    {"awb", "Scottish English, male (CMU AWB, clustergen, 16 kHz)", register_cmu_us_awb,
     unregister_cmu_us_awb},
};
constexpr std::size_t kVoiceCount = sizeof(kVoices) / sizeof(kVoices[0]);

// The registered voices, index-aligned with kVoices; guarded by FliteRuntime::mu_.
cst_voice* g_registered[kVoiceCount] = {};

// Floor of the reported footprint, for the unlikely case that the RSS delta is not
// positive (e.g. memory freed by another thread during the measurement).
constexpr std::uint64_t kMinFootprint = 1024 * 1024;

// Runs flite_text_to_wave with flite's error jump set, so that cst_error() inside flite
// returns here instead of calling exit(). No C++ object with a destructor lives in this
// frame, so the longjmp is safe; what flite allocated before the error leaks.
cst_wave* TextToWaveGuarded(const char* text, cst_voice* voice) {
  jmp_buf env;
  jmp_buf* previous = cst_errjmp;
  cst_errjmp = &env;
  cst_wave* volatile wave = nullptr;
  if (setjmp(env) == 0) wave = flite_text_to_wave(text, voice);
  cst_errjmp = previous;
  return wave;
}

}  // namespace

FliteRuntime& FliteRuntime::Get() {
  static FliteRuntime* runtime = new FliteRuntime();  // never destroyed: used until exit
  return *runtime;
}

std::vector<Voice> FliteRuntime::Voices() {
  std::vector<Voice> out;
  for (const VoiceDef& def : kVoices) {
    out.push_back(Voice{def.name, def.name == std::string_view("awb") ? "en-gb-scotland" : "en-us",
                        def.description});
  }
  return out;
}

std::string FliteRuntime::Canonical(std::string_view name) {
  std::string lower = Lower(name);
  if (lower.rfind("cmu_us_", 0) == 0) lower = lower.substr(7);
  for (const VoiceDef& def : kVoices) {
    if (lower == def.name) return def.name;
  }
  return "";
}

std::uint64_t FliteRuntime::MeasureLocked() {
  const std::uint64_t before = ResidentBytes();
  for (std::size_t i = 0; i < kVoiceCount; ++i) {
    g_registered[i] = kVoices[i].register_voice(nullptr);
  }
  // One short word per voice pages in its unit/parameter data and lexicon.
  for (cst_voice* voice : g_registered) {
    if (voice == nullptr) continue;
    if (cst_wave* wave = TextToWaveGuarded("Hello.", voice)) delete_wave(wave);
  }
  const std::uint64_t after = ResidentBytes();
  return after > before + kMinFootprint ? after - before : kMinFootprint;
}

Result<std::uint64_t> FliteRuntime::Acquire() {
  std::lock_guard lock(mu_);
  if (users_ == 0) {
    if (!flite_initialised_) {
      flite_init();
      footprint_ = MeasureLocked();
      flite_initialised_ = true;
    } else {
      for (std::size_t i = 0; i < kVoiceCount; ++i) {
        g_registered[i] = kVoices[i].register_voice(nullptr);
      }
    }
    for (std::size_t i = 0; i < kVoiceCount; ++i) {
      if (g_registered[i] == nullptr) {
        return Status(ErrorCode::kFailedPrecondition,
                      std::string("flite: cannot register voice '") + kVoices[i].name + "'");
      }
    }
  }
  ++users_;
  return footprint_;
}

void FliteRuntime::Release() {
  std::lock_guard lock(mu_);
  if (users_ == 0) return;
  if (--users_ > 0) return;
  for (std::size_t i = 0; i < kVoiceCount; ++i) {
    if (g_registered[i] != nullptr) kVoices[i].unregister_voice(g_registered[i]);
    g_registered[i] = nullptr;
  }
}

Result<std::vector<std::int16_t>> FliteRuntime::Speak(const std::string& name, double speed,
                                                      const std::string& text, int* rate_hz) {
  std::lock_guard lock(mu_);
  if (users_ == 0) return Status(ErrorCode::kUnavailable, "flite voices are not loaded");
  cst_voice* voice = nullptr;
  for (std::size_t i = 0; i < kVoiceCount; ++i) {
    if (name == kVoices[i].name) voice = g_registered[i];
  }
  if (voice == nullptr) {
    return Status(ErrorCode::kInvalidArgument, "flite: unknown voice '" + name + "'");
  }
  feat_set_float(voice->features, "duration_stretch", static_cast<float>(1.0 / speed));
  cst_wave* wave = TextToWaveGuarded(text.c_str(), voice);
  if (wave == nullptr) {
    return Status(ErrorCode::kUnprocessable, "flite could not synthesize: '" + text + "'");
  }
  std::vector<std::int16_t> pcm;
  const int channels = wave->num_channels > 0 ? wave->num_channels : 1;
  pcm.reserve(static_cast<std::size_t>(wave->num_samples));
  for (int i = 0; i < wave->num_samples; ++i) pcm.push_back(wave->samples[i * channels]);
  *rate_hz = wave->sample_rate;
  delete_wave(wave);
  return pcm;
}

}  // namespace harvis::tts
