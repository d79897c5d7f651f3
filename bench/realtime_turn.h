// One voice turn over GET /v1/realtime (OpenAI Realtime events), for voice_ttfa_bench:
// the question is streamed as input_audio_buffer.append at real time (20 ms chunks of
// pcm16 24 kHz), followed by silence as a live microphone would send, and the server's
// VAD ends the turn; or, push-to-talk, without turn detection: the client commits and
// asks for a response as soon as the speech ends (the button is released). Times are
// taken from the end of the speech (the moment its last chunk was sent).
#pragma once

#include <optional>
#include <string>

namespace harvis::bench {

struct RealtimeTiming {
  double first_audio_ms = 0;  // end of speech to the first response.audio.delta
  double done_ms = 0;         // end of speech to response.done
};

// `wav_16k` is a 16 kHz mono pcm16 WAV. `silence_ms` > 0 sets turn_detection's
// silence_duration_ms with session.update; 0 keeps the server's default; -1 is
// push-to-talk (turn_detection null).
constexpr int kPushToTalk = -1;
std::optional<RealtimeTiming> RealtimeTurn(int port, const std::string& wav_16k, int silence_ms);

}  // namespace harvis::bench
