#include "engines/tts/espeak/espeak_runtime.h"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace harvis::tts {
namespace {

// Where the synth callback appends samples while Speak() runs. Only touched with
// EspeakRuntime::mu_ held (the callback runs inside espeak_ng_Synthesize, on the thread
// that holds the mutex).
std::vector<std::int16_t>* g_sink = nullptr;

int OnSamples(short* samples, int count, espeak_EVENT* /*events*/) {
  if (g_sink != nullptr && samples != nullptr && count > 0) {
    g_sink->insert(g_sink->end(), samples, samples + count);
  }
  return 0;  // continue
}

std::string StatusMessage(espeak_ng_STATUS status) {
  char buffer[512] = {0};
  espeak_ng_GetStatusCodeMessage(status, buffer, sizeof buffer);
  return buffer[0] != 0 ? std::string(buffer) : "espeak-ng status " + std::to_string(status);
}

// espeak_VOICE::languages: (priority byte, NUL-terminated name) pairs, ended by a zero
// priority byte.
std::vector<std::string> ParseLanguages(const char* languages) {
  std::vector<std::string> out;
  if (languages == nullptr) return out;
  const char* p = languages;
  while (*p != 0) {
    ++p;  // priority byte
    std::string name(p);
    p += name.size() + 1;
    if (!name.empty()) out.push_back(Lower(name));
  }
  return out;
}

std::uint64_t FileBytes(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<std::uint64_t>(size);
}

}  // namespace

EspeakRuntime& EspeakRuntime::Get() {
  static EspeakRuntime* runtime = new EspeakRuntime();  // never destroyed (see header)
  return *runtime;
}

Status EspeakRuntime::EnsureInitialized(const std::string& data_path) {
  std::lock_guard lock(mu_);
  if (initialized_) {
    if (data_path != data_path_) {
      return Status(ErrorCode::kFailedPrecondition,
                    "espeak-ng is already initialised with data folder '" +
                        (data_path_.empty() ? resolved_path_ : data_path_) +
                        "'; all espeak models must use the same path");
    }
    return Status::Ok();
  }
  espeak_ng_InitializePath(data_path.empty() ? nullptr : data_path.c_str());
  espeak_ng_ERROR_CONTEXT context = nullptr;
  espeak_ng_STATUS status = espeak_ng_Initialize(&context);
  if (status != ENS_OK) {
    espeak_ng_ClearErrorContext(&context);
    return Status(ErrorCode::kFailedPrecondition,
                  "espeak-ng initialisation failed (data folder '" +
                      (data_path.empty() ? std::string("default") : data_path) +
                      "'): " + StatusMessage(status));
  }
  status = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nullptr);
  if (status != ENS_OK) {
    return Status(ErrorCode::kFailedPrecondition,
                  "espeak-ng output initialisation failed: " + StatusMessage(status));
  }
  espeak_SetSynthCallback(OnSamples);
  const char* path = nullptr;
  espeak_Info(&path);
  resolved_path_ = path != nullptr ? path : data_path;
  data_path_ = data_path;
  sample_rate_ = espeak_ng_GetSampleRate();
  LoadVoiceTablesLocked();
  initialized_ = true;
  return Status::Ok();
}

void EspeakRuntime::LoadVoiceTablesLocked() {
  voices_.clear();
  const espeak_VOICE** list = espeak_ListVoices(nullptr);
  for (int i = 0; list != nullptr && list[i] != nullptr; ++i) {
    VoiceEntry entry;
    entry.identifier = list[i]->identifier != nullptr ? list[i]->identifier : "";
    entry.languages = ParseLanguages(list[i]->languages);
    entry.voice.description = list[i]->name != nullptr ? list[i]->name : entry.identifier;
    entry.voice.language = entry.languages.empty() ? "" : entry.languages.front();
    entry.voice.name =
        entry.voice.language.empty() ? Lower(entry.identifier) : entry.voice.language;
    voices_.push_back(std::move(entry));
  }
  // Two voices with the same primary language are told apart by their identifiers.
  for (VoiceEntry& entry : voices_) {
    const auto same = std::count_if(voices_.begin(), voices_.end(), [&](const VoiceEntry& other) {
      return other.voice.name == entry.voice.name;
    });
    if (same > 1) entry.voice.name = Lower(entry.identifier);
  }
  variants_.clear();
  espeak_VOICE spec{};
  spec.languages = "variant";
  list = espeak_ListVoices(&spec);
  for (int i = 0; list != nullptr && list[i] != nullptr; ++i) {
    std::string id = list[i]->identifier != nullptr ? list[i]->identifier : "";
    if (id.rfind("!v/", 0) == 0) variants_.push_back(id.substr(3));
  }
}

int EspeakRuntime::sample_rate() {
  std::lock_guard lock(mu_);
  return sample_rate_;
}

std::vector<Voice> EspeakRuntime::Voices() {
  std::lock_guard lock(mu_);
  std::vector<Voice> out;
  for (const VoiceEntry& entry : voices_) out.push_back(entry.voice);
  return out;
}

std::vector<std::string> EspeakRuntime::Variants() {
  std::lock_guard lock(mu_);
  return variants_;
}

std::string EspeakRuntime::SuggestionsLocked() const {
  std::string out;
  const std::vector<std::string> preferred = {"en-us", "en-gb", "de", "fr", "es"};
  for (const std::string& name : preferred) {
    for (const VoiceEntry& entry : voices_) {
      if (entry.voice.name == name) out += (out.empty() ? "" : ", ") + name;
    }
  }
  return out + " (and " + std::to_string(voices_.size()) + " more; variants as e.g. 'en-us+f3')";
}

Result<std::string> EspeakRuntime::Resolve(std::string_view voice) {
  std::lock_guard lock(mu_);
  const std::string requested = Lower(voice);
  const std::size_t plus = requested.find('+');
  const std::string base = requested.substr(0, plus);
  std::string spec;
  for (const VoiceEntry& entry : voices_) {
    if (base == entry.voice.name || base == Lower(entry.identifier) ||
        base == Lower(entry.voice.description)) {
      spec = entry.identifier;
      break;
    }
  }
  for (const VoiceEntry& entry : voices_) {
    if (!spec.empty()) break;
    if (std::find(entry.languages.begin(), entry.languages.end(), base) != entry.languages.end()) {
      spec = base;  // a language code: espeak picks its best voice for it
    }
  }
  if (spec.empty() || base.empty()) {
    return Status(ErrorCode::kInvalidArgument, "espeak: unknown voice '" + std::string(voice) +
                                                   "'; valid voices include " +
                                                   SuggestionsLocked());
  }
  if (plus == std::string::npos) return spec;
  const std::string variant = requested.substr(plus + 1);
  for (const std::string& known : variants_) {
    if (Lower(known) == variant) return spec + "+" + known;
  }
  return Status(ErrorCode::kInvalidArgument,
                "espeak: unknown voice variant '" + variant + "' in '" + std::string(voice) +
                    "'; variants include f1..f5, m1..m7, klatt, whisper");
}

std::uint64_t EspeakRuntime::DataBytes(const std::string& spec) {
  std::lock_guard lock(mu_);
  const std::filesystem::path dir = resolved_path_;
  std::uint64_t bytes = 0;
  for (const char* file : {"phontab", "phonindex", "phondata", "intonations"}) {
    bytes += FileBytes(dir / file);
  }
  std::string language = Lower(spec.substr(0, spec.find('+')));
  for (const VoiceEntry& entry : voices_) {
    if (Lower(entry.identifier) == language && !entry.languages.empty()) {
      language = entry.languages.front();
    }
  }
  const std::string dictionary = language.substr(0, language.find('-'));
  return bytes + FileBytes(dir / (dictionary + "_dict"));
}

Status EspeakRuntime::SelectLocked(const std::string& spec, int rate_wpm) {
  if (spec != current_spec_) {
    const espeak_ng_STATUS status = espeak_ng_SetVoiceByName(spec.c_str());
    if (status != ENS_OK) {
      current_spec_.clear();
      return Status(ErrorCode::kInvalidArgument,
                    "espeak: cannot select voice '" + spec + "': " + StatusMessage(status));
    }
    current_spec_ = spec;
    current_rate_ = -1;  // a voice change resets espeak's parameters
  }
  if (rate_wpm != current_rate_) {
    const espeak_ng_STATUS status = espeak_ng_SetParameter(espeakRATE, rate_wpm, 0);
    if (status != ENS_OK) {
      return Status(ErrorCode::kInternal, "espeak: cannot set rate: " + StatusMessage(status));
    }
    current_rate_ = rate_wpm;
  }
  return Status::Ok();
}

Result<std::vector<std::int16_t>> EspeakRuntime::Speak(const std::string& spec, int rate_wpm,
                                                       const std::string& text) {
  std::lock_guard lock(mu_);
  if (!initialized_) return Status(ErrorCode::kUnavailable, "espeak-ng is not initialised");
  if (Status st = SelectLocked(spec, rate_wpm); !st.ok()) return st;
  std::vector<std::int16_t> pcm;
  g_sink = &pcm;
  const espeak_ng_STATUS status = espeak_ng_Synthesize(
      text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr);
  g_sink = nullptr;
  if (status != ENS_OK) {
    return Status(ErrorCode::kInternal, "espeak: synthesis failed: " + StatusMessage(status));
  }
  return pcm;
}

}  // namespace harvis::tts
