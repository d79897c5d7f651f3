// Black-box tests of `harvis serve`: health, readiness, metrics, error bodies, auth.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "harvis_process.h"

namespace harvis::testing {
namespace {

using nlohmann::json;

// Asserts the SPEC §5 error shape and returns the parsed body.
json ExpectError(const httplib::Result& res, int status) {
  EXPECT_TRUE(res) << "no response";
  if (!res) return {};
  EXPECT_EQ(res->status, status) << res->body;
  json body = json::parse(res->body, nullptr, false);
  EXPECT_TRUE(body.is_object()) << res->body;
  EXPECT_TRUE(body["error"]["message"].is_string()) << res->body;
  EXPECT_TRUE(body["error"]["type"].is_string()) << res->body;
  EXPECT_TRUE(body["error"]["code"].is_string()) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  return body;
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    harvis_ = new HarvisProcess({.config_yaml = R"(
server: { max_body: 4KiB }
ollama: { url: "http://127.0.0.1:9" }
models:
  - { name: whisper-base, kind: stt, engine: simulated, memory: 600MiB }
  - { name: "llama3.2:3b", kind: llm, engine: ollama }
)"});
    ASSERT_TRUE(harvis_->running()) << harvis_->Log();
  }
  static void TearDownTestSuite() { delete harvis_; }
  static HarvisProcess* harvis_;
};
HarvisProcess* ServerTest::harvis_ = nullptr;

TEST_F(ServerTest, HealthAndReadiness) {
  auto client = harvis_->Client();
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body), json({{"status", "ok"}}));
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
}

TEST_F(ServerTest, MetricsPassPromtool) {
  auto client = harvis_->Client();
  client.Get("/healthz");
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  for (const char* name : {"harvis_ram_used_bytes", "harvis_ram_limit_bytes", "harvis_cpu_used_cores",
                           "harvis_cpu_allocated_cores", "harvis_restarts_total",
                           "harvis_threshold_breached{resource=\"ram\"}", "harvis_requests_total{",
                           "harvis_request_seconds_bucket{"}) {
    EXPECT_NE(res->body.find(name), std::string::npos) << name;
  }
  auto file = MakeTempDir("harvis-metrics") / "metrics.txt";
  std::ofstream(file) << res->body;
  std::string output;
  int rc = RunCommand(std::string(PROMTOOL) + " check metrics < " + file.string(), &output);
  EXPECT_EQ(rc, 0) << output;
  std::filesystem::remove_all(file.parent_path());
}

TEST_F(ServerTest, RequestIdIsEchoedOrGenerated) {
  auto client = harvis_->Client();
  auto res = client.Get("/healthz", {{"X-Request-Id", "abc-123"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("X-Request-Id"), "abc-123");
  auto generated = client.Get("/healthz");
  ASSERT_TRUE(generated);
  EXPECT_EQ(generated->get_header_value("X-Request-Id").size(), 16u);
}

TEST_F(ServerTest, UnknownRouteIs404Json) {
  auto body = ExpectError(harvis_->Client().Get("/no/such/route"), 404);
  EXPECT_EQ(body["error"]["code"], "route_not_found");
}

TEST_F(ServerTest, WrongMethodIs405Json) {
  ExpectError(harvis_->Client().Get("/v1/chat/completions"), 405);
}

TEST_F(ServerTest, ModelsListIsOpenAiShaped) {
  auto res = harvis_->Client().Get("/v1/models");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  json body = json::parse(res->body);
  EXPECT_EQ(body["object"], "list");
  ASSERT_EQ(body["data"].size(), 2u);
  EXPECT_EQ(body["data"][0]["id"], "whisper-base");
  EXPECT_EQ(body["data"][0]["object"], "model");
  EXPECT_TRUE(body["data"][0]["created"].is_number_integer());
  EXPECT_EQ(body["data"][1]["id"], "llama3.2:3b");
}

TEST_F(ServerTest, ChatCompletionsValidatesItsBody) {
  auto client = harvis_->Client();
  const char* bad_bodies[] = {
      "{not json",
      "[1,2]",
      "",
      R"({"messages":[{"role":"user","content":"hi"}]})",
      R"({"model":42,"messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"llama3.2:3b"})",
      R"({"model":"llama3.2:3b","messages":"hi"})",
      R"({"model":"llama3.2:3b","messages":[]})",
      R"({"model":"llama3.2:3b","messages":[{"role":"robot","content":"hi"}]})",
      R"({"model":"llama3.2:3b","messages":[{"role":"user"}]})",
      R"({"model":"llama3.2:3b","messages":[{"role":"user","content":"hi"}],"stream":"yes"})",
      R"({"model":"llama3.2:3b","messages":[{"role":"user","content":"hi"}],"temperature":"hot"})",
      R"({"model":"llama3.2:3b","messages":[{"role":"user","content":"hi"}],"max_tokens":1.5})",
  };
  for (const char* body : bad_bodies) {
    SCOPED_TRACE(body);
    ExpectError(client.Post("/v1/chat/completions", body, "application/json"), 400);
  }
}

TEST_F(ServerTest, ChatWithOllamaDownIs503NamingTheUrl) {
  auto res = harvis_->Client().Post(
      "/v1/chat/completions", R"({"model":"llama3.2:3b","messages":[{"role":"user","content":"hi"}]})",
      "application/json");
  auto body = ExpectError(res, 503);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("127.0.0.1:9"), std::string::npos) << body;
  EXPECT_FALSE(res->get_header_value("Retry-After").empty());
}

TEST_F(ServerTest, OversizedBodyIs413Json) {
  std::string big(8 * 1024, 'x');
  auto body = ExpectError(harvis_->Client().Post("/v1/chat/completions", big, "application/json"), 413);
  EXPECT_EQ(body["error"]["code"], "payload_too_large");
}

TEST_F(ServerTest, OversizedChunkedBodyIs413) {
  auto client = harvis_->Client();
  size_t sent = 0;
  auto res = client.Post(
      "/v1/chat/completions",
      [&sent](size_t, httplib::DataSink& sink) {
        std::string chunk(1024, 'x');
        if (sent < 64 * 1024) {
          sent += chunk.size();
          return sink.write(chunk.data(), chunk.size());
        }
        sink.done();
        return true;
      },
      "application/json");
  // The server refuses without reading the whole stream; either it answers 413 or it
  // closes the connection once the limit is passed.
  if (res) ExpectError(res, 413);
}

TEST(ServerAuth, ApiKeysAreRequiredExceptOnProbes) {
  HarvisProcess harvis({.env = {{"HARVIS_API_KEYS", "key-one,key-two"}}});
  ASSERT_TRUE(harvis.running()) << harvis.Log();
  auto client = harvis.Client();
  ExpectError(client.Get("/v1/models"), 401);
  ExpectError(client.Get("/v1/models", {{"Authorization", "Bearer wrong"}}), 401);
  ExpectError(client.Get("/v1/models", {{"Authorization", "key-one"}}), 401);
  auto ok = client.Get("/v1/models", {{"Authorization", "Bearer key-two"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  for (const char* open : {"/healthz", "/readyz", "/metrics"}) {
    auto res = client.Get(open);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << open;
  }
}

TEST(ServerStartup, InvalidConfigurationStopsStartupNamingFileLineAndField) {
  HarvisProcess harvis({.config_yaml = "server:\n  port: 8000\nbudgets:\n  gpu_memory: 24XB\n"});
  EXPECT_FALSE(harvis.running());
  std::string log = harvis.Log();
  EXPECT_NE(log.find("harvis.yaml:4: budgets.gpu_memory: invalid size '24XB'"), std::string::npos) << log;
}

}  // namespace
}  // namespace harvis::testing
