// OpenAI voice names (alloy, echo, fable, onyx, nova, shimmer, ...) mapped to voices of
// the local TTS engines, so that client code written for OpenAI works unchanged.
#pragma once

#include <string>
#include <vector>

namespace harvis::http {

// The engine voice for `requested`: an OpenAI name is mapped for `engine`; any other
// name is passed through unchanged (the engine rejects unknown voices); empty stays empty.
std::string ResolveVoice(const std::string& engine, const std::string& requested);

// The OpenAI voice names that ResolveVoice maps (alloy, ash, ...), sorted.
std::vector<std::string> OpenAiVoiceNames();

}  // namespace harvis::http
