// Ollama as a memory tenant (OllamaTenant) against the Ollama stand-in.
#include "engines/llm/ollama/ollama_tenant.h"

#include <gtest/gtest.h>

#include "engines/llm/ollama/ollama_engine.h"
#include "standin_process.h"

namespace harvis {
namespace {

using testing::StandinProcess;

std::shared_ptr<const OllamaClient> ClientFor(const std::string& url) {
  OllamaClientOptions o;
  o.url = url;
  return std::make_shared<const OllamaClient>(o);
}

class OllamaTenantTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(standin_.running()) << "the stand-in did not start"; }

  StandinProcess standin_;
  OllamaTenant tenant_{ClientFor(standin_.url())};
};

TEST_F(OllamaTenantTest, RefreshCachesWhatIsResident) {
  EXPECT_FALSE(tenant_.Last().valid);
  auto empty = tenant_.Refresh();
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE(tenant_.Preload("qwen2.5:7b", std::chrono::minutes(5)).ok());
  TenantSnapshot last = tenant_.Last();
  ASSERT_TRUE(last.valid);
  ASSERT_EQ(last.models.size(), 1u);
  EXPECT_EQ(last.models[0].name, "qwen2.5:7b");
  EXPECT_EQ(last.models[0].bytes_vram, 5 * kGiB);
  EXPECT_EQ(last.models[0].bytes_total, 5 * kGiB);
  EXPECT_GT(last.models[0].expires_at_unix, 0);
}

TEST_F(OllamaTenantTest, EvictIsConfirmedOnPs) {
  ASSERT_TRUE(tenant_.Preload("llama3.2:3b", kForever).ok());
  ASSERT_TRUE(tenant_.Preload("qwen2.5:7b", kForever).ok());
  ASSERT_EQ(tenant_.Last().models.size(), 2u);
  ASSERT_TRUE(tenant_.Evict("llama3.2:3b").ok());
  auto now = tenant_.Refresh();
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->size(), 1u);
  EXPECT_EQ((*now)[0].name, "qwen2.5:7b");
  EXPECT_EQ(tenant_.Last().models.size(), 1u);
  EXPECT_TRUE(tenant_.Evict("llama3.2:3b").ok());  // not loaded: nothing to do
  EXPECT_TRUE(tenant_.Evict("not-installed:1b").ok());
}

TEST_F(OllamaTenantTest, PredictBytes) {
  auto predicted = tenant_.PredictBytes("llama3.2:3b");
  ASSERT_TRUE(predicted.ok()) << predicted.status().message();
  // Not loaded: weights from /api/show, plus KV cache and overhead.
  EXPECT_GT(*predicted, 2 * kGiB);
  EXPECT_LT(*predicted, 4 * kGiB);
  ASSERT_TRUE(tenant_.Preload("llama3.2:3b", kForever).ok());
  // Loaded: what /api/ps says.
  EXPECT_EQ(*tenant_.PredictBytes("llama3.2:3b"), 2 * kGiB);
  EXPECT_EQ(tenant_.PredictBytes("missing:1b").status().code(), ErrorCode::kNotFound);
}

TEST_F(OllamaTenantTest, DiscoveredModelsBecomeLlmModels) {
  auto names = tenant_.DiscoverModels();
  ASSERT_TRUE(names.ok()) << names.status().message();
  EXPECT_EQ(*names, (std::vector<std::string>{"llama3.2:3b", "qwen2.5:7b"}));
  EngineRegistry registry;
  OllamaConfig ollama;
  ollama.url = standin_.url();
  RegisterOllamaEngine(registry, ollama);
  for (const auto& name : *names) {
    ModelConfig m = DiscoveredOllamaModel(name);
    EXPECT_EQ(m.kind, ModelKind::kLlm);
    EXPECT_EQ(m.engine, "ollama");
    auto engine = registry.Create(m);
    ASSERT_TRUE(engine.ok()) << engine.status().message();
    auto reply = (*engine)->Chat({{"user", "hi"}}, ChatOptions{}, nullptr, nullptr);
    EXPECT_TRUE(reply.ok()) << reply.status().message();
  }
}

TEST(OllamaTenantVramTest, FullBudgetEvictsTheLeastRecentlyUsedIdleModel) {
  StandinProcess standin("a:1b=2GiB,b:1b=2GiB,c:1b=3GiB", 200, "5GiB");
  ASSERT_TRUE(standin.running());
  OllamaTenant tenant(ClientFor(standin.url()));
  ASSERT_TRUE(tenant.Preload("a:1b", kForever).ok());
  ASSERT_TRUE(tenant.Preload("b:1b", kForever).ok());
  ASSERT_TRUE(tenant.Preload("a:1b", kForever).ok());  // a is now the most recently used
  ASSERT_TRUE(tenant.Preload("c:1b", kForever).ok());
  auto models = tenant.Refresh();
  ASSERT_TRUE(models.ok());
  std::vector<std::string> names;
  std::uint64_t vram = 0;
  for (const auto& m : *models) {
    names.push_back(m.name);
    vram += m.bytes_vram;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a:1b", "c:1b"}));
  EXPECT_LE(vram, 5 * kGiB);
  EXPECT_EQ(standin.Stats()["evictions"], 1);
}

TEST(OllamaTenantDownTest, UnreachableOllamaIsUnavailable) {
  const std::string url = "http://127.0.0.1:" + std::to_string(testing::ClosedLoopbackPort());
  OllamaTenant tenant(ClientFor(url));
  for (const Status& st : {tenant.Refresh().status(), tenant.Evict("x"),
                           tenant.PredictBytes("x").status(), tenant.DiscoverModels().status()}) {
    EXPECT_EQ(st.code(), ErrorCode::kUnavailable);
    EXPECT_NE(st.message().find(url), std::string::npos);
  }
  EXPECT_FALSE(tenant.Last().valid);
}

}  // namespace
}  // namespace harvis
