#include "engines/llm/ollama/ollama_engine.h"

#include <spdlog/spdlog.h>

#include "engines/llm/ollama/ollama_tenant.h"

namespace harvis {
namespace {

Status BadOption(const ModelConfig& model, const std::string& key, const std::string& why) {
  return Status(ErrorCode::kInvalidArgument,
                "model '" + model.name + "': options." + key + ": " + why);
}

}  // namespace

Result<OllamaEngineOptions> OllamaEngineOptions::Parse(const ModelConfig& model,
                                                       const OllamaConfig& ollama) {
  OllamaEngineOptions out;
  out.model = model.path.empty() ? model.name : model.path;
  out.client.url = ollama.url;
  for (const auto& [key, value] : model.options) {
    if (key == "model") {
      if (value.empty()) return BadOption(model, key, "must not be empty");
      out.model = value;
    } else if (key == "url") {
      out.client.url = value;
    } else if (key == "connect_timeout" || key == "timeout" || key == "idle_timeout") {
      auto d = ParseDuration(value);
      if (!d || d->count() <= 0) return BadOption(model, key, "not a positive duration: '" + value + "'");
      (key == "connect_timeout" ? out.client.connect_timeout
       : key == "timeout"       ? out.client.request_timeout
                                : out.client.idle_timeout) = *d;
    } else if (key == "stream") {
      if (value != "true" && value != "false") return BadOption(model, key, "expected true or false");
      out.stream = value == "true";
    }
    // Other keys are left to the scheduler (e.g. threads) and ignored here.
  }
  return out;
}

OllamaEngine::OllamaEngine(ModelConfig model, OllamaEngineOptions options)
    : model_(std::move(model)), options_(std::move(options)), client_(options_.client) {}

// The model's keep_alive, except 0: in Harvis "0" means "unload after use", which the
// scheduler does itself through Unload(); sent to Ollama it would unload the model at
// the end of the preload, so Ollama is then asked to keep it until told otherwise.
Duration OllamaEngine::OllamaKeepAlive() const {
  return model_.keep_alive.count() == 0 ? kForever : model_.keep_alive;
}

Status OllamaEngine::Load(const LoadRequest&) {
  if (Status st = client_.Load(options_.model, OllamaKeepAlive()); !st.ok()) return st;
  auto running = client_.ListRunning();
  if (!running.ok()) return running.status();
  for (const auto& m : *running) {
    if (SameOllamaModel(m.name, options_.model)) {
      footprint_.store(m.size_vram > 0 ? m.size_vram : m.size);
      return Status::Ok();
    }
  }
  // Loaded, but already gone again (e.g. evicted by Ollama for another model): count
  // what was declared, and let the tenant view correct the ledger on its next poll.
  spdlog::warn("ollama: '{}' loaded but not listed in /api/ps of {}", options_.model, client_.url());
  footprint_.store(EstimateFootprint());
  return Status::Ok();
}

void OllamaEngine::Unload() {
  footprint_.store(0);
  Status st = client_.Unload(options_.model);
  if (!st.ok() && st.code() != ErrorCode::kNotFound) {
    spdlog::warn("ollama: unloading '{}': {}", options_.model, st.message());
    return;
  }
  st = WaitUntilUnloaded(client_, options_.model, options_.confirm_polls, options_.confirm_interval);
  if (!st.ok()) spdlog::warn("ollama: unload of '{}' not confirmed: {}", options_.model, st.message());
}

Result<ChatResult> OllamaEngine::Chat(const std::vector<ChatMessage>& messages,
                                      const ChatOptions& options, const TokenCallback& on_token,
                                      const CancellationToken* cancel) {
  OllamaChatRequest request;
  request.model = options_.model;
  request.messages = messages;
  request.options = options;
  request.keep_alive = OllamaKeepAlive();
  request.stream = options_.stream;
  if (auto it = options.extra.find("stream"); it != options.extra.end()) {
    request.stream = it->second != "false";
    request.options.extra.erase("stream");
  }
  int received = 0;
  TokenCallback counting = [&](std::string_view token) {
    ++received;
    return !on_token || on_token(token);
  };
  // An out-of-memory answer arrives here as kResourceExhausted, unchanged: the scheduler
  // reacts by evicting its own evictable models from the GPU and retrying once.
  auto reply = client_.Chat(request, counting, cancel);
  if (!reply.ok()) return reply.status();
  ChatResult result;
  result.text = std::move(reply->text);
  result.tokens = reply->eval_count > 0 && !reply->cancelled ? reply->eval_count : received;
  result.finish_reason = reply->cancelled ? "cancelled" : reply->done_reason == "length" ? "length" : "stop";
  return result;
}

void RegisterOllamaEngine(EngineRegistry& registry, const OllamaConfig& ollama) {
  registry.Register("ollama", [ollama](const ModelConfig& model) -> Result<std::unique_ptr<Engine>> {
    if (model.kind != ModelKind::kLlm) {
      return Status(ErrorCode::kInvalidArgument,
                    "model '" + model.name + "': engine ollama serves only kind llm");
    }
    auto options = OllamaEngineOptions::Parse(model, ollama);
    if (!options.ok()) return options.status();
    return std::unique_ptr<Engine>(new OllamaEngine(model, std::move(options).value()));
  });
}

}  // namespace harvis
