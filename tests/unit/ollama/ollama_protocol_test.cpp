// Pure parts of the Ollama engine: request bodies, answer parsing, error mapping, the
// NDJSON stream parser and the memory estimate. No network.
#include "engines/llm/ollama/ollama_protocol.h"

#include <gtest/gtest.h>

#include "engines/llm/ollama/ollama_tenant.h"

namespace harvis {
namespace {

using nlohmann::json;

TEST(OllamaProtocolTest, EncodesKeepAliveAsOllamaReadsIt) {
  EXPECT_EQ(EncodeKeepAlive(kForever), json(-1));
  EXPECT_EQ(EncodeKeepAlive(std::chrono::minutes(5)), json(300));
  EXPECT_EQ(EncodeKeepAlive(Duration(0)), json(0));
  EXPECT_EQ(EncodeKeepAlive(Duration(1500)), json("1500ms"));
}

TEST(OllamaProtocolTest, ChatBodyCarriesOptionsAndKeepAlive) {
  OllamaChatRequest r;
  r.model = "llama3.2:3b";
  r.messages = {{"system", "be brief"}, {"user", "hi"}};
  r.options.temperature = 0.25;
  r.options.max_tokens = 12;
  r.options.extra = {{"top_k", "40"}, {"top_p", "0.9"}, {"mirostat", "false"}, {"stop", "END"},
                     {"keep_alive", "-1"}, {"format", "json"}};
  r.keep_alive = std::chrono::minutes(1);
  json body = json::parse(BuildChatBody(r));
  EXPECT_EQ(body["model"], "llama3.2:3b");
  EXPECT_EQ(body["stream"], true);
  ASSERT_EQ(body["messages"].size(), 2u);
  EXPECT_EQ(body["messages"][1]["content"], "hi");
  EXPECT_DOUBLE_EQ(body["options"]["temperature"].get<double>(), 0.25);
  EXPECT_EQ(body["options"]["num_predict"], 12);
  EXPECT_EQ(body["options"]["top_k"], 40);
  EXPECT_DOUBLE_EQ(body["options"]["top_p"].get<double>(), 0.9);
  EXPECT_EQ(body["options"]["mirostat"], false);
  EXPECT_EQ(body["options"]["stop"], "END");
  EXPECT_FALSE(body["options"].contains("keep_alive"));
  EXPECT_EQ(body["keep_alive"], -1);  // the extra entry overrides the request's
  EXPECT_EQ(body["format"], "json");
}

TEST(OllamaProtocolTest, LoadBodyHasNoPrompt) {
  json body = json::parse(BuildLoadBody("m", Duration(0)));
  EXPECT_FALSE(body.contains("prompt"));
  EXPECT_EQ(body["keep_alive"], 0);
  EXPECT_EQ(body["model"], "m");
}

TEST(OllamaProtocolTest, MapsOllamaErrors) {
  const std::string url = "http://ollama:11434";
  EXPECT_EQ(StatusFromOllamaError("model \"x\" not found, try pulling it first", url).code(),
            ErrorCode::kNotFound);
  for (const char* oom : {"model requires more system memory (5.2 GiB) than is available (3.1 GiB)",
                          "CUDA error: out of memory", "llama runner: insufficient memory",
                          "cudaMalloc failed: out of memory"}) {
    Status st = StatusFromOllamaError(oom, url);
    EXPECT_EQ(st.code(), ErrorCode::kResourceExhausted) << oom;
    EXPECT_NE(st.message().find(url), std::string::npos);
  }
  EXPECT_EQ(StatusFromOllamaError("something else broke", url).code(), ErrorCode::kBadGateway);
}

TEST(OllamaProtocolTest, HtmlAndUnexpectedAnswersAreBadGateway) {
  Status html = StatusFromHttpAnswer(200, "text/html", "<html><body>proxy</body></html>", "u");
  EXPECT_EQ(html.code(), ErrorCode::kBadGateway);
  EXPECT_NE(html.message().find("HTML"), std::string::npos);
  EXPECT_NE(html.message().find("proxy"), std::string::npos);
  EXPECT_EQ(StatusFromHttpAnswer(418, "text/plain", "teapot", "u").code(), ErrorCode::kBadGateway);
  EXPECT_EQ(StatusFromHttpAnswer(404, "application/json", R"({"error":"model 'x' not found"})", "u").code(),
            ErrorCode::kNotFound);
}

TEST(OllamaProtocolTest, StreamParserHandsTokensInOrderAcrossSplits) {
  std::vector<std::string> tokens;
  TokenCallback cb = [&](std::string_view t) {
    tokens.emplace_back(t);
    return true;
  };
  ChatStreamParser parser("u", &cb);
  const std::string stream =
      R"({"message":{"role":"assistant","content":"Hel"},"done":false})" "\n"
      R"({"message":{"role":"assistant","content":"lo"},"done":false})" "\n"
      R"({"message":{"role":"assistant","content":""},"done":true,"done_reason":"length","eval_count":2,"prompt_eval_count":5})" "\n";
  for (size_t i = 0; i < stream.size(); i += 7) ASSERT_TRUE(parser.Feed(stream.substr(i, 7)).ok());
  EXPECT_EQ(tokens, (std::vector<std::string>{"Hel", "lo"}));
  ASSERT_TRUE(parser.done());
  EXPECT_EQ(parser.reply().text, "Hello");
  EXPECT_EQ(parser.reply().eval_count, 2);
  EXPECT_EQ(parser.reply().prompt_eval_count, 5);
  EXPECT_EQ(parser.reply().done_reason, "length");
}

TEST(OllamaProtocolTest, StreamParserRejectsGarbageAndReportsErrors) {
  ChatStreamParser garbage("u", nullptr);
  EXPECT_EQ(garbage.Feed("not json at all\n").code(), ErrorCode::kBadGateway);
  ChatStreamParser oom("u", nullptr);
  EXPECT_EQ(oom.Feed(R"({"error":"CUDA error: out of memory"})" "\n").code(),
            ErrorCode::kResourceExhausted);
}

TEST(OllamaProtocolTest, StreamParserStopsWhenTheCallbackSaysSo) {
  int calls = 0;
  TokenCallback cb = [&](std::string_view) { return ++calls < 2; };
  ChatStreamParser parser("u", &cb);
  std::string lines;
  for (int i = 0; i < 5; ++i) lines += R"({"message":{"content":"x"},"done":false})" "\n";
  ASSERT_TRUE(parser.Feed(lines).ok());
  EXPECT_TRUE(parser.stopped());
  EXPECT_EQ(calls, 2);
}

TEST(OllamaProtocolTest, ParsesRunningTagsShowAndVersion) {
  auto ps = ParseRunning(
      R"({"models":[{"name":"a:1b","size":300,"size_vram":200,"expires_at":"2318-01-01T00:00:00Z"}]})", "u");
  ASSERT_TRUE(ps.ok());
  ASSERT_EQ(ps->size(), 1u);
  EXPECT_EQ((*ps)[0].size_vram, 200u);
  EXPECT_GT((*ps)[0].expires_at_unix, 0);
  auto tags = ParseTags(
      R"({"models":[{"name":"a:1b","size":1000,"details":{"parameter_size":"1.2B","quantization_level":"Q8_0"}}]})", "u");
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ((*tags)[0].quantization_level, "Q8_0");
  auto show = ParseShow(
      R"({"details":{"quantization_level":"F16"},"model_info":{"general.architecture":"qwen2","general.parameter_count":7000,"qwen2.block_count":4}})", "u");
  ASSERT_TRUE(show.ok());
  EXPECT_EQ(show->parameter_count, 7000u);
  EXPECT_EQ(show->block_count, 4u);
  EXPECT_EQ(*ParseVersion(R"({"version":"0.5.7"})", "u"), "0.5.7");
  EXPECT_EQ(ParseRunning("<html>", "u").status().code(), ErrorCode::kBadGateway);
  EXPECT_EQ(ParseChatAnswer(R"({"message":{"content":"x"},"done":false})", "u").status().code(),
            ErrorCode::kBadGateway);
}

TEST(OllamaProtocolTest, ParsesRfc3339) {
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339("1970-01-01T01:00:00.123456+01:00"), 0);
  EXPECT_EQ(ParseRfc3339("2024-06-04T14:38:31.83753-07:00"), 1717537111);
  EXPECT_GT(ParseRfc3339("2318-05-01T00:00:00Z").value_or(0), 10'000'000'000);
  EXPECT_FALSE(ParseRfc3339("yesterday").has_value());
}

TEST(OllamaProtocolTest, ModelNamesDefaultToLatest) {
  EXPECT_TRUE(SameOllamaModel("llama3.2", "llama3.2:latest"));
  EXPECT_FALSE(SameOllamaModel("llama3.2:3b", "llama3.2:1b"));
}

TEST(OllamaEstimateTest, WeightsPlusKvCachePlusOverhead) {
  OllamaModelInfo info;
  info.parameter_count = 3'000'000'000;
  info.quantization_level = "Q4_K_M";
  info.context_length = 131072;
  info.block_count = 28;
  info.embedding_length = 3072;
  info.head_count = 24;
  info.head_count_kv = 8;
  const std::uint64_t weights = static_cast<std::uint64_t>(3e9 * 4.85 / 8);
  const std::uint64_t kv = 2ull * 28 * 4096 * 8 * 128 * 2;
  EXPECT_EQ(EstimateOllamaBytes(info, 4096), weights + kv + std::max<std::uint64_t>(256 * kMiB, weights / 20));
  EXPECT_DOUBLE_EQ(BitsPerWeight("q8_0"), 8.5);
  EXPECT_DOUBLE_EQ(BitsPerWeight("mystery"), 16.0);
  info.parameter_count = 0;
  EXPECT_EQ(EstimateOllamaBytes(info, 4096), 0u);
  EXPECT_GT(EstimateOllamaBytesFromFile(2 * kGiB), 2 * kGiB);
}

}  // namespace
}  // namespace harvis
