// A client of Ollama's HTTP API (libcurl). It speaks only to the base URL it was built
// with (`ollama.url`, or OLLAMA_CLOUD_URL, as resolved by Config).
//
// Errors (SPEC §5): connection refused or DNS failure -> kUnavailable naming the URL;
// a timeout (overall, connect, or no byte for `idle_timeout`) -> kTimeout; malformed
// JSON, an HTML page, a stream cut before done: true, an unexpected HTTP status ->
// kBadGateway with a short excerpt; Ollama's own {"error": ...} -> see
// StatusFromOllamaError (kNotFound, kResourceExhausted, kBadGateway).
//
// Thread safety: every method is const and may be called from any number of threads at
// once; each call uses its own curl handle and connection (closed when the call returns,
// so that aborting a call closes the upstream request).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "core/units.h"
#include "engines/engine.h"
#include "engines/llm/ollama/ollama_protocol.h"

namespace harvis {

struct OllamaClientOptions {
  std::string url = "http://localhost:11434";  // base URL, no trailing slash needed
  Duration connect_timeout = std::chrono::seconds(5);
  // Whole request, from connect to the last byte (a long answer must fit in it).
  Duration request_timeout = std::chrono::minutes(10);
  // Longest silence while waiting for the next byte (e.g. between two tokens, or before
  // the first one while Ollama loads the model). Checked about every 100 ms.
  Duration idle_timeout = std::chrono::minutes(2);
};

class OllamaClient {
 public:
  explicit OllamaClient(OllamaClientOptions options);

  const std::string& url() const { return options_.url; }
  const OllamaClientOptions& options() const { return options_; }

  // POST /api/chat. With request.stream, NDJSON lines are parsed as they arrive and each
  // token goes to `on_token` (may be empty) on the calling thread; without it, one JSON
  // answer and `on_token` gets the whole text once. When `on_token` returns false or
  // `cancel` is set, the transfer is aborted within about 100 ms (the connection to
  // Ollama is closed, which makes Ollama stop generating) and the reply has cancelled = true.
  Result<OllamaChatReply> Chat(const OllamaChatRequest& request, const TokenCallback& on_token,
                               const CancellationToken* cancel) const;

  // GET /api/ps: the models Ollama holds in memory now.
  Result<std::vector<OllamaRunningModel>> ListRunning() const;
  // GET /api/tags: the models installed in Ollama.
  Result<std::vector<OllamaTag>> ListTags() const;
  // POST /api/show: details and model_info of one installed model.
  Result<OllamaModelInfo> Show(const std::string& model) const;
  // POST /api/generate without a prompt: loads `model` and keeps it for `keep_alive`
  // (kForever: until unloaded). Returns when Ollama has loaded it.
  Status Load(const std::string& model, Duration keep_alive) const;
  // POST /api/generate with keep_alive 0: asks Ollama to unload `model`. Ollama may
  // answer before the memory is freed: confirm with ListRunning().
  Status Unload(const std::string& model) const;
  // GET /api/version: the server's version string.
  Result<std::string> Version() const;

 private:
  OllamaClientOptions options_;
};

}  // namespace harvis
