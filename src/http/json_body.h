// Parsing and validation of JSON request bodies into Status errors that name the field.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "engines/engine.h"

namespace harvis::http {

// Parses `body` as a JSON object; 400 for malformed JSON or a non-object.
Result<nlohmann::json> ParseJsonObject(const std::string& body);

// A list of chat messages ({role, content}; content a string or text parts), as in
// OpenAI's `messages` and Harvis's `history`; `field` names it in errors. May be empty.
// The role "developer" becomes "system".
Result<std::vector<ChatMessage>> ParseMessageList(const nlohmann::json& list, const std::string& field);

// The fields of an OpenAI chat completion request that Harvis uses. Unknown fields are
// ignored, as OpenAI-compatible servers do; known fields with the wrong type are 400.
struct ChatCompletionRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  bool stream = false;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> max_tokens;
  std::optional<int> seed;
  std::vector<std::string> stop;
};

Result<ChatCompletionRequest> ParseChatCompletionRequest(const std::string& body);

}  // namespace harvis::http
