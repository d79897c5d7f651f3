#include "engines/llm/ollama/ollama_protocol.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

namespace harvis {
namespace {

using nlohmann::json;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

Status Malformed(const std::string& url, const std::string& what, std::string_view body) {
  return Status(ErrorCode::kBadGateway, "Ollama at " + url + " sent " + what + ": '" +
                                            Excerpt(body) + "'");
}

// Parses `body` as one JSON object; nullopt when it is not one.
std::optional<json> ParseObject(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::uint64_t U64(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  if (it->is_number_unsigned() || it->is_number_integer()) {
    auto v = it->get<std::int64_t>();
    return v < 0 ? 0 : static_cast<std::uint64_t>(v);
  }
  double d = it->get<double>();
  return d < 0 ? 0 : static_cast<std::uint64_t>(d);
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Reads `{"models": [...]}` and hands each object to `each`.
template <typename T, typename Fn>
Result<std::vector<T>> ParseModelList(std::string_view body, const std::string& url, Fn each) {
  auto j = ParseObject(body);
  if (!j) return Malformed(url, "a malformed model list", body);
  std::vector<T> out;
  auto models = j->find("models");
  if (models == j->end() || models->is_null()) return out;
  if (!models->is_array()) return Malformed(url, "a model list without an array", body);
  for (const auto& m : *models) {
    if (m.is_object()) out.push_back(each(m));
  }
  return out;
}

// Fills the reply's final fields from a done: true object.
void ReadFinal(const json& j, OllamaChatReply& reply) {
  reply.eval_count = static_cast<int>(U64(j, "eval_count"));
  reply.prompt_eval_count = static_cast<int>(U64(j, "prompt_eval_count"));
  reply.total_duration_ns = static_cast<std::int64_t>(U64(j, "total_duration"));
  reply.done_reason = Str(j, "done_reason");
  if (reply.done_reason.empty()) reply.done_reason = "stop";
}

std::string MessageContent(const json& j) {
  auto msg = j.find("message");
  if (msg == j.end() || !msg->is_object()) return Str(j, "response");
  return Str(*msg, "content");
}

}  // namespace

json EncodeKeepAlive(Duration keep_alive) {
  if (keep_alive == kForever || keep_alive.count() < 0) return -1;
  if (keep_alive.count() % 1000 == 0) return keep_alive.count() / 1000;
  return std::to_string(keep_alive.count()) + "ms";
}

json OptionValue(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  std::int64_t i = 0;
  auto [iend, iec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (iec == std::errc() && iend == text.data() + text.size() && !text.empty()) return i;
  double d = 0;
  auto [dend, dec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (dec == std::errc() && dend == text.data() + text.size() && !text.empty()) return d;
  return text;
}

std::string BuildChatBody(const OllamaChatRequest& request) {
  json body = {{"model", request.model}, {"stream", request.stream}};
  json messages = json::array();
  for (const auto& m : request.messages) messages.push_back({{"role", m.role}, {"content", m.content}});
  body["messages"] = std::move(messages);
  json options = {{"temperature", request.options.temperature}};
  if (request.options.max_tokens > 0) options["num_predict"] = request.options.max_tokens;
  if (!request.options.stop.empty()) options["stop"] = request.options.stop;
  std::optional<Duration> keep_alive = request.keep_alive;
  for (const auto& [key, value] : request.options.extra) {
    if (key == "keep_alive") {
      keep_alive = ParseKeepAlive(value);
    } else if (key == "format") {
      body["format"] = value;
    } else {
      options[key] = OptionValue(value);
    }
  }
  body["options"] = std::move(options);
  if (keep_alive) body["keep_alive"] = EncodeKeepAlive(*keep_alive);
  return body.dump();
}

std::string BuildLoadBody(const std::string& model, Duration keep_alive) {
  return json{{"model", model}, {"keep_alive", EncodeKeepAlive(keep_alive)}, {"stream", false}}
      .dump();
}

Result<std::vector<OllamaRunningModel>> ParseRunning(std::string_view body, const std::string& url) {
  return ParseModelList<OllamaRunningModel>(body, url, [](const json& m) {
    OllamaRunningModel r;
    r.name = Str(m, "name");
    if (r.name.empty()) r.name = Str(m, "model");
    r.size = U64(m, "size");
    r.size_vram = U64(m, "size_vram");
    r.expires_at = Str(m, "expires_at");
    r.expires_at_unix = ParseRfc3339(r.expires_at).value_or(0);
    return r;
  });
}

Result<std::vector<OllamaTag>> ParseTags(std::string_view body, const std::string& url) {
  return ParseModelList<OllamaTag>(body, url, [](const json& m) {
    OllamaTag t;
    t.name = Str(m, "name");
    if (t.name.empty()) t.name = Str(m, "model");
    t.size = U64(m, "size");
    auto details = m.find("details");
    if (details != m.end() && details->is_object()) {
      t.format = Str(*details, "format");
      t.family = Str(*details, "family");
      t.parameter_size = Str(*details, "parameter_size");
      t.quantization_level = Str(*details, "quantization_level");
    }
    return t;
  });
}

Result<OllamaModelInfo> ParseShow(std::string_view body, const std::string& url) {
  auto j = ParseObject(body);
  if (!j) return Malformed(url, "a malformed /api/show answer", body);
  OllamaModelInfo info;
  if (auto d = j->find("details"); d != j->end() && d->is_object()) {
    info.parameter_size = Str(*d, "parameter_size");
    info.quantization_level = Str(*d, "quantization_level");
  }
  auto mi = j->find("model_info");
  if (mi == j->end() || !mi->is_object()) return info;
  info.architecture = Str(*mi, "general.architecture");
  info.parameter_count = U64(*mi, "general.parameter_count");
  const std::string a = info.architecture + ".";
  info.context_length = U64(*mi, (a + "context_length").c_str());
  info.block_count = U64(*mi, (a + "block_count").c_str());
  info.embedding_length = U64(*mi, (a + "embedding_length").c_str());
  info.head_count = U64(*mi, (a + "attention.head_count").c_str());
  info.head_count_kv = U64(*mi, (a + "attention.head_count_kv").c_str());
  return info;
}

Result<std::string> ParseVersion(std::string_view body, const std::string& url) {
  auto j = ParseObject(body);
  if (!j || Str(*j, "version").empty()) return Malformed(url, "a malformed version answer", body);
  return Str(*j, "version");
}

Result<OllamaChatReply> ParseChatAnswer(std::string_view body, const std::string& url) {
  auto j = ParseObject(body);
  if (!j) return Malformed(url, "a malformed chat answer", body);
  if (auto err = j->find("error"); err != j->end() && err->is_string()) {
    return StatusFromOllamaError(err->get<std::string>(), url);
  }
  if (!j->value("done", false)) return Malformed(url, "a chat answer without done: true", body);
  OllamaChatReply reply;
  reply.text = MessageContent(*j);
  ReadFinal(*j, reply);
  return reply;
}

Status StatusFromOllamaError(std::string_view message, const std::string& url) {
  const std::string lower = Lower(message);
  const std::string text = "Ollama at " + url + ": " + std::string(message);
  if (Contains(lower, "not found")) return Status(ErrorCode::kNotFound, text);
  if (Contains(lower, "out of memory") || Contains(lower, "requires more system memory") ||
      Contains(lower, "insufficient memory") || Contains(lower, "cudamalloc failed")) {
    return Status(ErrorCode::kResourceExhausted, text);
  }
  return Status(ErrorCode::kBadGateway, text);
}

Status StatusFromHttpAnswer(long http_status, std::string_view content_type, std::string_view body,
                            const std::string& url) {
  if (auto j = ParseObject(body)) {
    if (auto err = j->find("error"); err != j->end() && err->is_string()) {
      return StatusFromOllamaError(err->get<std::string>(), url);
    }
  }
  const bool html = Contains(Lower(content_type), "html") ||
                    (!body.empty() && body.find_first_not_of(" \r\n\t") != std::string_view::npos &&
                     body[body.find_first_not_of(" \r\n\t")] == '<');
  std::string what = html ? "an HTML page" : "an unexpected answer";
  return Status(ErrorCode::kBadGateway, "Ollama at " + url + " answered HTTP " +
                                            std::to_string(http_status) + " with " + what + ": '" +
                                            Excerpt(body) + "'");
}

std::string Excerpt(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  if (text.size() > max) out += "...";
  return out;
}

// Reads `count` digits at `pos` into `out`; false when they are not all digits.
static bool Digits(std::string_view s, size_t pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + count, out);
  return ec == std::errc() && end == s.data() + pos + count;
}

std::optional<std::int64_t> ParseRfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!Digits(s, 0, 4, y) || !Digits(s, 5, 2, mo) || !Digits(s, 8, 2, d) ||
      !Digits(s, 11, 2, h) || !Digits(s, 14, 2, mi) || !Digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
  }
  int offset_s = 0;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, oh) || !Digits(s, pos + 4, 2, om)) return std::nullopt;
    offset_s = (s[pos] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
  } else if (pos >= s.size() || (s[pos] != 'Z' && s[pos] != 'z')) {
    return std::nullopt;
  }
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t days = sys_days(ymd).time_since_epoch().count();
  return days * 86400 + h * 3600 + mi * 60 + sec - offset_s;
}

bool SameOllamaModel(std::string_view a, std::string_view b) {
  auto norm = [](std::string_view n) {
    std::string s(n);
    if (s.find(':') == std::string::npos) s += ":latest";
    return s;
  };
  return norm(a) == norm(b);
}

Status ChatStreamParser::Feed(std::string_view bytes) {
  pending_.append(bytes);
  size_t start = 0;
  for (size_t nl; !stopped_ && (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(pending_.data() + start, nl - start);
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    if (Status st = ParseLine(line); !st.ok()) return st;
  }
  pending_.erase(0, start);
  return Status::Ok();
}

Status ChatStreamParser::ParseLine(std::string_view line) {
  ++lines_;
  auto j = ParseObject(line);
  if (!j) return Malformed(url_, "a malformed stream line", line);
  if (auto err = j->find("error"); err != j->end() && err->is_string()) {
    return StatusFromOllamaError(err->get<std::string>(), url_);
  }
  if (done_) return Malformed(url_, "data after done: true", line);
  std::string token = MessageContent(*j);
  if (!token.empty()) {
    reply_.text += token;
    if (on_token_ && *on_token_ && !(*on_token_)(token)) stopped_ = true;
  }
  if (j->value("done", false)) {
    done_ = true;
    ReadFinal(*j, reply_);
  }
  return Status::Ok();
}

}  // namespace harvis
