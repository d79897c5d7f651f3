// Read-only Ollama routes (/api/version, /api/tags, /api/show, /api/ps) and the admin
// endpoints of the stand-in; model requests are in standin_generate.cpp.
#include <cstdio>

#include "standin_internal.h"

namespace standin {
namespace {

using nlohmann::json;

std::string ParameterSize(std::uint64_t count) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1fB", static_cast<double>(count) / 1e9);
  return out;
}

json Details(const InstalledModel& m) {
  return {{"format", "gguf"},
          {"family", "llama"},
          {"families", {"llama"}},
          {"parameter_size", ParameterSize(m.parameter_count)},
          {"quantization_level", m.quantization}};
}

json Tags(const StandinState& state) {
  json models = json::array();
  for (const auto& m : state.installed()) {
    models.push_back({{"name", m.name},
                      {"model", m.name},
                      {"modified_at", "2024-06-01T12:00:00.000000Z"},
                      {"size", m.size},
                      {"digest", "sha256:standin"},
                      {"details", Details(m)}});
  }
  return {{"models", models}};
}

// /api/show: a llama-3.2-3B-like architecture for every model.
json Show(const InstalledModel& m) {
  json info = {{"general.architecture", "llama"},
               {"general.parameter_count", m.parameter_count},
               {"llama.context_length", 131072},
               {"llama.block_count", 28},
               {"llama.embedding_length", 3072},
               {"llama.attention.head_count", 24},
               {"llama.attention.head_count_kv", 8}};
  return {{"modelfile", "FROM " + m.name},
          {"parameters", ""},
          {"template", "{{ .Prompt }}"},
          {"details", Details(m)},
          {"model_info", info}};
}

void SendJson(httplib::Response& res, const json& body) {
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

void HandleShow(const httplib::Request& req, httplib::Response& res, StandinState& state) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return SendError(res, 400, "invalid JSON body");
  state.RecordRequest(req.path, body);
  const std::string name = body.value("model", body.value("name", ""));
  const InstalledModel* model = state.Find(name);
  if (model == nullptr) return SendError(res, 404, "model '" + name + "' not found");
  SendJson(res, Show(*model));
}

void HandleFault(const httplib::Request& req, httplib::Response& res, StandinState& state) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return SendError(res, 400, "invalid JSON body");
  auto mode = ParseFaultMode(body.value("mode", ""));
  if (!mode) return SendError(res, 400, "unknown fault mode");
  Fault fault;
  fault.mode = *mode;
  fault.count = body.value("count", 1);
  fault.delay_ms = body.value("delay_ms", 3000);
  state.SetFault(fault);
  SendJson(res, {{"ok", true}});
}

}  // namespace

void SendError(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", message}}.dump(), "application/json; charset=utf-8");
}

void InstallRoutes(httplib::Server& server, StandinState& state, const StandinSettings& settings) {
  server.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
    SendJson(res, {{"version", "0.5.7-standin"}});
  });
  server.Get("/api/tags", [&state](const httplib::Request&, httplib::Response& res) {
    SendJson(res, Tags(state));
  });
  server.Get("/api/ps", [&state](const httplib::Request&, httplib::Response& res) {
    SendJson(res, state.RunningJson());
  });
  server.Post("/api/show", [&state](const httplib::Request& req, httplib::Response& res) {
    HandleShow(req, res, state);
  });
  server.Post("/api/chat", [&](const httplib::Request& req, httplib::Response& res) {
    HandleModelRequest(req, res, state, settings, /*chat=*/true);
  });
  server.Post("/api/generate", [&](const httplib::Request& req, httplib::Response& res) {
    HandleModelRequest(req, res, state, settings, /*chat=*/false);
  });
  server.Post("/__standin/fault", [&state](const httplib::Request& req, httplib::Response& res) {
    HandleFault(req, res, state);
  });
  server.Get("/__standin/stats", [&state](const httplib::Request&, httplib::Response& res) {
    SendJson(res, state.StatsJson());
  });
  server.Get("/__standin/last_request", [&state](const httplib::Request&, httplib::Response& res) {
    SendJson(res, state.LastRequest());
  });
  server.Post("/__standin/reset", [&state](const httplib::Request&, httplib::Response& res) {
    state.Reset();
    SendJson(res, {{"ok", true}});
  });
}

}  // namespace standin
