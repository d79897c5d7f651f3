#include "http/connection.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <limits>
#include <optional>

#include "http/errors.h"
#include "http/request_target.h"
#include "http/server_core.h"
#include "http/websocket_session.h"

namespace harvis::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kMaxPath = 2048;
// A client that stops reading a response loses its connection after this.
constexpr std::chrono::seconds kWriteTimeout{60};
// A streamed response's handler waits while more than this is queued and not yet written.
constexpr size_t kStreamBacklog = 256 * 1024;

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(ServerCore& core, net::ip::tcp::socket socket) : core_(core), stream_(std::move(socket)) {}

  void Start() {
    beast::error_code ec;
    auto endpoint = stream_.socket().remote_endpoint(ec);
    remote_ = ec ? "-" : endpoint.address().to_string();
    ReadHeader(core_.options.header_timeout);
  }

 private:
  // ---- reading ----
  void ReadHeader(std::chrono::seconds deadline) {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // The body limit is set once the header has been checked, so that an unknown route or
    // a missing key is answered as such even when Content-Length is too large.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(deadline);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&HttpConnection::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    start_ = Clock::now();
    route_.clear();
    if (ec) {
      request_id_ = RequestIdFrom("");  // for the 400 a malformed header may get
      return OnReadError(ec);
    }
    auto& head = parser_->get();
    request_id_ = RequestIdFrom(std::string(head["X-Request-Id"]));
    request_ = HttpRequest{};
    request_.method = std::string(head.method_string());
    request_.request_id = request_id_;
    for (const auto& field : head) request_.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    keep_alive_ = head.keep_alive();
    request_version_ = head.version();
    auto target = ParseRequestTarget(std::string_view(head.target().data(), head.target().size()));
    if (!target) return Reject(ErrorResponse(400, "malformed request target", "bad_request"));
    request_.path = std::move(target->path);
    request_.query = std::move(target->query);
    // Route patterns are std::regex, whose matcher recurses once per character: a huge
    // path could overflow the event loop's stack.
    if (request_.path.size() > kMaxPath) {
      return Reject(ErrorResponse(414, "request path longer than " + std::to_string(kMaxPath) + " bytes", "uri_too_long"));
    }

    std::string authorization(head[bhttp::field::authorization]);
    if (authorization.empty()) authorization = BearerFromWebSocketProtocols(std::string(head[bhttp::field::sec_websocket_protocol]));
    if (!core_.Authorized(request_.path, authorization)) {
      HttpResponse r = ErrorResponse(401, "missing or invalid API key (send Authorization: Bearer KEY)", "invalid_api_key");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return Reject(std::move(r));
    }
    const bool open = core_.IsOpenPath(request_.path);
    if (core_.draining && !open) {
      HttpResponse r = ErrorResponse(503, "server is shutting down", "draining");
      r.headers.emplace_back("Retry-After", "5");
      return Reject(std::move(r));
    }
    matched_ = core_.Match(request_.method, request_.path, request_.path_params);
    if (!matched_) {
      if (core_.PathHasOtherMethod(request_.method, request_.path)) {
        return Reject(ErrorResponse(405, "method " + request_.method + " is not allowed on " + request_.path,
                                    "method_not_allowed"));
      }
      return Reject(ErrorResponse(404, "no route for " + request_.method + " " + request_.path, "route_not_found"));
    }
    route_ = matched_->name;
    if (matched_->websocket) {
      if (!beast::websocket::is_upgrade(head)) {
        HttpResponse r = ErrorResponse(426, request_.path + " is a WebSocket endpoint (send Upgrade: websocket)",
                                       "upgrade_required");
        r.headers.emplace_back("Upgrade", "websocket");
        return Reject(std::move(r));
      }
      return Upgrade();
    }
    if (!open) in_flight_ = std::make_shared<InFlightGuard>(core_.in_flight);
    if (parser_->is_done()) return Dispatch();
    if (parser_->content_length() && *parser_->content_length() > core_.options.max_body) return RejectTooLarge();
    parser_->body_limit(core_.options.max_body);
    if (EqualsIgnoreCase(std::string(head[bhttp::field::expect]), "100-continue")) {
      // curl and others wait for this before sending a large upload.
      continue_ = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      stream_.expires_after(kWriteTimeout);
      return net::async_write(stream_, net::buffer(*continue_), [self = shared_from_this()](beast::error_code e, size_t) {
        if (e) return self->Close();
        self->ReadBody();
      });
    }
    ReadBody();
  }

  // The body deadline is reset on every read, so a large upload on a slow link is not cut
  // off while a client that stalls is.
  void ReadBody() {
    stream_.expires_after(core_.options.read_timeout);
    bhttp::async_read_some(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&HttpConnection::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec == bhttp::error::body_limit) return RejectTooLarge();
    if (ec) return OnReadError(ec);
    if (!parser_->is_done()) return ReadBody();
    Dispatch();
  }

  void OnReadError(beast::error_code ec) {
    in_flight_.reset();
    const bool client_sent_garbage = ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
                                     ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (client_sent_garbage) {
      const bool too_big = ec == bhttp::error::header_limit;
      keep_alive_ = false;
      return Send(ErrorResponse(too_big ? 431 : 400, too_big ? "request header too large" : "malformed HTTP request",
                                "bad_request"));
    }
    // Timeouts, resets and clients that left: nobody to answer.
    Close();
  }

  // ---- answering ----
  void Reject(HttpResponse response) {
    in_flight_.reset();
    if (!parser_->is_done()) keep_alive_ = false;  // the body is never read
    Send(std::move(response));
  }

  void RejectTooLarge() {
    Reject(ErrorResponse(413, "request body exceeds the limit of " + std::to_string(core_.options.max_body) + " bytes",
                         "payload_too_large"));
  }

  void Dispatch() {
    request_.body = std::move(parser_->get().body());
    const std::string content_type = request_.Header("Content-Type");
    if (request_.method == "POST" && IsMultipartFormData(content_type)) {
      auto form = ParseMultipartForm(content_type, request_.body);
      if (!form.ok()) return Reject(ErrorResponse(400, form.status().message(), "bad_request"));
      request_.form = std::move(form).value();
      request_.body.clear();
    }
    const Handler& handler = matched_->handler;
    if (core_.IsOpenPath(request_.path)) {
      // Probes and metrics are cheap: answered on the event loop, so they never wait
      // behind busy workers.
      return Send(RunHandler(handler, request_));
    }
    auto self = shared_from_this();
    const bool queued = core_.workers.Post([self, &handler] {
      HttpResponse response = RunHandler(handler, self->request_);
      if (response.stream) return self->StreamOnWorker(std::move(response));
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Send(std::move(response));
      });
    });
    if (!queued) Reject(ErrorResponse(503, "server is shutting down", "draining"));
  }

  static HttpResponse RunHandler(const Handler& handler, const HttpRequest& request) {
    try {
      return handler(request);
    } catch (const std::exception& e) {
      spdlog::error("unhandled exception on {} {}: {}", request.method, LoggablePath(request.path), e.what());
    } catch (...) {
      spdlog::error("unhandled exception on {} {}", request.method, LoggablePath(request.path));
    }
    return ErrorResponse(500, "internal error", "internal_error");
  }

  // On the strand: writes a whole response, then reads the next request or closes.
  void Send(HttpResponse response) {
    status_ = response.status;
    core_.Observe(route_, status_, start_);
    const bool head_only = request_.method == "HEAD";
    out_head_ = ResponseHead(response, request_id_, static_cast<long long>(response.body.size()), keep_alive_);
    out_body_ = head_only ? std::string() : std::move(response.body);
    stream_.expires_after(kWriteTimeout);
    std::array<net::const_buffer, 2> buffers{net::buffer(out_head_), net::buffer(out_body_)};
    net::async_write(stream_, buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->Finished(!ec);
    });
  }

  // On the worker: the handler writes into a sink that queues the head and each chunk for
  // the strand. The worker waits only while more than kStreamBacklog bytes are queued, so
  // a slow client holds the handler back while a fast one costs it no hand-off per chunk.
  void StreamOnWorker(HttpResponse response) {
    status_ = response.status;
    core_.Observe(route_, status_, start_);
    class ChunkSink : public StreamSink {
     public:
      explicit ChunkSink(HttpConnection& c) : c_(c) {}
      bool Write(const std::string& chunk) override {
        if (!ok_) return false;
        if (chunk.empty()) return true;  // an empty chunk would end the body
        if (!chunked_) return ok_ = c_.QueueFromWorker(chunk);
        char size[20];
        std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
        ok_ = c_.QueueFromWorker(size + chunk + "\r\n");
        return ok_;
      }
      bool ok_ = true;
      bool chunked_ = true;

     private:
      HttpConnection& c_;
    } sink(*this);
    // HTTP/1.0 has no chunked encoding: the body ends when the connection closes.
    sink.chunked_ = request_version_ >= 11;
    if (!sink.chunked_) keep_alive_ = false;
    sink.ok_ = QueueFromWorker(ResponseHead(response, request_id_, sink.chunked_ ? -1 : -2, keep_alive_));
    if (sink.ok_ && request_.method != "HEAD") {
      try {
        response.stream(sink);
      } catch (const std::exception& e) {
        // The status is already sent: end the stream.
        spdlog::error("stream ended by an exception: {}", e.what());
      }
      if (sink.ok_ && sink.chunked_) sink.ok_ = QueueFromWorker("0\r\n\r\n");
    }
    net::post(stream_.get_executor(), [self = shared_from_this(), ok = sink.ok_] {
      self->stream_ended_ = true;
      self->stream_ok_ = ok;
      self->WriteQueued();
    });
  }

  // On the worker: false once a write has failed (the client is gone). When nothing is
  // queued or being written, what the socket takes at once is sent from here, and only
  // the rest goes to the strand: handing each chunk to the event loop would wake its
  // thread once per generated token, on the cores the engine computes on. Nothing else
  // uses the socket while a response streams (no read is pending, no write in flight).
  bool QueueFromWorker(std::string data) {
    {
      std::unique_lock lock(backlog_.mu);
      backlog_.drained.wait(lock, [&] { return backlog_.failed || backlog_.bytes <= kStreamBacklog; });
      if (backlog_.failed) return false;
      if (backlog_.bytes == 0) {
        const ssize_t sent = ::send(stream_.socket().native_handle(), data.data(), data.size(),
                                    MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          backlog_.failed = true;
          return false;
        }
        if (sent > 0) data.erase(0, static_cast<size_t>(sent));
        if (data.empty()) return true;
      }
      backlog_.bytes += data.size();
    }
    net::post(stream_.get_executor(), [self = shared_from_this(), data = std::move(data)]() mutable {
      if (self->write_failed_) return;
      self->queued_.push_back(std::move(data));
      self->WriteQueued();
    });
    return true;
  }

  // On the strand: writes everything queued in one gather write; when the stream has
  // ended and all is written, the connection goes on (Finished).
  void WriteQueued() {
    if (writing_) return;
    if (queued_.empty()) {
      if (stream_ended_) Finished(stream_ok_ && !write_failed_);
      return;
    }
    writing_ = true;
    in_write_.swap(queued_);
    std::vector<net::const_buffer> buffers;
    for (const auto& chunk : in_write_) buffers.push_back(net::buffer(chunk));
    stream_.expires_after(kWriteTimeout);
    net::async_write(stream_, buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnQueuedWritten(ec);
    });
  }

  void OnQueuedWritten(beast::error_code ec) {
    size_t bytes = 0;
    for (const auto& chunk : in_write_) bytes += chunk.size();
    in_write_.clear();
    writing_ = false;
    if (ec) {
      write_failed_ = true;
      queued_.clear();  // nobody to send them to
    }
    {
      std::lock_guard lock(backlog_.mu);
      backlog_.bytes -= bytes;
      if (ec) backlog_.failed = true;
    }
    backlog_.drained.notify_all();
    WriteQueued();
  }

  void Finished(bool written) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start_).count();
    // Probes (Kubernetes calls them every few seconds) are logged at debug level.
    const auto level = core_.IsOpenPath(request_.path) && status_ < 400 ? spdlog::level::debug : spdlog::level::info;
    const std::string length = request_.Header("Content-Length");
    spdlog::log(level, "access id={} remote={} {} {} status={} bytes_in={} ms={:.2f}", request_id_, remote_,
                LoggablePath(request_.method), LoggablePath(request_.path), status_, length.empty() ? "-" : length, ms);
    in_flight_.reset();
    request_ = HttpRequest{};
    stream_ended_ = write_failed_ = false;
    if (written && keep_alive_) return ReadHeader(core_.options.keep_alive_timeout);
    Close();
  }

  // Closing with request bytes still unread makes the kernel send a reset, which can
  // destroy the response in flight (a 413 before its upload was read): stop sending, then
  // read and discard for up to 2 s or 1 MiB before the socket is closed.
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(std::chrono::seconds(2));
    Discard();
  }

  void Discard() {
    discard_.resize(16 * 1024);
    stream_.async_read_some(net::buffer(discard_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->discarded_ += n;
      if (!ec && self->discarded_ < (1u << 20)) self->Discard();
    });
  }

  void Upgrade() {
    // Counted here and released by the session's destructor.
    if (core_.websockets.fetch_add(1) >= core_.options.websocket_sessions) {
      --core_.websockets;
      HttpResponse r = ErrorResponse(503, "too many open WebSocket sessions (" +
                                              std::to_string(core_.options.websocket_sessions) + ")",
                                     "too_many_sessions");
      r.headers.emplace_back("Retry-After", "5");
      return Reject(std::move(r));
    }
    auto session = std::make_shared<WebSocketSession>(core_, std::move(stream_), matched_->websocket);
    core_.Observe(route_, 101, start_);
    spdlog::info("access id={} remote={} GET {} status=101 (websocket)", request_id_, remote_, LoggablePath(request_.path));
    session->Accept(parser_->release(), std::move(request_));
  }

  ServerCore& core_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string remote_;
  // The request being served.
  HttpRequest request_;
  const Route* matched_ = nullptr;
  std::string route_, request_id_;
  Clock::time_point start_;
  bool keep_alive_ = true;
  unsigned request_version_ = 11;
  int status_ = 0;
  std::shared_ptr<InFlightGuard> in_flight_;
  std::shared_ptr<std::string> continue_;
  std::string out_head_, out_body_;
  // A streamed response. Strand only: the chunks waiting for the write in flight, those
  // it writes, and how the stream ended.
  std::vector<std::string> queued_, in_write_;
  bool writing_ = false, write_failed_ = false, stream_ended_ = false, stream_ok_ = false;
  // Shared with the worker: the bytes queued and not yet written.
  struct {
    std::mutex mu;
    std::condition_variable drained;
    size_t bytes = 0;     // guarded by mu
    bool failed = false;  // guarded by mu
  } backlog_;
  std::vector<char> discard_;
  size_t discarded_ = 0;
};

}  // namespace

void ServeConnection(ServerCore& core, net::ip::tcp::socket socket) {
  std::make_shared<HttpConnection>(core, std::move(socket))->Start();
}

}  // namespace harvis::http
