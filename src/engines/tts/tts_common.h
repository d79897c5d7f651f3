// Helpers shared by the in-process text-to-speech engines (espeak, flite): request
// validation, sentence splitting (so that long text is synthesized in bounded pieces),
// sample-rate conversion of the engine's native output, and the voice description type.
// Every function here is pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "engines/engine.h"

namespace harvis::tts {

// One voice an engine offers. `name` is what SynthesizeOptions::voice accepts.
struct Voice {
  std::string name;         // e.g. "en-us" (espeak), "slt" (flite)
  std::string language;     // BCP-47-ish language tag, e.g. "en-us"
  std::string description;  // human-readable, e.g. "English (America)"
};

// Receives the audio of one sentence; return false to stop synthesis early.
using SentenceCallback = std::function<bool(SpeechAudio sentence)>;

// Speed limits accepted by SynthesizeOptions::speed (OpenAI's range).
constexpr double kMinSpeed = 0.25;
constexpr double kMaxSpeed = 4.0;
// Output sample rates accepted by SynthesizeOptions::sample_rate (0 = native).
constexpr int kMinSampleRate = 8000;
constexpr int kMaxSampleRate = 192000;
// Longest piece of text handed to an engine in one call (characters).
constexpr std::size_t kMaxChunkChars = 400;

// kInvalidArgument when the text has nothing to say (empty or only whitespace), the
// speed is outside [kMinSpeed, kMaxSpeed] or not a number, or the sample rate is
// neither 0 nor within [kMinSampleRate, kMaxSampleRate]. `engine` names the engine in
// the message.
Status ValidateSynthesis(std::string_view engine, std::string_view text,
                         const SynthesizeOptions& options);

// Splits text into sentences at '.', '!', '?', ';', ':' followed by white space (and
// at blank lines), keeping the punctuation; a period after a common abbreviation
// ("Mr.", "e.g.") or a single letter does not end a sentence. Pieces longer than
// `max_chars` are cut at the last space (else at a UTF-8 character boundary) before
// the limit. White space is collapsed; empty pieces are dropped.
std::vector<std::string> SplitSentences(std::string_view text,
                                        std::size_t max_chars = kMaxChunkChars);

// Returns `pcm` at `to_rate` (unchanged when to_rate is 0 or equal to from_rate),
// resampled with libsoxr through the audio layer.
SpeechAudio ToRate(std::vector<std::int16_t> pcm, int from_rate, int to_rate);

// Appends `part` to `whole` (whole takes part's rate when it is still empty).
void Append(SpeechAudio& whole, const SpeechAudio& part);

// Runs a sentence-by-sentence synthesis and joins the sentences into one SpeechAudio
// (rate: `options.sample_rate`, else the sentences' own rate).
Result<SpeechAudio> Collect(const SynthesizeOptions& options,
                            const std::function<Status(const SentenceCallback&)>& synthesize);

// Resident set size of this process in bytes (/proc/self/statm); 0 when unreadable.
std::uint64_t ResidentBytes();

// Lower-case ASCII copy (voice names are compared without case).
std::string Lower(std::string_view text);

}  // namespace harvis::tts
