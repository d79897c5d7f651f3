// OpenAI-compatible routes: models and chat completions. The audio routes live in
// routes_audio.cpp.
#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "http/errors.h"
#include "http/json_body.h"
#include "http/json_response.h"
#include "http/routes.h"
#include "http/sse.h"
#include "scheduler/scheduler.h"

namespace harvis::http {
namespace {

using nlohmann::json;

std::string CompletionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "chatcmpl-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json ModelObject(const ApiContext& ctx, const ModelSnapshot& m) {
  return {{"id", m.name}, {"object", "model"}, {"created", ctx.started_unix}, {"owned_by", "harvis"},
          {"kind", ModelKindName(m.kind)}, {"engine", m.engine}};
}

HttpResponse ListModels(const ApiContext& ctx) {
  json data = json::array();
  for (const auto& m : ctx.scheduler->ListModels()) data.push_back(ModelObject(ctx, m));
  return JsonResponse({{"object", "list"}, {"data", data}});
}

// GET /v1/models/{id}; ids may contain '/' and ':' (e.g. "library/llama3.2:3b").
HttpResponse RetrieveModel(const ApiContext& ctx, const HttpRequest& req) {
  auto m = ctx.scheduler->GetModel(req.path_params.at(0));
  if (!m.ok()) return ErrorResponse(404, "model '" + req.path_params.at(0) + "' does not exist", "model_not_found");
  return JsonResponse(ModelObject(ctx, *m));
}

ChatOptions ChatOptionsFrom(const ChatCompletionRequest& req) {
  ChatOptions o;
  if (req.temperature) o.temperature = *req.temperature;
  if (req.max_tokens) o.max_tokens = *req.max_tokens;
  if (req.top_p) o.extra["top_p"] = std::to_string(*req.top_p);
  if (req.seed) o.extra["seed"] = std::to_string(*req.seed);
  o.stop = req.stop;
  return o;
}

json ChunkJson(const std::string& id, int64_t created, const std::string& model, const json& delta,
               const json& finish_reason) {
  return {{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model},
          {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}}})}};
}

// Streams SSE chunks as the engine writes; a client that goes away cancels generation.
HttpResponse StreamChat(std::shared_ptr<Lease> lease, ChatCompletionRequest req) {
  return SseResponse([lease, req = std::move(req)](StreamSink& sink) {
    const std::string id = CompletionId();
    const int64_t created = NowUnix();
    auto send = [&sink](const json& j) { return sink.Write(SseData(j)); };
    CancellationToken cancel;
    if (!send(ChunkJson(id, created, req.model, {{"role", "assistant"}, {"content", ""}}, nullptr))) return;
    auto result = lease->Chat(req.messages, ChatOptionsFrom(req), [&](std::string_view token) {
      if (send(ChunkJson(id, created, req.model, {{"content", std::string(token)}}, nullptr))) return true;
      cancel.Cancel();
      return false;
    }, &cancel);
    if (cancel.cancelled()) return;
    if (!result.ok()) {
      // Headers are already sent: report the failure in-band, as OpenAI-compatible servers do.
      sink.Write(SseData(json::parse(ErrorResponse(result.status()).body)));
    } else {
      send(ChunkJson(id, created, req.model, json::object(),
                     result->finish_reason == "length" ? "length" : "stop"));
    }
    sink.Write("data: [DONE]\n\n");
  });
}

HttpResponse CompleteChat(const Lease& lease, const ChatCompletionRequest& req) {
  auto result = lease.Chat(req.messages, ChatOptionsFrom(req), [](std::string_view) { return true; }, nullptr);
  if (!result.ok()) return ErrorResponse(result.status());
  // Engines that do not count the prompt's tokens get an estimate (~4 characters per
  // token), so that clients reading `usage` see a sensible figure.
  int prompt_tokens = result->prompt_tokens;
  if (prompt_tokens == 0) {
    for (const auto& m : req.messages) prompt_tokens += static_cast<int>(m.content.size() / 4 + 1);
  }
  json body = {
      {"id", CompletionId()},
      {"object", "chat.completion"},
      {"created", NowUnix()},
      {"model", req.model},
      {"choices", json::array({{{"index", 0},
                                {"message", {{"role", "assistant"}, {"content", result->text}}},
                                {"finish_reason", result->finish_reason == "length" ? "length" : "stop"}}})},
      {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", result->tokens},
                 {"total_tokens", prompt_tokens + result->tokens},
                 {"prompt_tokens_details", {{"cached_tokens", result->cached_prompt_tokens}}}}}};
  return JsonResponse(body);
}

HttpResponse ChatCompletions(const ApiContext& ctx, const HttpRequest& http_req) {
  auto parsed = ParseChatCompletionRequest(http_req.body);
  if (!parsed.ok()) return ErrorResponse(parsed.status(), "invalid_request");
  if (Status s = CheckModelKind(*ctx.scheduler, parsed->model, ModelKind::kLlm); !s.ok()) return ModelError(s);
  auto lease = ctx.scheduler->Acquire(parsed->model);
  if (!lease.ok()) return ErrorResponse(lease.status());
  if (parsed->stream) return StreamChat(std::make_shared<Lease>(std::move(*lease)), std::move(*parsed));
  return CompleteChat(*lease, *parsed);
}

}  // namespace

Status CheckModelKind(const Scheduler& scheduler, const std::string& name, ModelKind kind) {
  auto model = scheduler.GetModel(name);
  if (!model.ok()) return {ErrorCode::kNotFound, "model '" + name + "' does not exist"};
  if (model->kind != kind) {
    return {ErrorCode::kInvalidArgument, "model '" + name + "' is a " + ModelKindName(model->kind) +
                                             " model, not " + ModelKindName(kind)};
  }
  return Status::Ok();
}

HttpResponse ModelError(const Status& status) {
  return ErrorResponse(status, status.code() == ErrorCode::kNotFound ? "model_not_found" : "invalid_model");
}

void RegisterOpenAiRoutes(HttpServer& server, const ApiContext& ctx) {
  server.Get("v1_models", "/v1/models", [ctx](const HttpRequest&) { return ListModels(ctx); });
  server.Get("v1_model", "/v1/models/(.+)", [ctx](const HttpRequest& req) { return RetrieveModel(ctx, req); });
  server.Post("v1_chat_completions", "/v1/chat/completions",
              [ctx](const HttpRequest& req) { return ChatCompletions(ctx, req); });
  RegisterAudioRoutes(server, ctx);
}

}  // namespace harvis::http
