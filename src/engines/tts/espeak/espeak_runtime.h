// The process-wide libespeak-ng instance used by every `engine: espeak` model.
//
// libespeak-ng keeps all of its state in globals (voice, parameters, output callback,
// phoneme tables, dictionary) and is not thread-safe. This class owns that state for the
// whole process: ONE mutex (`mu_`) serialises every libespeak-ng call, so two espeak
// models, or one model with `parallel: N > 1`, still synthesize one sentence at a time
// (requests interleave per sentence, not per request). The mutex is a leaf lock: no
// other lock is taken while it is held, and callers must not hold it across callbacks
// (EspeakEngine calls its SentenceCallback after Speak() returns).
//
// Lifetime: initialised on first use, never terminated. espeak-ng 1.51's
// espeak_ng_Terminate() blocks forever in synchronous mode (its fifo thread never
// answers), so the data it loaded (phoneme tables plus one dictionary, about 0.8 MB for
// English) stays for the life of the process even after every espeak model is unloaded.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engines/tts/tts_common.h"

namespace harvis::tts {

class EspeakRuntime {
 public:
  // The single instance. Thread-safe.
  static EspeakRuntime& Get();

  // Initialises libespeak-ng once per process with synchronous output. `data_path` is
  // the espeak-ng-data folder (empty: the library's default); a later call naming a
  // different folder fails with kFailedPrecondition because the data is process-global.
  // Thread-safe.
  Status EnsureInitialized(const std::string& data_path);

  // Native output rate in Hz (22050 for espeak-ng); 0 before initialisation. Thread-safe.
  int sample_rate();

  // Every installed voice, in espeak's order. Empty before initialisation. Thread-safe.
  std::vector<Voice> Voices();
  // Names of the voice variants ("f3", "klatt", "Alex", ...). Thread-safe.
  std::vector<std::string> Variants();

  // Maps a user-facing voice name to an espeak voice spec. Accepts a voice name
  // ("en-us"), an espeak identifier ("gmw/en-US"), a description ("English (America)"),
  // or any language a voice lists ("en"), case-insensitively, optionally followed by
  // "+variant" ("en-us+f3"). kInvalidArgument listing some valid names otherwise.
  // Thread-safe.
  Result<std::string> Resolve(std::string_view voice);

  // Bytes of espeak-ng data that a voice spec keeps in the heap: the phoneme tables and
  // intonations (loaded once) plus the dictionary of the voice's language, from the
  // sizes of those files. Thread-safe.
  std::uint64_t DataBytes(const std::string& spec);

  // Synthesizes one piece of text (a sentence) with `spec` (from Resolve) at `rate_wpm`
  // words per minute, returning 16-bit mono PCM at sample_rate(). Thread-safe
  // (serialised with every other espeak call in the process).
  Result<std::vector<std::int16_t>> Speak(const std::string& spec, int rate_wpm,
                                          const std::string& text);

 private:
  struct VoiceEntry {
    Voice voice;
    std::string identifier;              // espeak-ng-data path, e.g. "gmw/en-US"
    std::vector<std::string> languages;  // every language the voice lists
  };

  EspeakRuntime() = default;
  void LoadVoiceTablesLocked();
  Status SelectLocked(const std::string& spec, int rate_wpm);
  std::string SuggestionsLocked() const;

  std::mutex mu_;  // guards every libespeak-ng call and all fields below
  bool initialized_ = false;
  std::string data_path_;      // as requested by the first EnsureInitialized
  std::string resolved_path_;  // the folder espeak-ng actually uses
  int sample_rate_ = 0;
  std::string current_spec_;  // voice last set in espeak (avoids reloading it)
  int current_rate_ = -1;
  std::vector<VoiceEntry> voices_;
  std::vector<std::string> variants_;
};

}  // namespace harvis::tts
