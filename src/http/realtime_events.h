// JSON framing of the OpenAI Realtime API (beta event names, as the `openai` npm client
// 5.23.2 sends and expects them) for GET /v1/realtime: server events from the session's
// RealtimeEvents, the `session` object, and parsing of `session.update`.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "pipeline/realtime_session.h"

namespace harvis::http {

// Audio on the wire: pcm16 mono little-endian at 24 kHz, both ways (OpenAI's format).
inline constexpr int kRealtimeAudioRate = 24000;

// What session.update may change beyond RealtimeConfig, as the client named it.
struct RealtimeSessionState {
  std::string id;
  pipeline::RealtimeConfig config;
  std::string voice_name;           // the voice as the client named it (e.g. "alloy")
  std::string transcription_model;  // as named; empty: transcription events not asked for
};

// The `session` object of session.created / session.updated.
nlohmann::json SessionJson(const RealtimeSessionState& state);

// Applies a session.update's `session` object to `state`; kInvalidArgument naming the
// field (and nothing applied) for a wrong type or value. Model names are not checked here.
Status ApplySessionUpdate(const nlohmann::json& session, RealtimeSessionState& state, std::string& llm_model,
                          std::string& stt_model);

// The server event for `event` (without event_id); audio is resampled to 24 kHz pcm16.
// An event that becomes several (long audio is cut into deltas) gives an array.
nlohmann::json ServerEventJson(const pipeline::RealtimeEvent& event);

// An `error` server event (without event_id); `client_event_id` may be empty.
nlohmann::json ErrorEventJson(const std::string& type, const std::string& code, const std::string& message,
                              const std::string& param, const std::string& client_event_id);

// The error type for a status: invalid_request_error for a client's mistake, else server_error.
std::string ErrorTypeFor(const Status& status);

}  // namespace harvis::http
