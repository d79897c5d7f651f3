// The Beast transport of HttpServer, in process on a free loopback port: keep-alive,
// streamed bodies, Expect: 100-continue, multipart, deadlines, and WebSocket sessions.
#include "http/server.h"
#include "http/server_core.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <thread>

namespace harvis::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

HttpResponse Text(std::string body) {
  HttpResponse r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

class ServerTransportTest : public ::testing::Test {
 protected:
  void StartServer(HttpOptions options = {}) {
    server_ = std::make_unique<HttpServer>(std::move(options), registry_);
    server_->Get("healthz", "/healthz", [](const HttpRequest&) { return Text("ok"); });
    server_->Post("echo", "/echo/([a-z]+)", [](const HttpRequest& r) {
      std::string parts;
      if (r.form) {
        for (const auto& p : r.form->parts) parts += p.name + "=" + p.data + ";";
      }
      auto q = r.query.find("q");
      return Text(r.path_params.at(0) + "|" + r.body + "|" + parts + "|" + (q == r.query.end() ? "" : q->second));
    });
    server_->Get("stream", "/stream", [](const HttpRequest&) {
      HttpResponse r;
      r.content_type = "text/event-stream";
      r.stream = [](StreamSink& sink) {
        for (int i = 0; i < 3; ++i) sink.Write("data: " + std::to_string(i) + "\n\n");
      };
      return r;
    });
    server_->Get("flood", "/flood", [this](const HttpRequest&) {
      HttpResponse r;
      r.content_type = "application/octet-stream";
      r.stream = [this](StreamSink& sink) {
        const std::string chunk(16 * 1024, 'x');
        while (sink.Write(chunk)) flooded_ += chunk.size();
        flood_ended_ = true;
      };
      return r;
    });
    server_->Get("throws", "/throws", [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    server_->WebSocket("ws", "/ws", [this](const HttpRequest& r, WebSocketConnection& ws) {
      auto name = r.query.find("name");
      ws.Send("hello " + (name == r.query.end() ? std::string() : name->second));
      while (auto m = ws.Receive()) {
        if (m->data == "bye") return;  // the server ends the session
        ws.Send((m->binary ? "binary:" : "text:") + m->data);
      }
      peer_closed_ = true;
    });
    auto port = server_->Bind("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status().message();
    port_ = *port;
    thread_ = std::thread([this] { server_->Run(); });
  }

  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }

  tcp::socket Connect() {
    tcp::socket socket(io_);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)));
    return socket;
  }

  bhttp::response<bhttp::string_body> Request(tcp::socket& socket, bhttp::request<bhttp::string_body> req) {
    req.set(bhttp::field::host, "127.0.0.1");
    req.prepare_payload();
    bhttp::write(socket, req);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket, buffer, res);
    return res;
  }

  bhttp::response<bhttp::string_body> Get(const std::string& target) {
    tcp::socket socket = Connect();
    return Request(socket, {bhttp::verb::get, target, 11});
  }

  beast::websocket::stream<tcp::socket> OpenWebSocket(const std::string& target) {
    beast::websocket::stream<tcp::socket> ws(Connect());
    ws.handshake("127.0.0.1", target);
    return ws;
  }

  static std::string ReadText(beast::websocket::stream<tcp::socket>& ws) {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }

  prometheus::Registry registry_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  net::io_context io_;
  int port_ = 0;
  std::atomic<bool> peer_closed_{false};
  std::atomic<size_t> flooded_{0};
  std::atomic<bool> flood_ended_{false};
};

template <typename Predicate>
bool WaitFor(Predicate done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST_F(ServerTransportTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  tcp::socket socket = Connect();
  for (int i = 0; i < 3; ++i) {
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo/abc?q=x%20y", 11};
    req.body() = "body" + std::to_string(i);
    auto res = Request(socket, req);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "abc|body" + std::to_string(i) + "||x y");
    EXPECT_FALSE(res["X-Request-Id"].empty());
  }
}

TEST_F(ServerTransportTest, ClientRequestIdIsEchoedAndHostileOnesReplaced) {
  StartServer();
  tcp::socket socket = Connect();
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/healthz", 11};
  req.set("X-Request-Id", "trace-42");
  EXPECT_EQ(Request(socket, req)["X-Request-Id"], "trace-42");
  req.set("X-Request-Id", "bad id with spaces");
  auto id = std::string(Request(socket, req)["X-Request-Id"]);
  EXPECT_EQ(id.size(), 16u);
}

TEST_F(ServerTransportTest, StreamedBodiesAreChunkedAndTheConnectionIsReused) {
  StartServer();
  tcp::socket socket = Connect();
  for (int i = 0; i < 2; ++i) {
    auto res = Request(socket, {bhttp::verb::get, "/stream", 11});
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_TRUE(res.chunked());
    EXPECT_EQ(res.body(), "data: 0\n\ndata: 1\n\ndata: 2\n\n");
  }
}

// The handler of a streamed body queues its chunks; it is held back once the client stops
// reading (the socket's buffers and the queue are full), and its writes fail once the
// client has gone.
TEST_F(ServerTransportTest, AStreamWaitsForAClientThatStopsReadingAndEndsWhenItLeaves) {
  StartServer();
  tcp::socket socket = Connect();
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/flood", 11};
  req.set(bhttp::field::host, "127.0.0.1");
  bhttp::write(socket, req);
  size_t last = 0;
  EXPECT_TRUE(WaitFor([&] {
    const size_t now = flooded_.load();
    const bool still = now > 0 && now == last;
    last = now;
    if (!still) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return still;
  }, std::chrono::seconds(20)));
  EXPECT_LT(flooded_.load(), 32u << 20) << "the queue grew without bound";
  EXPECT_FALSE(flood_ended_.load());
  socket.close();
  EXPECT_TRUE(WaitFor([&] { return flood_ended_.load(); }, std::chrono::seconds(20)));
  EXPECT_EQ(Get("/healthz").body(), "ok");
}

TEST_F(ServerTransportTest, MultipartBodiesArriveParsed) {
  StartServer();
  tcp::socket socket = Connect();
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/echo/form", 11};
  req.set(bhttp::field::content_type, "multipart/form-data; boundary=b1");
  req.body() = "--b1\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b1--\r\n";
  EXPECT_EQ(Request(socket, req).body(), "form||a=1;|");
  req.body() = "--b1\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1";  // truncated
  auto res = Request(socket, req);
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_NE(res.body().find("truncated"), std::string::npos);
}

TEST_F(ServerTransportTest, ExpectContinueGetsA100BeforeTheBody) {
  StartServer();
  tcp::socket socket = Connect();
  const std::string head =
      "POST /echo/big HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
  net::write(socket, net::buffer(head));
  std::string interim(25, '\0');
  net::read(socket, net::buffer(interim));
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  net::write(socket, net::buffer(std::string("hello")));
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(socket, buffer, res);
  EXPECT_EQ(res.body(), "big|hello||");
}

TEST_F(ServerTransportTest, AnnouncedOversizedBodyIs413WithoutReadingIt) {
  HttpOptions options;
  options.max_body = 100;
  StartServer(options);
  tcp::socket socket = Connect();
  net::write(socket, net::buffer(std::string("POST /echo/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")));
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 413);
  EXPECT_NE(res.body().find("payload_too_large"), std::string::npos);
  EXPECT_FALSE(res.keep_alive());
}

TEST_F(ServerTransportTest, MalformedRequestsAre400AndUnknownRoutes404Or405) {
  StartServer();
  tcp::socket socket = Connect();
  net::write(socket, net::buffer(std::string("GARBAGE\r\n\r\n")));
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 400);
  EXPECT_EQ(Get("/nope").result_int(), 404);
  EXPECT_EQ(Get("/echo/abc").result_int(), 405);
  EXPECT_EQ(Get("/a%zz").result_int(), 400);
  auto thrown = Get("/throws");
  EXPECT_EQ(thrown.result_int(), 500);
  EXPECT_NE(thrown.body().find("internal_error"), std::string::npos);
}

TEST_F(ServerTransportTest, HeadAndHttp10StreamsAreFramedForTheirClients) {
  StartServer();
  tcp::socket socket = Connect();
  bhttp::request<bhttp::string_body> head{bhttp::verb::head, "/stream", 11};
  head.set(bhttp::field::host, "x");
  bhttp::write(socket, head);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);  // a HEAD response has no body
  bhttp::read(socket, buffer, parser);
  EXPECT_EQ(parser.get().result_int(), 200);
  EXPECT_EQ(Request(socket, {bhttp::verb::get, "/healthz", 11}).body(), "ok");  // still in step

  tcp::socket old = Connect();
  net::write(old, net::buffer(std::string("GET /stream HTTP/1.0\r\n\r\n")));
  std::string raw;
  boost::system::error_code ec;
  char chunk[512];
  for (size_t n; (n = old.read_some(net::buffer(chunk), ec)) > 0 || !ec;) raw.append(chunk, n);
  EXPECT_EQ(raw.find("chunked"), std::string::npos) << raw;
  EXPECT_NE(raw.find("\r\n\r\ndata: 0\n\ndata: 1\n\ndata: 2\n\n"), std::string::npos) << raw;
}

TEST_F(ServerTransportTest, HugePathsAre414) {
  StartServer();
  EXPECT_EQ(Get("/echo/" + std::string(10000, 'a')).result_int(), 414);
  EXPECT_EQ(Get("/healthz").result_int(), 200);
}

TEST_F(ServerTransportTest, RejectedUploadStillGetsItsAnswer) {
  HttpOptions options;
  options.max_body = 1000;
  StartServer(options);
  tcp::socket socket = Connect();
  // The client sends its whole (too large) body before reading, as simple clients do.
  const std::string body(200000, 'x');
  net::write(socket, net::buffer("POST /echo/x HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\n\r\n" + body));
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(socket, buffer, res);
  EXPECT_EQ(res.result_int(), 413);
}

TEST_F(ServerTransportTest, AClientThatNeverFinishesItsHeaderIsDroppedAtTheDeadline) {
  HttpOptions options;
  options.header_timeout = std::chrono::seconds(1);
  StartServer(options);
  tcp::socket slow = Connect();
  net::write(slow, net::buffer(std::string("GET /healthz HTTP/1.1\r\nHo")));
  EXPECT_EQ(Get("/healthz").body(), "ok");  // served meanwhile
  char byte;
  boost::system::error_code ec;
  slow.read_some(net::buffer(&byte, 1), ec);  // blocks until the server closes
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset) << ec.message();
}

TEST_F(ServerTransportTest, WebSocketSessionExchangesMessagesAndEndsFromEitherSide) {
  StartServer();
  auto ws = OpenWebSocket("/ws?name=ann");
  EXPECT_EQ(ReadText(ws), "hello ann");
  ws.write(net::buffer(std::string("ping")));
  EXPECT_EQ(ReadText(ws), "text:ping");
  ws.binary(true);
  ws.write(net::buffer(std::string("\x01\x02", 2)));
  EXPECT_EQ(ReadText(ws), std::string("binary:\x01\x02", 9));
  ws.text(true);
  ws.write(net::buffer(std::string("bye")));
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  ws.read(buffer, ec);
  EXPECT_EQ(ec, beast::websocket::error::closed);
  EXPECT_EQ(ws.reason().code, beast::websocket::close_code::normal);

  auto other = OpenWebSocket("/ws");
  EXPECT_EQ(ReadText(other), "hello ");
  other.close(beast::websocket::close_code::normal);
  EXPECT_TRUE(WaitFor([&] { return peer_closed_.load(); }, std::chrono::seconds(2)));
  // The handler sets peer_closed_ just before it returns and the session ends.
  EXPECT_TRUE(WaitFor([&] { return server_->InFlight() == 0; }, std::chrono::seconds(2)))
      << server_->InFlight() << " in flight";
}

TEST_F(ServerTransportTest, WebSocketRouteWithoutUpgradeIs426AndKeysAreChecked) {
  HttpOptions options;
  options.api_keys = {"k1"};
  StartServer(options);
  EXPECT_EQ(Get("/ws").result_int(), 401);
  tcp::socket socket = Connect();
  bhttp::request<bhttp::string_body> req{bhttp::verb::get, "/ws", 11};
  req.set(bhttp::field::authorization, "Bearer k1");
  EXPECT_EQ(Request(socket, req).result_int(), 426);

  beast::websocket::stream<tcp::socket> ws(Connect());
  boost::system::error_code ec;
  ws.handshake("127.0.0.1", "/ws", ec);  // no key
  EXPECT_TRUE(ec);
  beast::websocket::stream<tcp::socket> authorized(Connect());
  authorized.set_option(beast::websocket::stream_base::decorator(
      [](beast::websocket::request_type& r) { r.set(bhttp::field::authorization, "Bearer k1"); }));
  authorized.handshake("127.0.0.1", "/ws");
  EXPECT_EQ(ReadText(authorized), "hello ");
}

TEST_F(ServerTransportTest, BrowsersSendTheKeyAsASubprotocolWhichIsNeverEchoed) {
  HttpOptions options;
  options.api_keys = {"k1"};
  StartServer(options);
  beast::websocket::stream<tcp::socket> ws(Connect());
  beast::websocket::response_type response;
  ws.set_option(beast::websocket::stream_base::decorator([](beast::websocket::request_type& r) {
    r.set(bhttp::field::sec_websocket_protocol, "realtime, openai-insecure-api-key.k1, openai-beta.realtime-v1");
  }));
  ws.handshake(response, "127.0.0.1", "/ws");
  EXPECT_EQ(response[bhttp::field::sec_websocket_protocol], "realtime");
  EXPECT_EQ(ReadText(ws), "hello ");
  EXPECT_EQ(BearerFromWebSocketProtocols("a, openai-insecure-api-key.k2"), "Bearer k2");
  EXPECT_EQ(BearerFromWebSocketProtocols("realtime"), "");
  EXPECT_EQ(ChooseWebSocketProtocol("openai-insecure-api-key.k2, chat"), "chat");
  EXPECT_EQ(ChooseWebSocketProtocol("openai-insecure-api-key.k2"), "");
}

TEST_F(ServerTransportTest, WebSocketSessionsBeyondTheLimitAre503) {
  HttpOptions options;
  options.websocket_sessions = 1;
  StartServer(options);
  auto first = OpenWebSocket("/ws");
  EXPECT_EQ(ReadText(first), "hello ");
  beast::websocket::stream<tcp::socket> second(Connect());
  beast::websocket::response_type response;
  boost::system::error_code ec;
  second.handshake(response, "127.0.0.1", "/ws", ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_EQ(Get("/healthz").body(), "ok");  // HTTP is not held up by sessions
  first.close(beast::websocket::close_code::normal);
  // The slot is free again once the first session has wound down.
  bool reopened = false;
  for (int i = 0; i < 200 && !reopened; ++i) {
    beast::websocket::stream<tcp::socket> third(Connect());
    third.handshake("127.0.0.1", "/ws", ec);
    reopened = !ec && ReadText(third) == "hello ";
    if (!reopened) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(reopened);
}

TEST_F(ServerTransportTest, DrainingClosesWebSocketsAndRefusesNewRequests) {
  StartServer();
  auto ws = OpenWebSocket("/ws");
  EXPECT_EQ(ReadText(ws), "hello ");
  EXPECT_EQ(server_->InFlight(), 1);
  server_->SetDraining(true);
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  ws.read(buffer, ec);
  EXPECT_EQ(ec, beast::websocket::error::closed);
  EXPECT_EQ(Get("/stream").result_int(), 503);
  EXPECT_EQ(Get("/healthz").result_int(), 200);  // probes still answer
}

TEST_F(ServerTransportTest, StopWithOpenConnectionsReturns) {
  StartServer();
  tcp::socket idle = Connect();
  auto ws = OpenWebSocket("/ws");
  EXPECT_EQ(ReadText(ws), "hello ");
  server_->Stop();
  thread_.join();
}

}  // namespace
}  // namespace harvis::http
