#include "http/json_body.h"

#include <set>

namespace harvis::http {
namespace {

using nlohmann::json;

Status Invalid(const std::string& message) { return {ErrorCode::kInvalidArgument, message}; }

// OpenAI accepts either a string or a list of content parts; text parts are joined.
Result<std::string> MessageContent(const json& content, const std::string& field) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return std::string();
  if (!content.is_array()) return Invalid("'" + field + "' must be a string or an array of content parts");
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const json& part = content[i];
    std::string pf = field + "[" + std::to_string(i) + "]";
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) {
      return Invalid("'" + pf + "' must be an object with a string 'type'");
    }
    if (part["type"] != "text") return Invalid("'" + pf + ".type': only text content parts are supported");
    if (!part.contains("text") || !part["text"].is_string()) return Invalid("'" + pf + ".text' must be a string");
    text += part["text"].get<std::string>();
  }
  return text;
}

Result<std::vector<ChatMessage>> ParseMessages(const json& body) {
  if (!body.contains("messages")) return Invalid("'messages' is required");
  auto messages = ParseMessageList(body["messages"], "messages");
  if (messages.ok() && messages->empty()) return Invalid("'messages' must not be empty");
  return messages;
}

template <typename T>
Status OptionalNumber(const json& body, const char* field, std::optional<T>& out, double min, double max) {
  if (!body.contains(field) || body[field].is_null()) return Status::Ok();
  const json& v = body[field];
  bool integral = std::is_integral_v<T>;
  if (!v.is_number() || (integral && !v.is_number_integer())) {
    return Invalid(std::string("'") + field + "' must be " + (integral ? "an integer" : "a number"));
  }
  double d = v.get<double>();
  if (d < min || d > max) {
    return Invalid(std::string("'") + field + "' must be between " + std::to_string(min) + " and " +
                   std::to_string(max));
  }
  out = v.get<T>();
  return Status::Ok();
}

Status ParseStop(const json& body, std::vector<std::string>& stop) {
  if (!body.contains("stop") || body["stop"].is_null()) return Status::Ok();
  const json& v = body["stop"];
  if (v.is_string()) {
    stop.push_back(v);
    return Status::Ok();
  }
  if (!v.is_array()) return Invalid("'stop' must be a string or an array of strings");
  for (const json& s : v) {
    if (!s.is_string()) return Invalid("'stop' must be a string or an array of strings");
    stop.push_back(s);
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<ChatMessage>> ParseMessageList(const json& list, const std::string& field) {
  if (!list.is_array()) return Invalid("'" + field + "' must be an array");
  static const std::set<std::string> kRoles = {"system", "developer", "user", "assistant", "tool"};
  std::vector<ChatMessage> messages;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string f = field + "[" + std::to_string(i) + "]";
    const json& m = list[i];
    if (!m.is_object()) return Invalid("'" + f + "' must be an object");
    if (!m.contains("role") || !m["role"].is_string()) return Invalid("'" + f + ".role' must be a string");
    std::string role = m["role"];
    if (!kRoles.count(role)) return Invalid("'" + f + ".role': unknown role '" + role + "'");
    if (!m.contains("content")) return Invalid("'" + f + ".content' is required");
    auto content = MessageContent(m["content"], f + ".content");
    if (!content.ok()) return content.status();
    messages.push_back({role == "developer" ? "system" : role, std::move(*content)});
  }
  return messages;
}

Result<json> ParseJsonObject(const std::string& body) {
  if (body.empty()) return Invalid("the request body is empty; expected a JSON object");
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Invalid("the request body is not valid JSON");
  if (!parsed.is_object()) return Invalid("the request body must be a JSON object");
  return parsed;
}

Result<ChatCompletionRequest> ParseChatCompletionRequest(const std::string& body) {
  auto parsed = ParseJsonObject(body);
  if (!parsed.ok()) return parsed.status();
  const json& j = *parsed;
  ChatCompletionRequest req;
  if (!j.contains("model") || !j["model"].is_string() || j["model"].get<std::string>().empty()) {
    return Invalid("'model' is required and must be a non-empty string");
  }
  req.model = j["model"];
  auto messages = ParseMessages(j);
  if (!messages.ok()) return messages.status();
  req.messages = std::move(*messages);
  if (j.contains("stream") && !j["stream"].is_null()) {
    if (!j["stream"].is_boolean()) return Invalid("'stream' must be a boolean");
    req.stream = j["stream"];
  }
  for (Status s : {OptionalNumber(j, "temperature", req.temperature, 0.0, 2.0),
                   OptionalNumber(j, "top_p", req.top_p, 0.0, 1.0),
                   OptionalNumber(j, "max_tokens", req.max_tokens, 1.0, 1e9),
                   OptionalNumber(j, "seed", req.seed, -2147483648.0, 2147483647.0),
                   ParseStop(j, req.stop)}) {
    if (!s.ok()) return s;
  }
  return req;
}

}  // namespace harvis::http
