// Harvis admin routes (SPEC §5): what is resident where, every registered model,
// explicit load/unload, and the resource ledger.
#include <nlohmann/json.hpp>

#include "http/errors.h"
#include "http/json_body.h"
#include "http/json_response.h"
#include "http/routes.h"
#include "resources/monitor.h"
#include "scheduler/scheduler.h"

namespace harvis::http {
namespace {

using nlohmann::json;

json ModelJson(const ModelSnapshot& m) {
  json j = {{"name", m.name},
            {"kind", ModelKindName(m.kind)},
            {"engine", m.engine},
            {"state", m.state},
            {"device", m.device.empty() ? json(nullptr) : json(m.device)},
            {"bytes", m.bytes},
            {"gpu_layers", m.gpu_layers >= 0 ? json(m.gpu_layers) : json(nullptr)},
            {"host_bytes", m.host_bytes},
            {"leases", m.leases},
            {"pinned", m.pinned},
            {"group", m.group},
            {"priority", PriorityName(m.priority)},
            {"keep_alive", FormatDuration(m.keep_alive)},
            {"expires_at", m.expires_at ? json(Rfc3339(*m.expires_at)) : json(nullptr)},
            {"last_error", m.last_error.empty() ? json(nullptr) : json(m.last_error)},
            {"measured_bytes", m.measured_bytes},
            {"load_count", m.load_count},
            {"last_load_seconds", m.last_load_seconds},
            {"in_ram_tier", m.in_ram_tier},
            {"requests", m.requests},
            {"expired", m.expired},
            {"tenant", m.tenant}};
  if (m.retry_after_seconds) j["retry_after_seconds"] = *m.retry_after_seconds;
  return j;
}

bool Resident(const ModelSnapshot& m) { return !m.device.empty(); }

HttpResponse ListResident(const ApiContext& ctx) {
  json models = json::array();
  for (const auto& m : ctx.scheduler->ListModels()) {
    if (Resident(m)) models.push_back(ModelJson(m));
  }
  return JsonResponse({{"models", models}});
}

HttpResponse ListAll(const ApiContext& ctx) {
  json models = json::array();
  for (const auto& m : ctx.scheduler->ListModels()) models.push_back(ModelJson(m));
  return JsonResponse({{"models", models}});
}

// Bodies are optional on load/unload; when present they must be JSON objects.
Result<json> OptionalBody(const HttpRequest& req) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  return ParseJsonObject(req.body);
}

HttpResponse LoadModel(const ApiContext& ctx, const HttpRequest& req) {
  const std::string& name = req.path_params.at(0);
  auto body = OptionalBody(req);
  if (!body.ok()) return ErrorResponse(body.status(), "invalid_request");
  LoadOptions options;
  if (body->contains("keep_alive") && !(*body)["keep_alive"].is_null()) {
    auto keep = KeepAliveFromJson((*body)["keep_alive"]);
    if (!keep.ok()) return ErrorResponse(keep.status(), "invalid_request");
    options.keep_alive = *keep;
  }
  if (body->contains("device") && !(*body)["device"].is_null()) {
    if (!(*body)["device"].is_string()) return ErrorResponse(400, "'device' must be a string", "invalid_request");
    options.device = (*body)["device"].get<std::string>();
  }
  if (Status s = ctx.scheduler->Load(name, options); !s.ok()) return ErrorResponse(s);
  auto snapshot = ctx.scheduler->GetModel(name);
  if (!snapshot.ok()) return ErrorResponse(snapshot.status());
  return JsonResponse(ModelJson(*snapshot));
}

HttpResponse UnloadModel(const ApiContext& ctx, const HttpRequest& req) {
  const std::string& name = req.path_params.at(0);
  auto body = OptionalBody(req);
  if (!body.ok()) return ErrorResponse(body.status(), "invalid_request");
  bool force = false;
  if (body->contains("force")) {
    if (!(*body)["force"].is_boolean()) return ErrorResponse(400, "'force' must be a boolean", "invalid_request");
    force = (*body)["force"].get<bool>();
  }
  if (Status s = ctx.scheduler->Unload(name, force); !s.ok()) {
    return ErrorResponse(s, s.code() == ErrorCode::kConflict ? "model_leased" : "");
  }
  auto snapshot = ctx.scheduler->GetModel(name);
  if (!snapshot.ok()) return ErrorResponse(snapshot.status());
  return JsonResponse(ModelJson(*snapshot));
}

json DevicesJson(const ApiContext& ctx) {
  json devices = json::array();
  for (const auto& d : ctx.scheduler->ListDevices()) {
    devices.push_back({{"id", d.id},
                       {"kind", d.kind == DeviceKind::kGpu ? "gpu" : "cpu"},
                       {"simulated", d.simulated},
                       {"total_bytes", d.total},
                       {"budget_bytes", d.budget},
                       {"reserved_bytes", d.reserved},
                       {"ram_tier_bytes", d.ram_tier_bytes},
                       {"leaked_bytes", d.leaked_bytes},
                       {"models", d.models},
                       {"compute", {{"capacity", d.compute_capacity},
                                    {"in_use", d.compute_in_use},
                                    {"waiting", {{"realtime", d.compute_waiting[0]},
                                                 {"normal", d.compute_waiting[1]},
                                                 {"batch", d.compute_waiting[2]}}},
                                    {"yields", d.compute_yields}}}});
  }
  return devices;
}

HttpResponse Resources(const ApiContext& ctx) {
  const resources::ResourceSnapshot s = ctx.monitor->Snapshot();
  json gpus = json::array();
  for (const auto& g : s.gpus) {
    gpus.push_back({{"id", g.id}, {"name", g.name}, {"total_bytes", g.memory_total_bytes},
                    {"used_bytes", g.memory_used_bytes}});
  }
  const auto& t = s.thresholds;
  json body = {
      {"devices", DevicesJson(ctx)},
      {"gpus", gpus},
      {"ram", {{"limit_bytes", s.host.ram_limit_bytes}, {"used_bytes", s.host.ram_used_bytes},
               {"limited", s.host.ram_limited}, {"threshold_fraction", t.ram_fraction}}},
      {"cpu", {{"allocated_cores", s.host.cpu_allocated_cores},
               {"used_cores", s.cpu_used_cores ? json(*s.cpu_used_cores) : json(nullptr)},
               {"limited", s.host.cpu_limited}, {"threshold_fraction", t.cpu_fraction}}},
      {"restarts", {{"count", s.restarts.restarts}, {"unclean_shutdowns", s.restarts.unclean_shutdowns},
                    {"threshold", t.restarts}}},
      {"thresholds", {{"gpu_memory_bytes", t.gpu_memory}, {"ram_fraction", t.ram_fraction},
                      {"cpu_fraction", t.cpu_fraction}, {"restarts", t.restarts}}},
      {"alerts", {{"gpu_memory", s.breached.gpu_memory}, {"ram", s.breached.ram},
                  {"cpu", s.breached.cpu}, {"restarts", s.breached.restarts}}},
      {"source", s.host.source}};
  return JsonResponse(body);
}

}  // namespace

void RegisterAdminRoutes(HttpServer& server, const ApiContext& ctx) {
  server.Get("api_ps", "/api/ps", [ctx](const HttpRequest&) { return ListResident(ctx); });
  server.Get("api_models", "/api/models", [ctx](const HttpRequest&) { return ListAll(ctx); });
  server.Post("api_model_load", "/api/models/([^/]+)/load",
              [ctx](const HttpRequest& req) { return LoadModel(ctx, req); });
  server.Post("api_model_unload", "/api/models/([^/]+)/unload",
              [ctx](const HttpRequest& req) { return UnloadModel(ctx, req); });
  server.Get("api_resources", "/api/resources", [ctx](const HttpRequest&) { return Resources(ctx); });
}

}  // namespace harvis::http
