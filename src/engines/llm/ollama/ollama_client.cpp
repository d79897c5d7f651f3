#include "engines/llm/ollama/ollama_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace harvis {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxAnswerBytes = 64 * kMiB;
constexpr int kPollMillis = 100;  // how often cancellation and idleness are checked

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

enum class StopReason { kNone, kCancelled, kIdle, kBadData };

// One HTTP exchange. Owned by the calling thread; curl's callbacks run on that thread.
struct Transfer {
  CURL* curl = nullptr;
  ChatStreamParser* parser = nullptr;  // streaming chat: 200 JSON bytes go here
  const CancellationToken* cancel = nullptr;
  Duration idle_timeout{0};
  Clock::time_point last_data = Clock::now();
  bool headers_seen = false;
  bool to_parser = false;
  long http_status = 0;
  std::string content_type;
  std::string body;  // bytes not given to the parser
  StopReason stop = StopReason::kNone;
  Status stop_status;
  char error[CURL_ERROR_SIZE] = {0};
};

// What came back from a completed (or cancelled) exchange.
struct Answer {
  long status = 0;
  std::string content_type;
  std::string body;
  bool cancelled = false;
};

bool IsHtml(const std::string& content_type) {
  return content_type.find("html") != std::string::npos;
}

void ReadHeaders(Transfer& t) {
  t.headers_seen = true;
  curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &t.http_status);
  char* type = nullptr;
  curl_easy_getinfo(t.curl, CURLINFO_CONTENT_TYPE, &type);
  if (type != nullptr) t.content_type = type;
  t.to_parser = t.parser != nullptr && t.http_status == 200 && !IsHtml(t.content_type);
}

bool Cancelled(const Transfer& t) { return t.cancel != nullptr && t.cancel->cancelled(); }

// curl write callback: feeds the parser or keeps the bytes. Returning less than `n`
// aborts the transfer.
size_t OnData(char* data, size_t size, size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const size_t n = size * count;
  t.last_data = Clock::now();
  if (!t.headers_seen) ReadHeaders(t);
  if (Cancelled(t)) {
    t.stop = StopReason::kCancelled;
    return 0;
  }
  if (t.to_parser) {
    if (Status st = t.parser->Feed(std::string_view(data, n)); !st.ok()) {
      t.stop = StopReason::kBadData;
      t.stop_status = std::move(st);
      return 0;
    }
    if (t.parser->stopped()) t.stop = StopReason::kCancelled;
    return t.parser->stopped() ? 0 : n;
  }
  if (t.body.size() + n > kMaxAnswerBytes) {
    t.stop = StopReason::kBadData;
    t.stop_status = Status(ErrorCode::kBadGateway, "the answer is larger than " +
                                                       FormatBytes(kMaxAnswerBytes));
    return 0;
  }
  t.body.append(data, n);
  return n;
}

// Drives the transfer with a multi handle so that cancellation and idleness are checked
// every kPollMillis; returns curl's result for the transfer (CURLE_OK when stopped here).
CURLcode Run(Transfer& t) {
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(), curl_multi_cleanup);
  if (!multi || curl_multi_add_handle(multi.get(), t.curl) != CURLM_OK) return CURLE_FAILED_INIT;
  for (int running = 1; running > 0 && t.stop == StopReason::kNone;) {
    if (curl_multi_perform(multi.get(), &running) != CURLM_OK) break;
    if (running == 0 || t.stop != StopReason::kNone) break;
    if (Cancelled(t)) t.stop = StopReason::kCancelled;
    if (Clock::now() - t.last_data > t.idle_timeout) t.stop = StopReason::kIdle;
    if (t.stop == StopReason::kNone) curl_multi_poll(multi.get(), nullptr, 0, kPollMillis, nullptr);
  }
  CURLcode result = CURLE_OK;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi.get(), &left)) {
    if (msg->msg == CURLMSG_DONE) result = msg->data.result;
  }
  // Removing an unfinished transfer and cleaning up the multi handle closes its connection.
  curl_multi_remove_handle(multi.get(), t.curl);
  return result;
}

// Maps how the exchange ended to a Status; Ok when an HTTP answer (any status) came.
Status TransportStatus(const Transfer& t, CURLcode rc, const OllamaClientOptions& o) {
  const std::string detail = t.error[0] != '\0' ? t.error : curl_easy_strerror(rc);
  switch (t.stop) {
    case StopReason::kCancelled: return Status::Ok();
    case StopReason::kBadData: return t.stop_status;
    case StopReason::kIdle:
      return Status(ErrorCode::kTimeout, "Ollama at " + o.url + " sent nothing for " +
                                             FormatDuration(o.idle_timeout));
    case StopReason::kNone: break;
  }
  if (rc == CURLE_OK) return Status::Ok();
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
      rc == CURLE_COULDNT_RESOLVE_PROXY) {
    return Status(ErrorCode::kUnavailable, "Ollama at " + o.url + " is unreachable: " + detail);
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Status(ErrorCode::kTimeout, "Ollama at " + o.url + " did not answer in time: " + detail);
  }
  return Status(ErrorCode::kBadGateway, "Ollama at " + o.url + " broke off the answer: " + detail);
}

// Performs one request (POST when `body` is set) and returns the answer. `t` carries
// the parser and cancellation token of a chat; other fields are filled here.
Result<Answer> Exchange(const OllamaClientOptions& o, const std::string& path,
                        const std::string* body, Transfer& t) {
  GlobalInitOnce();
  // The header list outlives the handle that points to it.
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status(ErrorCode::kInternal, "cannot create an HTTP client");
  t.curl = curl.get();
  t.idle_timeout = o.idle_timeout;
  const std::string url = o.url + path;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.request_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnData);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t.error);
  if (body != nullptr) {
    headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  t.last_data = Clock::now();
  const CURLcode rc = Run(t);
  if (Status st = TransportStatus(t, rc, o); !st.ok()) return st;
  if (!t.headers_seen) ReadHeaders(t);
  return Answer{t.http_status, t.content_type, std::move(t.body), t.stop == StopReason::kCancelled};
}

// The body of a 200 JSON answer, or the error that the answer means.
Result<std::string> JsonBody(Result<Answer> answer, const std::string& url) {
  if (!answer.ok()) return answer.status();
  if (answer->status != 200 || IsHtml(answer->content_type)) {
    return StatusFromHttpAnswer(answer->status, answer->content_type, answer->body, url);
  }
  return std::move(answer->body);
}

OllamaChatReply CancelledReply(OllamaChatReply reply) {
  reply.cancelled = true;
  reply.done_reason = "cancelled";
  return reply;
}

Result<OllamaChatReply> StreamChat(const OllamaClientOptions& o, const OllamaChatRequest& request,
                                   const TokenCallback& on_token, const CancellationToken* cancel) {
  ChatStreamParser parser(o.url, &on_token);
  Transfer t;
  t.parser = &parser;
  t.cancel = cancel;
  const std::string body = BuildChatBody(request);
  auto answer = Exchange(o, "/api/chat", &body, t);
  if (!answer.ok()) return answer.status();
  if (answer->cancelled) return CancelledReply(parser.reply());
  if (!t.to_parser) {
    return StatusFromHttpAnswer(answer->status, answer->content_type, answer->body, o.url);
  }
  // Whatever is left without a final newline is one last line.
  if (Status st = parser.Feed("\n"); !st.ok()) return st;
  if (!parser.done()) {
    return Status(ErrorCode::kBadGateway, "Ollama at " + o.url + " ended the stream after " +
                                              std::to_string(parser.lines()) +
                                              " lines without done: true");
  }
  return parser.reply();
}

Result<OllamaChatReply> WholeChat(const OllamaClientOptions& o, const OllamaChatRequest& request,
                                  const TokenCallback& on_token, const CancellationToken* cancel) {
  Transfer t;
  t.cancel = cancel;
  const std::string body = BuildChatBody(request);
  auto answer = Exchange(o, "/api/chat", &body, t);
  if (answer.ok() && answer->cancelled) return CancelledReply(OllamaChatReply{});
  auto json = JsonBody(std::move(answer), o.url);
  if (!json.ok()) return json.status();
  auto reply = ParseChatAnswer(*json, o.url);
  if (reply.ok() && on_token && !reply->text.empty() && !on_token(reply->text)) {
    return CancelledReply(std::move(reply).value());
  }
  return reply;
}

}  // namespace

OllamaClient::OllamaClient(OllamaClientOptions options) : options_(std::move(options)) {
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
}

Result<OllamaChatReply> OllamaClient::Chat(const OllamaChatRequest& request,
                                           const TokenCallback& on_token,
                                           const CancellationToken* cancel) const {
  return request.stream ? StreamChat(options_, request, on_token, cancel)
                        : WholeChat(options_, request, on_token, cancel);
}

Result<std::vector<OllamaRunningModel>> OllamaClient::ListRunning() const {
  Transfer t;
  auto body = JsonBody(Exchange(options_, "/api/ps", nullptr, t), options_.url);
  if (!body.ok()) return body.status();
  return ParseRunning(*body, options_.url);
}

Result<std::vector<OllamaTag>> OllamaClient::ListTags() const {
  Transfer t;
  auto body = JsonBody(Exchange(options_, "/api/tags", nullptr, t), options_.url);
  if (!body.ok()) return body.status();
  return ParseTags(*body, options_.url);
}

Result<OllamaModelInfo> OllamaClient::Show(const std::string& model) const {
  Transfer t;
  const std::string request = nlohmann::json{{"model", model}, {"name", model}}.dump();
  auto body = JsonBody(Exchange(options_, "/api/show", &request, t), options_.url);
  if (!body.ok()) return body.status();
  return ParseShow(*body, options_.url);
}

Status OllamaClient::Load(const std::string& model, Duration keep_alive) const {
  Transfer t;
  const std::string request = BuildLoadBody(model, keep_alive);
  auto body = JsonBody(Exchange(options_, "/api/generate", &request, t), options_.url);
  if (!body.ok()) return body.status();
  auto j = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status(ErrorCode::kBadGateway,
                  "Ollama at " + options_.url + " sent a malformed load answer: '" + Excerpt(*body) + "'");
  }
  if (auto err = j.find("error"); err != j.end() && err->is_string()) {
    return StatusFromOllamaError(err->get<std::string>(), options_.url);
  }
  return Status::Ok();
}

Status OllamaClient::Unload(const std::string& model) const { return Load(model, Duration(0)); }

Result<std::string> OllamaClient::Version() const {
  Transfer t;
  auto body = JsonBody(Exchange(options_, "/api/version", nullptr, t), options_.url);
  if (!body.ok()) return body.status();
  return ParseVersion(*body, options_.url);
}

}  // namespace harvis
