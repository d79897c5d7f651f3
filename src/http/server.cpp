#include "http/server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <thread>

#include "http/connection.h"
#include "http/server_core.h"

namespace harvis::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// Each held connection is a file descriptor: lift the soft limit to the hard one so
// thousands of idle clients do not exhaust the default 1,024.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// One event loop: an io_context run by one thread. Each loop has its own, so that loops do
// not contend for one reactor's lock (on a 2-core host, two threads sharing an io_context
// woke and blocked each other on every streamed chunk).
struct EventLoop {
  net::io_context io{1};
  net::executor_work_guard<net::io_context::executor_type> keep_running = net::make_work_guard(io);
};

std::vector<std::unique_ptr<EventLoop>> MakeLoops(int count) {
  std::vector<std::unique_ptr<EventLoop>> loops;
  for (int i = 0; i < std::max(1, count); ++i) loops.push_back(std::make_unique<EventLoop>());
  return loops;
}

}  // namespace

std::string HttpRequest::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

struct HttpServer::Impl {
  ServerCore core;
  // Declared after `core`, so destroyed first: pending connections reference the core.
  std::vector<std::unique_ptr<EventLoop>> loops;
  size_t next_loop = 0;  // the loop of the next connection (round robin); acceptor strand only
  // The acceptor and its retry timer share a strand: Stop() closes it from another thread.
  tcp::acceptor acceptor{net::make_strand(loops.front()->io)};
  net::steady_timer accept_retry{acceptor.get_executor()};
  std::atomic<bool> running{false};
  std::atomic<bool> stopped{false};

  Impl(HttpOptions options, prometheus::Registry& registry, std::atomic<int>& in_flight)
      : core(std::move(options), registry, in_flight), loops(MakeLoops(core.options.io_threads)) {}

  void Accept() {
    net::io_context& loop = loops[next_loop++ % loops.size()]->io;
    acceptor.async_accept(net::make_strand(loop), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Out of file descriptors (or memory): existing connections keep being served;
        // accepting resumes shortly instead of spinning.
        spdlog::warn("accept failed: {}; retrying in 100 ms", ec.message());
        accept_retry.expires_after(std::chrono::milliseconds(100));
        accept_retry.async_wait([this](boost::system::error_code e) {
          if (!e) Accept();
        });
        return;
      }
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);  // small responses must not wait for Nagle
      ServeConnection(core, std::move(socket));
      Accept();
    });
  }

  void CloseAcceptor() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
  }
};

HttpServer::HttpServer(HttpOptions options, prometheus::Registry& registry)
    : impl_(std::make_unique<Impl>(std::move(options), registry, in_flight_)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Get(const std::string& route, const std::string& pattern, Handler handler) {
  Add("GET", route, pattern, std::move(handler));
}

void HttpServer::Post(const std::string& route, const std::string& pattern, Handler handler) {
  Add("POST", route, pattern, std::move(handler));
}

void HttpServer::WebSocket(const std::string& route, const std::string& pattern, WebSocketHandler handler) {
  Add("GET", route, pattern, nullptr);
  impl_->core.routes.back().websocket = std::move(handler);
}

void HttpServer::Add(const std::string& method, const std::string& route, const std::string& pattern,
                     Handler handler) {
  Route r;
  r.method = method;
  r.name = route;
  if (pattern.find_first_of("\\^$.|?*+()[]{}") == std::string::npos) r.literal = pattern;
  r.pattern = std::regex(pattern);
  r.handler = std::move(handler);
  impl_->core.routes.push_back(std::move(r));
}

Result<int> HttpServer::Bind(const std::string& host, int port) {
  RaiseOpenFileLimit();
  auto fail = [&](const std::string& why) {
    return Status(ErrorCode::kFailedPrecondition,
                  "cannot listen on " + host + ":" + std::to_string(port) + " (" + why + ")");
  };
  boost::system::error_code ec;
  tcp::resolver resolver(impl_->loops.front()->io);
  auto endpoints = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) return fail("not an address of this machine: " + ec.message());
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    impl_->CloseAcceptor();
    return fail(ec == net::error::address_in_use ? "address in use" : ec.message());
  }
  return static_cast<int>(acceptor.local_endpoint().port());
}

void HttpServer::SetDraining(bool draining) {
  impl_->core.draining = draining;
  if (draining) impl_->core.CloseSessions();
}

void HttpServer::Run() {
  if (impl_->stopped || !impl_->acceptor.is_open()) return;
  impl_->running = true;
  net::post(impl_->acceptor.get_executor(), [this] { impl_->Accept(); });
  std::vector<std::thread> extra;
  for (size_t i = 1; i < impl_->loops.size(); ++i) extra.emplace_back([this, i] { impl_->loops[i]->io.run(); });
  impl_->loops.front()->io.run();
  for (auto& t : extra) t.join();
}

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->core.stopping = true;
  if (impl_->running) {
    net::post(impl_->acceptor.get_executor(), [this] { impl_->CloseAcceptor(); });
  } else {
    impl_->CloseAcceptor();
  }
  impl_->core.CloseSessions();
  // In-flight handlers finish (their writes need the loops, still running).
  impl_->core.session_workers.Shutdown();
  impl_->core.workers.Shutdown();
  for (auto& loop : impl_->loops) {
    loop->keep_running.reset();
    loop->io.stop();
  }
}

}  // namespace harvis::http
