// /api/chat and /api/generate of the Ollama stand-in: load-only requests, streaming
// NDJSON and single-JSON answers, keep_alive, and injected faults.
#include <sstream>
#include <thread>

#include "core/units.h"
#include "standin_internal.h"

namespace standin {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr const char* kFiveSentences =
    "The stand-in answers every question the same way. It streams one word at a time. "
    "Each word is a token. The last line says done. Nothing here is a real model.";

// One answer being produced; shared between the handler, the content provider and the
// releaser (all on the same server thread).
struct Generation {
  std::string model;
  bool chat = true;  // chat: message.content; generate: response
  std::vector<std::string> tokens;
  bool length_limited = false;
  int prompt_tokens = 0;
  std::optional<milliseconds> keep_alive;
  bool truncate = false;  // fault: cut the stream after a few tokens
  milliseconds per_token{0};
  Clock::time_point started = Clock::now();
  size_t next = 0;
  bool finished = false;
  bool cut_on_purpose = false;
};

std::vector<std::string> SplitTokens(const std::string& text) {
  std::vector<std::string> tokens;
  std::istringstream in(text);
  std::string word;
  while (in >> word) tokens.push_back(tokens.empty() ? word : " " + word);
  return tokens;
}

int CountWords(const std::string& text) { return static_cast<int>(SplitTokens(text).size()); }

// The prompt's last user text and its word count.
std::pair<std::string, int> ReadPrompt(const json& body, bool chat) {
  if (!chat) {
    std::string prompt = body.value("prompt", "");
    return {prompt, CountWords(prompt)};
  }
  std::string last;
  int words = 0;
  for (const auto& m : body.value("messages", json::array())) {
    const std::string content = m.is_object() ? m.value("content", "") : "";
    words += CountWords(content);
    if (m.is_object() && m.value("role", "") == "user") last = content;
  }
  return {last, words};
}

json TokenLine(const Generation& g, const std::string& token) {
  json line = {{"model", g.model}, {"created_at", NowRfc3339()}, {"done", false}};
  if (g.chat) {
    line["message"] = {{"role", "assistant"}, {"content", token}};
  } else {
    line["response"] = token;
  }
  return line;
}

json FinalLine(const Generation& g, const std::string& content) {
  json line = TokenLine(g, content);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - g.started).count();
  line["done"] = true;
  line["done_reason"] = g.length_limited ? "length" : "stop";
  line["total_duration"] = ns;
  line["load_duration"] = 0;
  line["prompt_eval_count"] = g.prompt_tokens;
  line["prompt_eval_duration"] = 0;
  line["eval_count"] = static_cast<int>(g.tokens.size());
  line["eval_duration"] = ns;
  return line;
}

// Streams one token per call, paced; returning false cuts the connection.
bool ProvideToken(Generation& g, httplib::DataSink& sink) {
  std::this_thread::sleep_for(g.per_token);
  if (g.truncate && g.next == 3) {
    g.cut_on_purpose = true;
    return false;
  }
  std::string line;
  if (g.next < g.tokens.size()) {
    line = TokenLine(g, g.tokens[g.next++]).dump() + "\n";
  } else {
    line = FinalLine(g, "").dump() + "\n";
  }
  if (!sink.write(line.data(), line.size())) return false;  // the client went away
  if (line.find("\"done\":true") != std::string::npos) {
    g.finished = true;
    sink.done();
  }
  return true;
}

void Stream(std::shared_ptr<Generation> g, StandinState& state, httplib::Response& res) {
  res.set_chunked_content_provider(
      "application/x-ndjson",
      [g](size_t, httplib::DataSink& sink) { return ProvideToken(*g, sink); },
      [g, &state](bool) {
        state.End(g->model, g->keep_alive);
        state.NoteStreamEnd(g->finished, !g->finished && !g->cut_on_purpose);
      });
}

void Whole(Generation& g, StandinState& state, httplib::Response& res) {
  std::this_thread::sleep_for(g.per_token * static_cast<int>(g.tokens.size()));
  std::string text;
  for (const auto& t : g.tokens) text += t;
  std::string body = FinalLine(g, text).dump();
  if (g.truncate) body = body.substr(0, body.size() / 2);  // a cut JSON object
  state.End(g.model, g.keep_alive);
  res.set_content(body, "application/json");
}

// Applies a fault that answers in place of the model; true when it did.
bool ApplyFault(const Fault& fault, const InstalledModel& model, httplib::Response& res) {
  switch (fault.mode) {
    case FaultMode::kOom: {
      const double gib = static_cast<double>(model.size) / (1024.0 * 1024 * 1024);
      char msg[200];
      std::snprintf(msg, sizeof msg,
                    "model requires more system memory (%.1f GiB) than is available (%.1f GiB)",
                    gib * 1.2, gib / 2);
      SendError(res, 500, msg);
      return true;
    }
    case FaultMode::kGarbage:
      res.set_content("this is not json\n{\"model\": broken\n", "application/x-ndjson");
      return true;
    case FaultMode::kHtml:
      res.set_content("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
                      "<h1>502 Bad Gateway</h1><hr>nginx</body></html>", "text/html");
      return true;
    case FaultMode::kSlow:
      std::this_thread::sleep_for(milliseconds(fault.delay_ms));
      return false;
    case FaultMode::kTruncate:
    case FaultMode::kNone:
      return false;
  }
  return false;
}

// Reads keep_alive as Ollama does: seconds as a number, or a duration string.
bool ReadKeepAlive(const json& body, std::optional<milliseconds>& out) {
  auto it = body.find("keep_alive");
  if (it == body.end() || it->is_null()) return true;
  if (it->is_number()) {
    out = milliseconds(static_cast<long long>(it->get<double>() * 1000));
    return true;
  }
  if (!it->is_string()) return false;
  auto d = harvis::ParseKeepAlive(it->get<std::string>());
  if (!d) return false;
  out = *d == harvis::kForever ? milliseconds(-1) : *d;
  return true;
}

}  // namespace

std::string AnswerText(const std::string& last_user) {
  return "You said: " + last_user + ". " + kFiveSentences;
}

void HandleModelRequest(const httplib::Request& req, httplib::Response& res, StandinState& state,
                        const StandinSettings& settings, bool chat) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return SendError(res, 400, "invalid JSON body");
  state.RecordRequest(req.path, body);
  const std::string name = body.value("model", body.value("name", ""));
  if (name.empty()) return SendError(res, 400, "model is required");
  const InstalledModel* model = state.Find(name);
  if (model == nullptr) return SendError(res, 404, "model \"" + name + "\" not found, try pulling it first");
  auto g = std::make_shared<Generation>();
  g->model = model->name;
  g->chat = chat;
  if (!ReadKeepAlive(body, g->keep_alive)) return SendError(res, 400, "invalid keep_alive");
  const Fault fault = state.TakeFault();
  if (ApplyFault(fault, *model, res)) return;
  g->truncate = fault.mode == FaultMode::kTruncate;
  auto [last_user, prompt_tokens] = ReadPrompt(body, chat);
  const bool load_only = chat ? body.value("messages", json::array()).empty() : last_user.empty();
  state.Begin(model->name);
  if (load_only) {
    state.End(model->name, g->keep_alive);
    const bool unload = g->keep_alive && g->keep_alive->count() == 0;
    json answer = {{"model", model->name}, {"created_at", NowRfc3339()}, {"done", true},
                   {"done_reason", unload ? "unload" : "load"}};
    answer[chat ? "message" : "response"] =
        chat ? json{{"role", "assistant"}, {"content", ""}} : json("");
    return res.set_content(answer.dump(), "application/json");
  }
  g->prompt_tokens = prompt_tokens;
  g->tokens = SplitTokens(AnswerText(last_user));
  const int limit = body.value("options", json::object()).value("num_predict", -1);
  if (limit >= 0 && static_cast<size_t>(limit) < g->tokens.size()) {
    g->tokens.resize(static_cast<size_t>(limit));
    g->length_limited = true;
  }
  g->per_token = milliseconds(static_cast<long long>(1000.0 / std::max(1e-3, settings.tokens_per_second)));
  if (body.value("stream", true)) return Stream(g, state, res);
  Whole(*g, state, res);
}

}  // namespace standin
