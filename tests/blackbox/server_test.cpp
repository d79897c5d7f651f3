// Black-box tests of `harvis serve`: health, readiness, metrics, error bodies, auth.
#include <gtest/gtest.h>

#include <signal.h>

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

namespace harvis::testing {
namespace {

// One second of silence as 16 kHz mono 16-bit WAV, `seconds` long.
std::string SilentWav(int seconds) {
  const uint32_t n = 16000u * seconds;
  std::string out = "RIFF";
  auto put32 = [&](uint32_t v) { for (int i = 0; i < 4; ++i) out += static_cast<char>(v >> (8 * i)); };
  auto put16 = [&](uint16_t v) { for (int i = 0; i < 2; ++i) out += static_cast<char>(v >> (8 * i)); };
  put32(36 + n * 2);
  out += "WAVEfmt ";
  put32(16), put16(1), put16(1), put32(16000), put32(32000), put16(2), put16(16);
  out += "data";
  put32(n * 2);
  out.append(n * 2, '\0');
  return out;
}

TEST(ServerAudio, UploadsAreCheckedBeforeAnyModelRuns) {
  HarvisProcess harvis({.config_yaml = R"(
server: { max_audio_duration: 2s }
models: [ { name: stt, kind: stt, engine: simulated, memory: 1GiB } ]
)"});
  ASSERT_TRUE(harvis.running()) << harvis.Log();
  auto post = [&](const std::string& data, const std::string& model = "stt") {
    httplib::MultipartFormDataItems items = {{"file", data, "a.wav", "audio/wav"}, {"model", model, "", ""}};
    return harvis.Client().Post("/v1/audio/transcriptions", items);
  };
  EXPECT_EQ(post(SilentWav(1))->status, 200);
  ExpectError(post(SilentWav(3)), 413);                  // longer than max_audio_duration
  ExpectError(post(""), 422);                            // empty
  ExpectError(post(SilentWav(1).substr(0, 30)), 422);    // truncated header
  ExpectError(post("%PDF-1.4 not audio at all"), 415);   // not audio
  ExpectError(post(SilentWav(1), "nope"), 404);          // unknown model
  ExpectError(harvis.Client().Post("/v1/audio/transcriptions", "{}", "application/json"), 415);
  auto no_file = harvis.Client().Post("/v1/audio/transcriptions",
                                      httplib::MultipartFormDataItems{{"model", "stt", "", ""}});
  ExpectError(no_file, 400);
  EXPECT_EQ(harvis.SignalAndWait(SIGTERM), 0);
}

TEST(ServerAudio, SpeechIsValidatedAndReturnsWav) {
  HarvisProcess harvis({.config_yaml = R"(
models:
  - { name: espeak, kind: tts, engine: espeak, device: cpu }
  - { name: stt, kind: stt, engine: simulated, memory: 1GiB }
)"});
  ASSERT_TRUE(harvis.running()) << harvis.Log();
  auto speech = [&](const std::string& body) {
    return harvis.Client().Post("/v1/audio/speech", body, "application/json");
  };
  auto ok = speech(R"({"model":"espeak","input":"Hello there.","voice":"nova","sample_rate":16000})");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(ok->get_header_value("Content-Type"), "audio/wav");
  EXPECT_EQ(ok->body.substr(0, 4), "RIFF");
  auto pcm = speech(R"({"model":"espeak","input":"Hi.","response_format":"pcm"})");
  ASSERT_EQ(pcm->status, 200);
  EXPECT_EQ(pcm->get_header_value("X-Sample-Rate"), "22050");
  for (const char* bad : {R"({"model":"espeak"})", R"({"model":"espeak","input":""})",
                          R"({"model":"espeak","input":"x","speed":9})", R"({"model":"espeak","input":"x","voice":7})",
                          R"({"model":"espeak","input":"x","response_format":"mp3"})", "[1]", "{oops",
                          R"({"model":"stt","input":"x"})", R"({"model":"espeak","input":"x","voice":"no-such-voice"})"}) {
    SCOPED_TRACE(bad);
    ExpectError(speech(bad), 400);
  }
  ExpectError(speech(R"({"model":"nope","input":"x"})"), 404);
}

}  // namespace
}  // namespace harvis::testing
