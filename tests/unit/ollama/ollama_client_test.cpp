// OllamaClient against the Ollama stand-in on loopback: chat (streaming and not),
// options, cancellation, /api/ps after load and unload, and every failure mode.
// Error codes are checked, never durations.
#include "engines/llm/ollama/ollama_client.h"

#include <gtest/gtest.h>

#include "engines/llm/ollama/ollama_tenant.h"
#include "standin_process.h"

namespace harvis {
namespace {

using testing::StandinProcess;

const std::string kModel = "llama3.2:3b";

class OllamaClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(standin_.running()) << "the stand-in did not start"; }

  OllamaClient Client(Duration request_timeout = std::chrono::seconds(60),
                      Duration idle_timeout = std::chrono::seconds(60)) const {
    OllamaClientOptions o;
    o.url = standin_.url();
    o.request_timeout = request_timeout;
    o.idle_timeout = idle_timeout;
    return OllamaClient(o);
  }

  static OllamaChatRequest Request(const std::string& text, bool stream = true) {
    OllamaChatRequest r;
    r.model = kModel;
    r.messages = {{"system", "You are terse."}, {"user", text}};
    r.stream = stream;
    return r;
  }

  Status ChatStatus(bool stream = true) {
    return Client().Chat(Request("hello", stream), nullptr, nullptr).status();
  }

  StandinProcess standin_;
};

TEST_F(OllamaClientTest, Version) {
  auto v = Client().Version();
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_FALSE(v->empty());
}

TEST_F(OllamaClientTest, StreamingChatYieldsTokensInOrder) {
  std::vector<std::string> tokens;
  auto reply = Client().Chat(Request("hello there"), [&](std::string_view t) {
    tokens.emplace_back(t);
    return true;
  }, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  ASSERT_GT(tokens.size(), 10u);
  std::string joined;
  for (const auto& t : tokens) joined += t;
  EXPECT_EQ(joined, reply->text);
  EXPECT_EQ(reply->text.rfind("You said: hello there.", 0), 0u) << reply->text;
  EXPECT_EQ(reply->eval_count, static_cast<int>(tokens.size()));
  EXPECT_GT(reply->prompt_eval_count, 0);
  EXPECT_EQ(reply->done_reason, "stop");
  EXPECT_FALSE(reply->cancelled);
  // The stand-in counts the stream once its response has ended: wait, bounded, for that.
  EXPECT_EQ(standin_.WaitForStat("streams_completed", 1), 1);
}

TEST_F(OllamaClientTest, NonStreamingChatGivesTheSameText) {
  auto streamed = Client().Chat(Request("same"), nullptr, nullptr);
  int calls = 0;
  auto whole = Client().Chat(Request("same", /*stream=*/false), [&](std::string_view) {
    ++calls;
    return true;
  }, nullptr);
  ASSERT_TRUE(streamed.ok() && whole.ok()) << whole.status().message();
  EXPECT_EQ(whole->text, streamed->text);
  EXPECT_EQ(whole->eval_count, streamed->eval_count);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(standin_.LastRequest()["body"]["stream"], false);
}

TEST_F(OllamaClientTest, OptionsArePassedThrough) {
  OllamaChatRequest r = Request("options");
  r.options.temperature = 0.25;
  r.options.max_tokens = 7;
  r.options.extra = {{"top_k", "40"}, {"seed", "42"}, {"stop", "xyz"}};
  r.keep_alive = std::chrono::minutes(10);
  auto reply = Client().Chat(r, nullptr, nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->done_reason, "length");
  EXPECT_EQ(reply->eval_count, 7);
  auto last = standin_.LastRequest();
  ASSERT_TRUE(last.is_object());
  EXPECT_EQ(last["path"], "/api/chat");
  const auto& body = last["body"];
  EXPECT_DOUBLE_EQ(body["options"]["temperature"].get<double>(), 0.25);
  EXPECT_EQ(body["options"]["num_predict"], 7);
  EXPECT_EQ(body["options"]["top_k"], 40);
  EXPECT_EQ(body["options"]["seed"], 42);
  EXPECT_EQ(body["options"]["stop"], "xyz");
  EXPECT_EQ(body["keep_alive"], 600);
  EXPECT_EQ(body["messages"][0]["role"], "system");
}

TEST_F(OllamaClientTest, CallbackStopClosesTheUpstreamRequest) {
  StandinProcess slow(testing::kStandinModels, /*tokens_per_second=*/20);
  ASSERT_TRUE(slow.running());
  OllamaClientOptions o;
  o.url = slow.url();
  int seen = 0;
  auto reply = OllamaClient(o).Chat(Request("stop early"), [&](std::string_view) { return ++seen < 3; },
                                    nullptr);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_TRUE(reply->cancelled);
  EXPECT_EQ(reply->done_reason, "cancelled");
  EXPECT_EQ(seen, 3);
  EXPECT_GE(slow.WaitForStat("disconnects", 1), 1);
  EXPECT_EQ(slow.Stats()["streams_completed"], 0);
}

TEST_F(OllamaClientTest, CancellationTokenClosesTheUpstreamRequest) {
  StandinProcess slow(testing::kStandinModels, /*tokens_per_second=*/20);
  ASSERT_TRUE(slow.running());
  OllamaClientOptions o;
  o.url = slow.url();
  CancellationToken cancel;
  int seen = 0;
  auto reply = OllamaClient(o).Chat(Request("cancel me"), [&](std::string_view) {
    if (++seen == 2) cancel.Cancel();  // as another thread would when the client left
    return true;
  }, &cancel);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_TRUE(reply->cancelled);
  EXPECT_GE(seen, 2);
  EXPECT_GE(slow.WaitForStat("disconnects", 1), 1);
  EXPECT_EQ(slow.Stats()["streams_completed"], 0);
}

TEST_F(OllamaClientTest, RunningModelsFollowLoadAndUnload) {
  OllamaClient client = Client();
  auto before = client.ListRunning();
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->empty());
  ASSERT_TRUE(client.Load(kModel, kForever).ok());
  auto after = client.ListRunning();
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].name, kModel);
  EXPECT_EQ((*after)[0].size_vram, 2 * kGiB);
  EXPECT_GT((*after)[0].expires_at_unix, 0);
  ASSERT_TRUE(client.Unload(kModel).ok());
  EXPECT_TRUE(WaitUntilUnloaded(client, kModel, 100, Duration(50)).ok());
}

TEST_F(OllamaClientTest, KeepAliveExpiryUnloads) {
  OllamaClient client = Client();
  ASSERT_TRUE(client.Load(kModel, Duration(200)).ok());
  EXPECT_TRUE(WaitUntilUnloaded(client, kModel, 200, Duration(50)).ok());
}

TEST_F(OllamaClientTest, TagsListInstalledModels) {
  auto tags = Client().ListTags();
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ(tags->size(), 2u);
  EXPECT_EQ((*tags)[1].name, "qwen2.5:7b");
  EXPECT_EQ((*tags)[1].size, 5 * kGiB);
  EXPECT_EQ((*tags)[1].quantization_level, "Q8_0");
  EXPECT_FALSE((*tags)[1].parameter_size.empty());
}

TEST(OllamaClientFailureTest, ConnectionRefusedIsUnavailableNamingTheUrl) {
  OllamaClientOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(testing::ClosedLoopbackPort());
  OllamaClient client(o);
  OllamaChatRequest chat;
  chat.model = kModel;
  chat.messages = {{"user", "x"}};
  for (const Status& st : {client.Version().status(), client.ListRunning().status(),
                           client.Chat(chat, nullptr, nullptr).status()}) {
    EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
    EXPECT_NE(st.message().find(o.url), std::string::npos) << st.message();
  }
}

TEST_F(OllamaClientTest, SlowAnswerIsTimeout) {
  ASSERT_TRUE(standin_.SetFault("slow", 1, 1500));
  auto reply = Client(/*request_timeout=*/Duration(300)).Chat(Request("slow"), nullptr, nullptr);
  EXPECT_EQ(reply.status().code(), ErrorCode::kTimeout) << reply.status().message();
  EXPECT_NE(reply.status().message().find(standin_.url()), std::string::npos);
}

TEST_F(OllamaClientTest, SilenceLongerThanIdleTimeoutIsTimeout) {
  ASSERT_TRUE(standin_.SetFault("slow", 1, 1500));
  auto reply = Client(std::chrono::seconds(60), /*idle_timeout=*/Duration(300))
                   .Chat(Request("slow"), nullptr, nullptr);
  EXPECT_EQ(reply.status().code(), ErrorCode::kTimeout) << reply.status().message();
  EXPECT_NE(reply.status().message().find("sent nothing"), std::string::npos) << reply.status().message();
}

TEST_F(OllamaClientTest, GarbageIsBadGateway) {
  ASSERT_TRUE(standin_.SetFault("garbage", 2));
  Status streamed = ChatStatus(true);
  EXPECT_EQ(streamed.code(), ErrorCode::kBadGateway);
  EXPECT_NE(streamed.message().find("not json"), std::string::npos) << streamed.message();
  EXPECT_EQ(ChatStatus(false).code(), ErrorCode::kBadGateway);
}

TEST_F(OllamaClientTest, HtmlIsBadGateway) {
  ASSERT_TRUE(standin_.SetFault("html", 2));
  Status streamed = ChatStatus(true);
  EXPECT_EQ(streamed.code(), ErrorCode::kBadGateway);
  EXPECT_NE(streamed.message().find("HTML"), std::string::npos) << streamed.message();
  EXPECT_EQ(ChatStatus(false).code(), ErrorCode::kBadGateway);
}

TEST_F(OllamaClientTest, TruncatedStreamIsBadGateway) {
  ASSERT_TRUE(standin_.SetFault("truncate", 2));
  EXPECT_EQ(ChatStatus(true).code(), ErrorCode::kBadGateway);
  EXPECT_EQ(ChatStatus(false).code(), ErrorCode::kBadGateway);
  EXPECT_EQ(standin_.WaitForStat("streams_cut", 1), 1);  // counted once the response ended
  // The next request is served normally.
  EXPECT_TRUE(ChatStatus(true).ok());
}

TEST_F(OllamaClientTest, OutOfMemoryIsResourceExhausted) {
  ASSERT_TRUE(standin_.SetFault("oom", 2));
  EXPECT_EQ(ChatStatus(true).code(), ErrorCode::kResourceExhausted);
  EXPECT_EQ(Client().Load(kModel, kForever).code(), ErrorCode::kResourceExhausted);
}

TEST_F(OllamaClientTest, UnknownModelIsNotFound) {
  OllamaChatRequest r = Request("x");
  r.model = "no-such-model:1b";
  EXPECT_EQ(Client().Chat(r, nullptr, nullptr).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Client().Show("no-such-model:1b").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Client().Load("no-such-model:1b", kForever).code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace harvis
