#include <nlohmann/json.hpp>

#include "http/errors.h"
#include "http/json_body.h"
#include "http/routes.h"

namespace harvis::http {
namespace {

HttpResponse ListModels(const Config& config, int64_t created) {
  nlohmann::json data = nlohmann::json::array();
  for (const ModelConfig& m : config.models) {
    data.push_back({{"id", m.name}, {"object", "model"}, {"created", created}, {"owned_by", "harvis"},
                    {"kind", ModelKindName(m.kind)}, {"engine", m.engine}});
  }
  HttpResponse res;
  res.body = nlohmann::json{{"object", "list"}, {"data", data}}.dump();
  return res;
}

HttpResponse ChatCompletions(const HttpRequest& req) {
  auto parsed = ParseChatCompletionRequest(req.body);
  if (!parsed.ok()) return ErrorResponse(parsed.status(), "invalid_request");
  return ErrorResponse(Status(ErrorCode::kUnavailable, "no LLM engine available").WithRetryAfter(30),
                       "no_llm_engine");
}

}  // namespace

void RegisterOpenAiRoutes(HttpServer& server, const Config& config, int64_t created_unix) {
  server.Get("v1_models", "/v1/models", [&config, created_unix](const HttpRequest&) {
    return ListModels(config, created_unix);
  });
  server.Post("v1_chat_completions", "/v1/chat/completions", ChatCompletions);
}

}  // namespace harvis::http
