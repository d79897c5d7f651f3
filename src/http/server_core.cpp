#include "http/server_core.h"

#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>

namespace harvis::http {
namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 499: return "Client Closed Request";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 507: return "Insufficient Storage";
    default: return "Status";
  }
}

}  // namespace

ServerCore::ServerCore(HttpOptions opts, prometheus::Registry& registry, std::atomic<int>& in_flight_counter)
    : options(std::move(opts)),
      workers(options.worker_threads),
      session_workers(options.websocket_sessions),
      in_flight(in_flight_counter),
      requests_(prometheus::BuildCounter()
                    .Name("harvis_requests_total")
                    .Help("HTTP requests by route and status code")
                    .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("harvis_request_seconds")
                   .Help("HTTP request latency by route, until the response head is written")
                   .Register(registry)) {
  // spdlog creates its registry on first use, inside the (uninstrumented) shared library:
  // used first by two event loops at once, ThreadSanitizer cannot see that the
  // construction is guarded and reports a race. Creating it here, before any loop runs,
  // avoids that.
  spdlog::default_logger_raw();
}

const Route* ServerCore::Match(const std::string& method, const std::string& path,
                               std::vector<std::string>& params) const {
  const std::string& wanted = method == "HEAD" ? std::string("GET") : method;
  for (const auto& route : routes) {
    if (route.method != wanted) continue;
    if (!route.literal.empty()) {
      if (route.literal == path) return &route;
      continue;
    }
    std::smatch m;
    if (std::regex_match(path, m, route.pattern)) {
      params.clear();
      for (size_t i = 1; i < m.size(); ++i) params.push_back(m[i].str());
      return &route;
    }
  }
  return nullptr;
}

bool ServerCore::PathHasOtherMethod(const std::string& method, const std::string& path) const {
  std::vector<std::string> unused;
  for (const char* other : {"GET", "POST"}) {
    if (other != method && Match(other, path, unused)) return true;
  }
  return false;
}

bool ServerCore::IsOpenPath(const std::string& path) const {
  return std::find(options.open_paths.begin(), options.open_paths.end(), path) != options.open_paths.end();
}

bool ServerCore::Authorized(const std::string& path, const std::string& authorization) const {
  if (options.api_keys.empty() || IsOpenPath(path)) return true;
  const std::string prefix = "Bearer ";
  if (authorization.size() <= prefix.size() || !EqualsIgnoreCase(authorization.substr(0, prefix.size()), prefix)) {
    return false;
  }
  const std::string key = authorization.substr(prefix.size());
  return std::find(options.api_keys.begin(), options.api_keys.end(), key) != options.api_keys.end();
}

void ServerCore::Observe(const std::string& route, int status, Clock::time_point start) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const std::string label = route.empty() ? "unmatched" : route;
  requests_.Add({{"route", label}, {"code", std::to_string(status)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
  latency_.Add({{"route", label}}, kBuckets).Observe(seconds);
}

void ServerCore::Track(const std::shared_ptr<Closable>& session) {
  std::lock_guard lock(sessions_mu_);
  sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(), [](const auto& w) { return w.expired(); }),
                  sessions_.end());
  sessions_.push_back(session);
}

void ServerCore::CloseSessions() {
  std::vector<std::shared_ptr<Closable>> open;
  {
    std::lock_guard lock(sessions_mu_);
    for (const auto& w : sessions_) {
      if (auto s = w.lock()) open.push_back(std::move(s));
    }
  }
  for (const auto& s : open) s->Close();
}

bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string RequestIdFrom(const std::string& id) {
  const bool ok = !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
  if (ok) return id;
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

std::string LoggablePath(const std::string& path) {
  std::string out;
  for (char c : path.substr(0, 200)) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  return path.size() > 200 ? out + "..." : out;
}

namespace {

constexpr std::string_view kKeyProtocol = "openai-insecure-api-key.";

std::vector<std::string> SplitProtocols(const std::string& offered) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= offered.size()) {
    size_t comma = offered.find(',', start);
    if (comma == std::string::npos) comma = offered.size();
    std::string item = offered.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::string BearerFromWebSocketProtocols(const std::string& offered) {
  for (const auto& p : SplitProtocols(offered)) {
    if (p.rfind(kKeyProtocol, 0) == 0) return "Bearer " + p.substr(kKeyProtocol.size());
  }
  return "";
}

std::string ChooseWebSocketProtocol(const std::string& offered) {
  const auto protocols = SplitProtocols(offered);
  for (const auto& p : protocols) {
    if (p == "realtime") return p;
  }
  for (const auto& p : protocols) {
    if (p.rfind(kKeyProtocol, 0) != 0) return p;
  }
  return "";
}

std::string ResponseHead(const HttpResponse& response, const std::string& request_id, long long content_length,
                         bool keep_alive) {
  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " + ReasonPhrase(response.status) + "\r\n";
  head += "Content-Type: " + response.content_type + "\r\n";
  if (content_length == -1) head += "Transfer-Encoding: chunked\r\n";
  if (content_length >= 0) head += "Content-Length: " + std::to_string(content_length) + "\r\n";
  head += "X-Request-Id: " + request_id + "\r\n";
  if (!keep_alive) head += "Connection: close\r\n";
  for (const auto& [name, value] : response.headers) {
    // Handlers' values never hold line breaks; drop any that would (header injection).
    if (name.find_first_of("\r\n") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) continue;
    head += name + ": " + value + "\r\n";
  }
  return head + "\r\n";
}

}  // namespace harvis::http
