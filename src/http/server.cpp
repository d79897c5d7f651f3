#include "http/server.h"

#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <regex>

#include "http/errors.h"

namespace harvis::http {
namespace {

using Clock = std::chrono::steady_clock;

// Per-request bookkeeping: httplib runs pre-routing, the handler and the logger of one
// request on the same worker thread, one after the other.
thread_local std::string t_route;
thread_local std::string t_request_id;
thread_local Clock::time_point t_start;

bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Client-supplied ids are kept when short and printable, so logs can be correlated.
std::string RequestIdFrom(const httplib::Request& req) {
  std::string id = req.get_header_value("X-Request-Id");
  bool ok = !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
  if (ok) return id;
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

// Paths come from clients: cap their length and escape control bytes before logging.
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

// Collects a request body, plain or multipart, refusing more than `limit` bytes in all.
class BodyReader {
 public:
  explicit BodyReader(uint64_t limit) : limit_(limit) {}

  httplib::ContentReceiver Receiver() {
    return [this](const char* data, size_t length) {
      within_limit_ = received_ + length <= limit_;
      if (!within_limit_) return false;
      received_ += length;
      (parts_.empty() ? body_ : parts_.back().content).append(data, length);
      return true;
    };
  }
  httplib::MultipartContentHeader PartHeader() {
    return [this](const httplib::MultipartFormData& header) {
      parts_.push_back(header);
      return true;
    };
  }
  bool within_limit() const { return within_limit_; }
  std::string TakeBody() { return std::move(body_); }
  std::vector<httplib::MultipartFormData> TakeParts() { return std::move(parts_); }

 private:
  const uint64_t limit_;
  uint64_t received_ = 0;
  bool within_limit_ = true;
  std::string body_;
  std::vector<httplib::MultipartFormData> parts_;
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

class ChunkSink : public StreamSink {
 public:
  explicit ChunkSink(httplib::DataSink& sink) : sink_(sink) {}
  bool Write(const std::string& chunk) override {
    if (!sink_.is_writable()) return false;
    return sink_.write(chunk.data(), chunk.size());
  }

 private:
  httplib::DataSink& sink_;
};

void WriteResponse(const HttpResponse& in, httplib::Response& out) {
  out.status = in.status;
  for (const auto& [k, v] : in.headers) out.set_header(k, v);
  if (in.stream) {
    auto stream = in.stream;
    out.set_chunked_content_provider(in.content_type, [stream](size_t, httplib::DataSink& sink) {
      ChunkSink chunk_sink(sink);
      // httplib calls this outside its exception handler: an exception escaping here
      // would end the process. The status is already sent, so end the stream instead.
      try {
        stream(chunk_sink);
      } catch (const std::exception& e) {
        spdlog::error("stream ended by an exception: {}", e.what());
      }
      sink.done();
      return true;
    });
  } else {
    out.set_content(in.body, in.content_type);
  }
}

}  // namespace

std::string HttpRequest::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

struct HttpServer::Impl {
  HttpOptions options;
  httplib::Server server;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Family<prometheus::Histogram>& latency;
  std::vector<std::pair<std::string, std::regex>> routes;  // method, pattern: for 405
  std::atomic<bool> draining{false};
  int listen_socket = -1;  // set while binding

  Impl(HttpOptions opts, prometheus::Registry& registry)
      : options(std::move(opts)),
        requests(prometheus::BuildCounter()
                     .Name("harvis_requests_total")
                     .Help("HTTP requests by route and status code")
                     .Register(registry)),
        latency(prometheus::BuildHistogram()
                    .Name("harvis_request_seconds")
                    .Help("HTTP request latency by route, until the response head is written")
                    .Register(registry)) {}

  bool IsOpenPath(const std::string& path) const {
    return std::find(options.open_paths.begin(), options.open_paths.end(), path) !=
           options.open_paths.end();
  }

  bool Authorized(const httplib::Request& req) const {
    if (options.api_keys.empty() || IsOpenPath(req.path)) return true;
    const std::string auth = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (auth.size() <= prefix.size() || !EqualsIgnoreCase(auth.substr(0, prefix.size()), prefix)) {
      return false;
    }
    const std::string key = auth.substr(prefix.size());
    return std::find(options.api_keys.begin(), options.api_keys.end(), key) != options.api_keys.end();
  }

  bool PathHasOtherMethod(const std::string& method, const std::string& path) const {
    for (const auto& [m, re] : routes) {
      if (m != method && std::regex_match(path, re)) return true;
    }
    return false;
  }

  void Observe(const httplib::Response& res) {
    double seconds = t_start == Clock::time_point{}
                         ? 0.0
                         : std::chrono::duration<double>(Clock::now() - t_start).count();
    std::string route = t_route.empty() ? "unmatched" : t_route;
    requests.Add({{"route", route}, {"code", std::to_string(res.status)}}).Increment();
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
    latency.Add({{"route", route}}, kBuckets).Observe(seconds);
  }
};

HttpServer::HttpServer(HttpOptions options, prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), registry)) {
  auto& svr = impl_->server;
  const int threads = impl_->options.worker_threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr.set_payload_max_length(impl_->options.max_body);
  svr.set_tcp_nodelay(true);  // small responses (probes, SSE chunks) must not wait for Nagle
  svr.set_socket_options([this](socket_t sock) {
    httplib::default_socket_options(sock);
    impl_->listen_socket = sock;
  });
  svr.set_read_timeout(impl_->options.read_timeout);

  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_start = Clock::now();
    t_route.clear();
    t_request_id = RequestIdFrom(req);
    res.set_header("X-Request-Id", t_request_id);
    if (!impl_->Authorized(req)) {
      WriteResponse(ErrorResponse(401, "missing or invalid API key (send Authorization: Bearer KEY)",
                                  "invalid_api_key"),
                    res);
      res.set_header("WWW-Authenticate", "Bearer");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (impl_->draining && !impl_->IsOpenPath(req.path)) {
      HttpResponse r = ErrorResponse(503, "server is shutting down", "draining");
      r.headers.emplace_back("Retry-After", "5");
      WriteResponse(r, res);
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Fills in a JSON body for errors that httplib produced itself (404, 413, 400 ...).
  svr.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    if (t_request_id.empty()) t_request_id = RequestIdFrom(req);
    if (!res.has_header("X-Request-Id")) res.set_header("X-Request-Id", t_request_id);
    HttpResponse r;
    if (res.status == 404 && impl_->PathHasOtherMethod(req.method, req.path)) {
      r = ErrorResponse(405, "method " + req.method + " is not allowed on " + req.path,
                        "method_not_allowed");
    } else if (res.status == 404) {
      r = ErrorResponse(404, "no route for " + req.method + " " + req.path, "route_not_found");
    } else if (res.status == 413) {
      r = ErrorResponse(413, "request body exceeds the limit of " +
                                 std::to_string(impl_->options.max_body) + " bytes",
                        "payload_too_large");
    } else {
      r = ErrorResponse(res.status, "malformed HTTP request", "bad_request");
    }
    WriteResponse(r, res);
    return httplib::Server::HandlerResponse::Handled;
  }));

  svr.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("unhandled exception on {} {}: {}", req.method, req.path, what);
    WriteResponse(ErrorResponse(500, "internal error", "internal_error"), res);
  });

  svr.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    impl_->Observe(res);
    double ms = t_start == Clock::time_point{}
                    ? 0.0
                    : std::chrono::duration<double, std::milli>(Clock::now() - t_start).count();
    // Probes (Kubernetes calls them every few seconds) are logged at debug level.
    const auto level = impl_->IsOpenPath(req.path) && res.status < 400 ? spdlog::level::debug : spdlog::level::info;
    spdlog::log(level, "access id={} remote={} {} {} status={} bytes_in={} ms={:.2f}", t_request_id, req.remote_addr,
                LoggablePath(req.method), LoggablePath(req.path), res.status,
                req.get_header_value("Content-Length").empty() ? "-" : req.get_header_value("Content-Length"), ms);
    t_start = {};
    t_request_id.clear();
    t_route.clear();
  });
}

HttpServer::~HttpServer() { Stop(); }

namespace {

HttpRequest ToRequest(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  r.body = req.body;
  r.request_id = t_request_id;
  for (const auto& [k, v] : req.headers) r.headers.emplace(k, v);
  for (const auto& [k, v] : req.params) r.query.emplace(k, v);
  for (size_t i = 1; i < req.matches.size(); ++i) r.path_params.push_back(req.matches[i].str());
  if (req.is_multipart_form_data()) {
    MultipartForm form;
    for (const auto& [name, part] : req.files) form.parts.push_back({part.name, part.filename, part.content_type, part.content});
    r.form = std::move(form);
  }
  return r;
}

}  // namespace

void HttpServer::Get(const std::string& route, const std::string& pattern, Handler handler) {
  Add("GET", route, pattern, std::move(handler));
}

void HttpServer::Post(const std::string& route, const std::string& pattern, Handler handler) {
  Add("POST", route, pattern, std::move(handler));
}

void HttpServer::Add(const std::string& method, const std::string& route, const std::string& pattern,
                     Handler handler) {
  impl_->routes.emplace_back(method, std::regex(pattern));
  // Runs the handler. `in_flight` (null for probes) lives until the response, streamed
  // or not, is finished or dropped, so draining waits for it.
  auto dispatch = [route, handler](const httplib::Request& req, httplib::Response& res,
                                   std::shared_ptr<InFlightGuard> in_flight) {
    t_route = route;
    HttpResponse response = handler(ToRequest(req));
    if (response.stream && in_flight) {
      response.stream = [inner = std::move(response.stream), in_flight](StreamSink& sink) { inner(sink); };
    }
    WriteResponse(response, res);
  };
  if (method == "GET") {
    impl_->server.Get(pattern, [this, dispatch](const httplib::Request& req, httplib::Response& res) {
      dispatch(req, res, impl_->IsOpenPath(req.path) ? nullptr : std::make_shared<InFlightGuard>(in_flight_));
    });
    return;
  }
  // Bodies are read through a content reader so that the size limit also holds for
  // chunked uploads, which httplib 0.11 would otherwise buffer without bound. A request
  // counts as in flight from its first body byte.
  impl_->server.Post(pattern, [this, dispatch](const httplib::Request& req, httplib::Response& res,
                                               const httplib::ContentReader& reader) {
    auto in_flight = std::make_shared<InFlightGuard>(in_flight_);
    httplib::Request with_body = req;
    BodyReader body(impl_->options.max_body);
    bool complete = true;
    if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) {
      complete = req.is_multipart_form_data() ? reader(body.PartHeader(), body.Receiver()) : reader(body.Receiver());
    }
    const bool within_limit = body.within_limit();
    // httplib itself sets 413 when Content-Length announces too much.
    if (!within_limit || res.status == 413) {
      WriteResponse(ErrorResponse(413, "request body exceeds the limit of " + std::to_string(impl_->options.max_body) + " bytes",
                                  "payload_too_large"),
                    res);
      res.set_header("Connection", "close");  // the rest of the body is never read
      return;
    }
    if (!complete) {
      WriteResponse(ErrorResponse(400, "the request body could not be read (truncated or malformed)", "bad_request"),
                    res);
      return;
    }
    with_body.body = body.TakeBody();
    with_body.files.clear();
    for (auto& part : body.TakeParts()) with_body.files.emplace(part.name, std::move(part));
    dispatch(with_body, res, std::move(in_flight));
  });
}

Result<int> HttpServer::Bind(const std::string& host, int port) {
  auto& svr = impl_->server;
  int bound = port == 0 ? svr.bind_to_any_port(host) : (svr.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    return Status(ErrorCode::kFailedPrecondition,
                  "cannot listen on " + host + ":" + std::to_string(port) +
                      " (address in use, or not an address of this machine)");
  }
  // httplib 0.11 listens with a backlog of 5 (compiled into Debian's library): a burst of
  // clients connecting at once would see connections dropped. Listening again on the
  // bound socket raises the backlog.
  if (::listen(impl_->listen_socket, SOMAXCONN) != 0) {
    spdlog::warn("could not raise the listen backlog: {}", std::strerror(errno));
  }
  return bound;
}

void HttpServer::SetDraining(bool draining) { impl_->draining = draining; }

void HttpServer::Run() { impl_->server.listen_after_bind(); }

void HttpServer::Stop() {
  if (impl_->server.is_running()) impl_->server.stop();
}

}  // namespace harvis::http
