// GET /: the built-in web page (src/http/web/index.html, compiled in), to talk to the
// assistant from a browser over /v1/realtime and watch devices and resident models.
#include "http/routes.h"
#include "http/web_page.h"

namespace harvis::http {

void RegisterWebPage(HttpServer& server) {
  server.Get("web_page", "/", [](const HttpRequest&) {
    HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = kWebPage;
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  });
}

}  // namespace harvis::http
