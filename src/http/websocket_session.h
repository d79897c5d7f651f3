// A WebSocket connection after the upgrade: a read loop and a write queue on the
// connection's strand, with the route's handler running on a worker thread and seeing
// the blocking WebSocketConnection interface. Internal to the http layer.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "http/server_core.h"

namespace harvis::http {

class WebSocketSession : public WebSocketConnection,
                         public Closable,
                         public std::enable_shared_from_this<WebSocketSession> {
 public:
  // Takes over one count of core.websockets (released when destroyed).
  WebSocketSession(ServerCore& core, boost::beast::tcp_stream stream, WebSocketHandler handler);
  ~WebSocketSession() override { --core_.websockets; }

  // Completes the handshake for `upgrade`, then runs the handler with `request`.
  void Accept(boost::beast::http::request<boost::beast::http::string_body> upgrade, HttpRequest request);

  std::optional<WebSocketMessage> Receive() override;
  bool Send(const std::string& text) override;
  void Close() override;

 private:
  void RunHandler(HttpRequest request);
  void ReadNext();
  void WriteNext();
  void CloseNow();
  void MarkClosed();

  ServerCore& core_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  WebSocketHandler handler_;
  boost::beast::http::request<boost::beast::http::string_body> upgrade_;
  boost::beast::flat_buffer read_buffer_;

  // Strand only.
  std::deque<std::string> outbox_;
  size_t outbox_bytes_ = 0;
  bool writing_ = false;
  bool close_requested_ = false;
  bool close_started_ = false;

  // Shared with the handler's thread.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WebSocketMessage> inbox_;
  size_t inbox_bytes_ = 0;
  bool reading_paused_ = false;  // the inbox is full: reading resumes as the handler drains it
  bool closed_ = false;
};

}  // namespace harvis::http
