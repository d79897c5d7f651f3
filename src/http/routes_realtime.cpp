// GET /v1/realtime: the OpenAI Realtime API over WebSocket (see realtime_protocol.cpp).
// Kept apart from the protocol so that its tests need no server.
#include "http/routes.h"

namespace harvis::http {

void RegisterRealtimeRoute(HttpServer& server, const ApiContext& ctx) {
  server.WebSocket("v1_realtime", "/v1/realtime",
                   [ctx](const HttpRequest& request, WebSocketConnection& socket) { ServeRealtime(ctx, request, socket); });
}

}  // namespace harvis::http
