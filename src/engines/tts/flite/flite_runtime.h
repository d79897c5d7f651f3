// The process-wide flite instance used by every `engine: flite` model.
//
// flite's voices are process-global objects (register_cmu_us_slt() returns the same
// cst_voice every time, and unregister deletes it for everyone), speed is a feature set
// on that shared voice, and error recovery goes through the global `cst_errjmp`. Flite is
// not documented as reentrant, so — conservatively — ONE process-wide mutex (`mu_`)
// serialises every flite call: concurrent Synthesize calls, of one model with
// `parallel: N > 1` or of several flite models, take turns per sentence. The mutex is a
// leaf lock; callbacks are never called with it held.
//
// Voices are registered when the first flite model loads and unregistered when the last
// one unloads (reference count under `mu_`).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engines/tts/tts_common.h"

namespace harvis::tts {

class FliteRuntime {
 public:
  // The single instance. Thread-safe.
  static FliteRuntime& Get();

  // The voices built into this binary (slt, kal, kal16, rms, awb). Thread-safe.
  static std::vector<Voice> Voices();
  // The canonical voice name for `name` ("slt", or "cmu_us_slt"; any case); empty when
  // unknown. Thread-safe.
  static std::string Canonical(std::string_view name);

  // Takes a reference: on the first one, flite_init() and registration of every voice.
  // Returns the measured footprint (see FootprintOfVoices). Thread-safe.
  Result<std::uint64_t> Acquire();
  // Drops a reference; the last one unregisters the voices. Thread-safe.
  void Release();

  // Synthesizes one piece of text with voice `name` (canonical) at `speed` (duration
  // stretch 1/speed): 16-bit mono PCM at the voice's rate, written to `rate_hz`.
  // kUnavailable when no reference is held; kUnprocessable when flite reports an
  // error for this text. Thread-safe.
  Result<std::vector<std::int16_t>> Speak(const std::string& name, double speed,
                                          const std::string& text, int* rate_hz);

 private:
  FliteRuntime() = default;
  std::uint64_t MeasureLocked();

  std::mutex mu_;  // guards every flite call and the fields below
  int users_ = 0;
  bool flite_initialised_ = false;
  // RSS growth measured around the first registration + warm-up in this process.
  std::uint64_t footprint_ = 0;
};

}  // namespace harvis::tts
