#include "core/http_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace harvis {
namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

Result<HttpResult> HttpGet(const std::string& url, std::chrono::milliseconds timeout) {
  GlobalInitOnce();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status(ErrorCode::kInternal, "cannot create an HTTP client");
  HttpResult result;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Status(ErrorCode::kTimeout, url + " did not answer within " +
                                           std::to_string(timeout.count()) + " ms");
  }
  if (rc != CURLE_OK) {
    return Status(ErrorCode::kUnavailable, url + " is unreachable: " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  char* type = nullptr;
  curl_easy_getinfo(curl.get(), CURLINFO_CONTENT_TYPE, &type);
  if (type) result.content_type = type;
  return result;
}

}  // namespace harvis
