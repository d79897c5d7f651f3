// Parsing of the Harvis routes' requests (JSON bodies and multipart forms) into
// pipeline requests. Unknown fields are ignored (the Harvis front end sends a few that
// this backend has no use for, e.g. `session_id`, `exaggeration`); known fields with the
// wrong type are 400 naming the field.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engines/engine.h"
#include "http/multipart.h"
#include "http/routes.h"

namespace harvis::http {

// The models a request names (empty: the server's default for that kind).
struct RequestedModels {
  std::string stt, llm, tts;
};

// POST /api/chat: {message, history?, model?, text_only?, low_vram?, tts_engine?, voice?}.
struct HarvisChatRequest {
  std::string message;
  std::vector<ChatMessage> history;
  RequestedModels models;
  std::string voice;
  bool text_only = false;
  bool low_vram = false;
};
Result<HarvisChatRequest> ParseHarvisChat(const std::string& body);

// Multipart requests with audio (/api/mic-chat, /api/voice, /api/voice-transcribe):
// `file`, and the fields model, stt_model, tts_model|tts_engine, voice, language,
// history (a JSON array), text_only, low_vram ("true"/"false"/"1"/"0").
struct HarvisAudioRequest {
  const FormPart* file = nullptr;
  std::vector<ChatMessage> history;
  RequestedModels models;
  std::string voice;
  std::string language;
  bool text_only = false;
  bool low_vram = false;
};
// `model_field_kind` says which model `model` names (kLlm for the chats, kStt for
// /api/voice-transcribe); `query` may also carry `model`.
Result<HarvisAudioRequest> ParseHarvisAudio(const HttpRequest& request, ModelKind model_field_kind);

// POST /api/synthesize-speech: {text, tts_engine?|model?, voice?, speed?}.
struct SynthesizeSpeechRequest {
  std::string text;
  std::string tts;
  std::string voice;
  double speed = 1.0;
};
Result<SynthesizeSpeechRequest> ParseSynthesizeSpeech(const std::string& body);

// The TTS model for a request's `tts_engine`: empty picks the current default; a model
// name must be a TTS model; an engine name ("espeak") picks the first TTS model of
// that engine. 404 when nothing matches.
Result<std::string> ResolveTtsModel(const ApiContext& context, const std::string& requested);

// Checks the models of a turn and fills in the defaults: the LLM always, the STT one
// `with_stt`, the TTS one `with_tts` (else cleared). Errors as CheckModelKind and
// ResolveTtsModel give them.
Status ResolveTurnModels(const ApiContext& context, RequestedModels& models, bool with_stt, bool with_tts);

// The engine voice for `voice` on `tts_model` (OpenAI names mapped, see ResolveVoice).
std::string ResolveTurnVoice(const ApiContext& context, const std::string& tts_model, const std::string& voice);

}  // namespace harvis::http
