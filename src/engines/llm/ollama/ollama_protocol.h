// Ollama's HTTP API as data: the request bodies Harvis sends and the answers it parses
// (POST /api/chat, /api/generate, /api/show; GET /api/ps, /api/tags, /api/version), and
// how Ollama's answers map to Harvis error codes (SPEC §5). No I/O here: the transport
// is OllamaClient (ollama_client.h). Everything in this file is pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/units.h"
#include "engines/engine.h"

namespace harvis {

// One model resident in Ollama (an entry of GET /api/ps).
struct OllamaRunningModel {
  std::string name;
  std::uint64_t size = 0;             // bytes in total (GPU + host RAM)
  std::uint64_t size_vram = 0;        // bytes on the GPU
  std::string expires_at;             // RFC 3339, as Ollama wrote it
  std::int64_t expires_at_unix = 0;   // seconds since the epoch; 0 when unknown
};

// One model installed in Ollama (an entry of GET /api/tags).
struct OllamaTag {
  std::string name;
  std::uint64_t size = 0;  // bytes on disk
  std::string format;              // details.format, e.g. "gguf"
  std::string family;              // details.family, e.g. "llama"
  std::string parameter_size;      // details.parameter_size, e.g. "3.2B"
  std::string quantization_level;  // details.quantization_level, e.g. "Q4_K_M"
};

// What POST /api/show tells about a model (details + the model_info fields that size
// it). Architecture fields are 0 when Ollama did not report them.
struct OllamaModelInfo {
  std::string architecture;        // model_info["general.architecture"]
  std::uint64_t parameter_count = 0;
  std::string parameter_size;
  std::string quantization_level;
  std::uint64_t context_length = 0;
  std::uint64_t block_count = 0;
  std::uint64_t embedding_length = 0;
  std::uint64_t head_count = 0;
  std::uint64_t head_count_kv = 0;
};

// A chat request. ChatOptions map to Ollama `options`: temperature, num_predict (from
// max_tokens when > 0), and every `extra` entry (values that read as numbers or
// true/false are sent as such, others as strings). The extra key "keep_alive" is not an
// option: it overrides `keep_alive` below; "format" is sent top-level too.
struct OllamaChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  ChatOptions options;
  std::optional<Duration> keep_alive;  // unset: Ollama's default (5m)
  bool stream = true;
};

// The outcome of a chat. `cancelled` is true when Harvis stopped it (token callback
// returned false, or the CancellationToken was set); `text` then holds what came.
struct OllamaChatReply {
  std::string text;
  int eval_count = 0;          // generated tokens, as Ollama counted them
  int prompt_eval_count = 0;
  std::int64_t total_duration_ns = 0;
  std::string done_reason;     // "stop", "length", ...; "cancelled" when cancelled
  bool cancelled = false;
};

// keep_alive as Ollama reads it: kForever -> -1, whole seconds -> a number of seconds,
// anything else -> a Go duration string ("1500ms").
nlohmann::json EncodeKeepAlive(Duration keep_alive);

// An `extra` option value: true/false and numbers become JSON booleans and numbers.
nlohmann::json OptionValue(const std::string& text);

// The JSON body of POST /api/chat.
std::string BuildChatBody(const OllamaChatRequest& request);
// The JSON body of POST /api/generate without a prompt: loads the model and (re)sets its
// keep_alive; keep_alive 0 unloads it. This is Ollama's documented preload/unload call.
std::string BuildLoadBody(const std::string& model, Duration keep_alive);

// Answer parsers. `url` names the server in error messages; malformed answers are
// kBadGateway with a short excerpt of what came.
Result<std::vector<OllamaRunningModel>> ParseRunning(std::string_view body, const std::string& url);
Result<std::vector<OllamaTag>> ParseTags(std::string_view body, const std::string& url);
Result<OllamaModelInfo> ParseShow(std::string_view body, const std::string& url);
Result<std::string> ParseVersion(std::string_view body, const std::string& url);
// A non-streaming chat answer (one JSON object with done: true).
Result<OllamaChatReply> ParseChatAnswer(std::string_view body, const std::string& url);

// Ollama's own error text ({"error": "..."}) as a Status: "model ... not found" ->
// kNotFound; out-of-memory answers ("out of memory", "requires more system memory",
// "insufficient memory", CUDA OOM) -> kResourceExhausted; anything else -> kBadGateway.
Status StatusFromOllamaError(std::string_view message, const std::string& url);

// An HTTP answer that is not a usable 200 JSON answer (any status, HTML, non-JSON): Ollama's
// error JSON goes through StatusFromOllamaError; anything else is kBadGateway naming the
// status and an excerpt of the body.
Status StatusFromHttpAnswer(long http_status, std::string_view content_type,
                            std::string_view body, const std::string& url);

// At most `max` characters of `text` on one line, for error messages.
std::string Excerpt(std::string_view text, size_t max = 120);

// Seconds since the epoch for an RFC 3339 time ("2024-06-04T14:38:31.83753-07:00", "...Z");
// nullopt when it does not parse. Years past 2262 (Ollama's "forever") are fine.
std::optional<std::int64_t> ParseRfc3339(std::string_view text);

// Whether two Ollama model names denote the same model ("llama3.2" == "llama3.2:latest").
bool SameOllamaModel(std::string_view a, std::string_view b);

// Incremental parser of a streaming chat answer (NDJSON: one JSON object per line,
// message.content a token, the last line done: true with the counts). Feed it the bytes
// as they arrive; each complete line is parsed at once and its token handed to the
// callback. Not thread-safe: one parser per request.
class ChatStreamParser {
 public:
  ChatStreamParser(std::string url, const TokenCallback* on_token)
      : url_(std::move(url)), on_token_(on_token) {}

  // Consumes bytes. A non-ok Status (malformed line, an {"error"} line) means: abort the
  // transfer and report that status. After the callback returned false, stopped() is true.
  Status Feed(std::string_view bytes);
  bool done() const { return done_; }
  bool stopped() const { return stopped_; }
  const OllamaChatReply& reply() const { return reply_; }
  OllamaChatReply& reply() { return reply_; }
  // How many lines were parsed (to tell "nothing came" from "cut in the middle").
  int lines() const { return lines_; }

 private:
  Status ParseLine(std::string_view line);

  std::string url_;
  const TokenCallback* on_token_;
  std::string pending_;  // bytes after the last newline
  OllamaChatReply reply_;
  bool done_ = false;
  bool stopped_ = false;
  int lines_ = 0;
};

}  // namespace harvis
