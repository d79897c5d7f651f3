// One accepted TCP connection: HTTP/1.1 with keep-alive, streamed (chunked) responses
// and the WebSocket upgrade. Internal to the http layer.
#pragma once

#include <boost/asio/ip/tcp.hpp>

namespace harvis::http {

class ServerCore;

// Serves `socket` until the client leaves, a deadline passes or the server stops. The
// socket's executor must be a strand: every operation of the connection runs there.
void ServeConnection(ServerCore& core, boost::asio::ip::tcp::socket socket);

}  // namespace harvis::http
