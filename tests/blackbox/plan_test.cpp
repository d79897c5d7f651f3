// Black-box tests of `harvis plan` on the reference deployment (one 24 GiB GPU in a
// 12-core / 32 GiB pod) and on a two-GPU layout.
#include <gtest/gtest.h>

#include <fstream>

#include "harvis_process.h"

namespace harvis::testing {
namespace {

const char* kModels = R"(
models:
  - { name: whisper-base, kind: stt, engine: simulated, memory: 600MiB, device: gpu, priority: realtime, group: audio }
  - { name: whisper-large, kind: stt, engine: simulated, memory: 3GiB, device: gpu, group: audio }
  - { name: "llama3.2:3b", kind: llm, engine: simulated, memory: 4GiB, device: gpu }
  - { name: "mistral:7b", kind: llm, engine: simulated, memory: 6GiB, device: gpu }
  - { name: "gemma2:9b", kind: llm, engine: simulated, memory: 8GiB, device: gpu }
  - { name: "qwen2.5:14b", kind: llm, engine: simulated, memory: 11GiB, device: gpu }
  - { name: espeak, kind: tts, engine: simulated, memory: 50MiB, device: cpu }
)";

class PlanCommand : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir("harvis-plan"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  int Plan(const std::string& yaml, const std::string& args, std::string* out) {
    std::ofstream(dir_ / "harvis.yaml") << yaml;
    return RunCommand("HARVIS_STATE_DIR=" + (dir_ / "state").string() + " " + HARVIS_BINARY + " plan --config " +
                          (dir_ / "harvis.yaml").string() + " " + args,
                      out);
  }
  std::filesystem::path dir_;
};

TEST_F(PlanCommand, ReferenceDeployment) {
  std::string out;
  ASSERT_EQ(Plan(kModels, "--gpu 24GiB --memory 32GiB --cpus 12", &out), 0) << out;
  EXPECT_NE(out.find("gpu0 (gpu, budget 24.0GiB)"), std::string::npos) << out;
  // 0.6 + 4 + 6 + 8 GiB stay together; the 11 GiB model and the other whisper swap in.
  EXPECT_NE(out.find("headroom with the resident set: 5.4GiB of 24.0GiB"), std::string::npos) << out;
  EXPECT_NE(out.find("load qwen2.5:14b"), std::string::npos) << out;
  EXPECT_NE(out.find("load whisper-large          on gpu0      3.0GiB  ~1.7s  evicts whisper-base"), std::string::npos)
      << out;
  EXPECT_NE(out.find("nvidia.com/gpu 1"), std::string::npos) << out;
  EXPECT_NE(out.find("limits:   cpu"), std::string::npos) << out;
}

TEST_F(PlanCommand, TwoGpuLayoutSpreadsTheModels) {
  std::string out;
  ASSERT_EQ(Plan(kModels, "--gpu 24GiB --gpu 16GiB --memory 32GiB --cpus 12", &out), 0) << out;
  EXPECT_NE(out.find("gpu1 (gpu, budget 16.0GiB)"), std::string::npos) << out;
  // Every LLM now stays resident: none of them appears in the load sequence.
  EXPECT_EQ(out.find("load qwen2.5:14b"), std::string::npos) << out;
  EXPECT_EQ(out.find("load gemma2:9b"), std::string::npos) << out;
  EXPECT_NE(out.find("nvidia.com/gpu 2"), std::string::npos) << out;
}

TEST_F(PlanCommand, AModelThatCanNeverFitFails) {
  std::string out;
  std::string yaml = std::string(kModels) + "  - { name: huge, kind: llm, engine: simulated, memory: 30GiB, device: gpu }\n";
  EXPECT_EQ(Plan(yaml, "--gpu 24GiB", &out), 1) << out;
  EXPECT_NE(out.find("model 'huge' needs 30.0GiB"), std::string::npos) << out;
  EXPECT_NE(out.find("can never be loaded"), std::string::npos) << out;
}

TEST_F(PlanCommand, BadHardwareArgumentsAreRefused) {
  std::string out;
  EXPECT_EQ(Plan(kModels, "--gpu lots", &out), 2) << out;
  EXPECT_NE(out.find("--gpu: invalid size 'lots'"), std::string::npos) << out;
}

}  // namespace
}  // namespace harvis::testing
