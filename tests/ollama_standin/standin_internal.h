// Helpers shared by the stand-in's route files.
#pragma once

#include <string>

#include "standin_routes.h"

namespace standin {

// Ollama's error answer: HTTP `status` with {"error": message}.
void SendError(httplib::Response& res, int status, const std::string& message);

// POST /api/chat (chat = true) or /api/generate (chat = false).
void HandleModelRequest(const httplib::Request& req, httplib::Response& res, StandinState& state,
                        const StandinSettings& settings, bool chat);

}  // namespace standin
