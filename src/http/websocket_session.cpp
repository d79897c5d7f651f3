#include "http/websocket_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace harvis::http {
namespace {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace net = boost::asio;

constexpr size_t kMaxMessage = 16 << 20;
// A peer that stops reading while we keep sending is dropped once this much is queued.
constexpr size_t kMaxQueued = 64 << 20;
// A peer that sends faster than the handler reads is not read from beyond this (TCP then
// slows it down).
constexpr size_t kMaxInbox = 32 << 20;

}  // namespace

WebSocketSession::WebSocketSession(ServerCore& core, beast::tcp_stream stream, WebSocketHandler handler)
    : core_(core), ws_(std::move(stream)), handler_(std::move(handler)) {}

void WebSocketSession::Accept(beast::http::request<beast::http::string_body> upgrade, HttpRequest request) {
  beast::get_lowest_layer(ws_).expires_never();  // the websocket stream keeps its own timers
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(30);
  timeouts.idle_timeout = std::chrono::seconds(60);  // pings after 30 s of silence; no pong: closed
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.read_message_max(kMaxMessage);
  upgrade_ = std::move(upgrade);
  const std::string protocol = ChooseWebSocketProtocol(std::string(upgrade_[beast::http::field::sec_websocket_protocol]));
  ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& response) {
    response.set(beast::http::field::server, "harvis");
    // A browser that offered subprotocols drops the connection unless one is chosen.
    if (!protocol.empty()) response.set(beast::http::field::sec_websocket_protocol, protocol);
  }));
  ws_.async_accept(upgrade_, [self = shared_from_this(), request = std::move(request)](beast::error_code ec) mutable {
    if (ec) {
      spdlog::info("websocket handshake failed: {}", ec.message());
      return;
    }
    self->core_.Track(self);
    self->ReadNext();
    // Upgraded while the drain began: CloseSessions() may have missed this one.
    if (self->core_.draining || self->core_.stopping) return self->Close();
    auto in_flight = std::make_shared<InFlightGuard>(self->core_.in_flight);
    const bool queued = self->core_.session_workers.Post([self, in_flight, request = std::move(request)]() mutable {
      self->RunHandler(std::move(request));
    });
    if (!queued) self->Close();
  });
}

void WebSocketSession::RunHandler(HttpRequest request) {
  try {
    handler_(request, *this);
  } catch (const std::exception& e) {
    spdlog::error("websocket handler on {} ended by an exception: {}", request.path, e.what());
  }
  Close();
}

std::optional<WebSocketMessage> WebSocketSession::Receive() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return closed_ || !inbox_.empty(); });
  if (inbox_.empty()) return std::nullopt;
  WebSocketMessage message = std::move(inbox_.front());
  inbox_.pop_front();
  inbox_bytes_ -= message.data.size();
  if (reading_paused_ && inbox_bytes_ <= kMaxInbox / 2) {
    reading_paused_ = false;
    net::post(ws_.get_executor(), [self = shared_from_this()] { self->ReadNext(); });
  }
  return message;
}

bool WebSocketSession::Send(const std::string& text) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
  }
  net::post(ws_.get_executor(), [self = shared_from_this(), text] {
    if (self->close_requested_) return;
    self->outbox_bytes_ += text.size();
    self->outbox_.push_back(text);
    if (self->outbox_bytes_ > kMaxQueued) {
      spdlog::warn("websocket peer is not reading: dropping the connection");
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);  // fails the pending write and read
      return self->MarkClosed();
    }
    if (!self->writing_) self->WriteNext();
  });
  return true;
}

void WebSocketSession::Close() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    self->close_requested_ = true;
    if (!self->writing_) self->CloseNow();  // else after the queued messages are written
  });
}

void WebSocketSession::ReadNext() {
  ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, size_t) {
    if (ec) return self->MarkClosed();  // closed by the peer, by us, or broken
    WebSocketMessage message{!self->ws_.got_text(), beast::buffers_to_string(self->read_buffer_.data())};
    self->read_buffer_.consume(self->read_buffer_.size());
    bool full = false;
    {
      std::lock_guard lock(self->mu_);
      self->inbox_bytes_ += message.data.size();
      self->inbox_.push_back(std::move(message));
      full = self->reading_paused_ = self->inbox_bytes_ > kMaxInbox;
    }
    self->cv_.notify_all();
    if (!full) self->ReadNext();
  });
}

void WebSocketSession::WriteNext() {
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(outbox_.front()), [self = shared_from_this()](beast::error_code ec, size_t) {
    self->outbox_bytes_ -= self->outbox_.front().size();
    self->outbox_.pop_front();
    self->writing_ = false;
    if (ec) {
      self->outbox_.clear();
      self->outbox_bytes_ = 0;
      return self->MarkClosed();
    }
    if (!self->outbox_.empty()) return self->WriteNext();
    if (self->close_requested_) self->CloseNow();
  });
}

void WebSocketSession::CloseNow() {
  close_requested_ = true;
  // The handler is done with the connection now; the close handshake finishes (or times
  // out) on the strand without holding its worker.
  MarkClosed();
  if (close_started_ || !ws_.is_open()) return;
  close_started_ = true;
  ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) { self->MarkClosed(); });
}

void WebSocketSession::MarkClosed() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace harvis::http
