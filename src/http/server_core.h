// What every connection of an HttpServer shares: the options, the route table, the
// worker pool, the metrics and the open WebSocket sessions. Internal to the http layer
// (server.cpp and connection.cpp); no Beast types here.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "http/server.h"
#include "http/worker_pool.h"

namespace harvis::http {

using Clock = std::chrono::steady_clock;

struct Route {
  std::string method;  // GET or POST
  std::string name;    // the `route` label of the metrics
  std::string literal;  // the pattern, when it has no regex syntax: matched by ==
  std::regex pattern;
  Handler handler;             // HTTP routes
  WebSocketHandler websocket;  // WebSocket routes (method GET)
};

// Something that can be told to close when the server drains or stops.
class Closable {
 public:
  virtual ~Closable() = default;
  virtual void Close() = 0;
};

class ServerCore {
 public:
  ServerCore(HttpOptions options, prometheus::Registry& registry, std::atomic<int>& in_flight);

  const HttpOptions options;
  std::vector<Route> routes;  // filled before the server runs, then read-only
  WorkerPool workers;
  WorkerPool session_workers;  // one thread per open WebSocket session
  std::atomic<int>& in_flight;
  std::atomic<int> websockets{0};  // sessions upgraded and not yet ended
  std::atomic<bool> draining{false};
  std::atomic<bool> stopping{false};

  // The route for `method` (HEAD counts as GET) and `path`, with its captures; null when none.
  const Route* Match(const std::string& method, const std::string& path, std::vector<std::string>& params) const;
  bool PathHasOtherMethod(const std::string& method, const std::string& path) const;
  bool IsOpenPath(const std::string& path) const;
  // True when no keys are configured, the path is open, or `authorization` is "Bearer KEY".
  bool Authorized(const std::string& path, const std::string& authorization) const;

  // Request metrics, recorded when the response head is written.
  void Observe(const std::string& route, int status, Clock::time_point start);

  // WebSocket sessions, closed when draining starts or the server stops.
  void Track(const std::shared_ptr<Closable>& session);
  void CloseSessions();

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  std::mutex sessions_mu_;
  std::vector<std::weak_ptr<Closable>> sessions_;
};

// Counts one request as in flight for as long as it lives.
class InFlightGuard {
 public:
  explicit InFlightGuard(std::atomic<int>& counter) : counter_(counter) { ++counter_; }
  ~InFlightGuard() { --counter_; }
  InFlightGuard(const InFlightGuard&) = delete;
  InFlightGuard& operator=(const InFlightGuard&) = delete;

 private:
  std::atomic<int>& counter_;
};

// Helpers shared by the connection code.
bool EqualsIgnoreCase(const std::string& a, const std::string& b);
// The client's X-Request-Id when short and printable (so logs correlate), else a new one.
std::string RequestIdFrom(const std::string& client_id);
// Paths come from clients: capped and with control bytes escaped before logging.
std::string LoggablePath(const std::string& path);
// Browsers cannot set headers on a WebSocket: like OpenAI's browser client, they offer
// the key as the subprotocol "openai-insecure-api-key.KEY". Returns "Bearer KEY", or "".
std::string BearerFromWebSocketProtocols(const std::string& offered);
// The subprotocol to answer for an offered list: "realtime" when offered, else the first
// one that does not carry a key; "" when none.
std::string ChooseWebSocketProtocol(const std::string& offered);
// "HTTP/1.1 <status> <reason>\r\n" and the headers, ending with the blank line.
// `content_length` -1: a chunked body; -2: a body that ends when the connection closes.
std::string ResponseHead(const HttpResponse& response, const std::string& request_id, long long content_length,
                         bool keep_alive);

}  // namespace harvis::http
