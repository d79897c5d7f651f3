// HttpServer: the only code that includes the HTTP library (Boost.Beast; the transport is
// in connection.cpp and websocket_session.cpp). Routes are registered with a name (the
// `route` label of the metrics) and a pattern; handlers get a plain HttpRequest and return
// an HttpResponse, so no other layer sees the HTTP library.
//
// Cross-cutting behaviour lives here: API-key authentication, the body-size limit (413
// before the body is read when Content-Length says so), request ids (X-Request-Id),
// the access log, JSON error bodies for unknown routes, per-route request metrics, and
// drain support (counting in-flight requests).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "http/multipart.h"

namespace prometheus {
class Registry;
}

namespace harvis::http {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string body;
  std::string request_id;
  std::multimap<std::string, std::string> headers;  // as received (case kept)
  std::map<std::string, std::string> query;
  std::vector<std::string> path_params;  // regex captures of the route pattern
  // Set for multipart/form-data requests (then `body` is empty): the parsed parts.
  std::optional<MultipartForm> form;

  // Case-insensitive header lookup; empty when absent.
  std::string Header(const std::string& name) const;
};

// Writes a streamed body chunk by chunk; Write returns false once the client is gone.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual bool Write(const std::string& chunk) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is produced by this function (chunked), e.g. for SSE.
  std::function<void(StreamSink&)> stream;
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

// One message of a WebSocket connection.
struct WebSocketMessage {
  bool binary = false;
  std::string data;
};

// A WebSocket connection as its handler sees it. Send and Close may be called from any
// thread; Receive from one thread at a time.
class WebSocketConnection {
 public:
  virtual ~WebSocketConnection() = default;
  // Blocks until the next message; nullopt once the peer closed or the connection broke.
  virtual std::optional<WebSocketMessage> Receive() = 0;
  // Queues a text message; false once the connection is closed.
  virtual bool Send(const std::string& text) = 0;
  // Sends a close frame (1000 normal) and ends the connection; Receive then returns nullopt.
  virtual void Close() = 0;
};

// Runs for the whole life of one WebSocket connection, on a thread of its own.
using WebSocketHandler = std::function<void(const HttpRequest&, WebSocketConnection&)>;

struct HttpOptions {
  uint64_t max_body = 64ull << 20;
  std::vector<std::string> api_keys;  // empty: no authentication
  std::vector<std::string> open_paths = {"/healthz", "/readyz", "/metrics", "/"};  // "/": the static web page
  std::chrono::seconds read_timeout{30};       // a request body that stalls this long is dropped
  std::chrono::seconds header_timeout{10};    // from connect to a complete first header
  std::chrono::seconds keep_alive_timeout{60};  // an idle keep-alive connection is closed after this
  int io_threads = 2;        // event loops: idle and slow connections cost no thread
  int worker_threads = 64;   // HTTP handlers run here
  int websocket_sessions = 32;  // open WebSocket sessions, each on a thread of its own; more get 503
};

class HttpServer {
 public:
  // `registry` must outlive the server; request metrics are registered there.
  HttpServer(HttpOptions options, prometheus::Registry& registry);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Register a route before Bind. `pattern` is an ECMAScript regex matched against the
  // whole path; captures go to HttpRequest::path_params. Not thread-safe.
  void Get(const std::string& route, const std::string& pattern, Handler handler);
  void Post(const std::string& route, const std::string& pattern, Handler handler);
  // A WebSocket route: a GET with `Upgrade: websocket` (authentication and draining as for
  // any route); a plain GET there answers 426.
  void WebSocket(const std::string& route, const std::string& pattern, WebSocketHandler handler);

  // Binds host:port (port 0 picks a free one) and returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  // Serves until Stop(); blocks the calling thread.
  void Run();
  // Stops accepting, and waits for in-flight requests to finish. Thread-safe.
  void Stop();
  // While draining, every route but the open paths answers 503. Thread-safe.
  void SetDraining(bool draining);

  // Requests currently being handled, health and metrics probes excluded. Thread-safe.
  int InFlight() const { return in_flight_.load(); }

 private:
  void Add(const std::string& method, const std::string& route, const std::string& pattern,
           Handler handler);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int> in_flight_{0};
};

}  // namespace harvis::http
