// Lease::OpenTranscription: a streamed utterance holds one of the model's parallel slots
// for its whole life and takes the device's compute for each piece of audio.
#include <gtest/gtest.h>

#include "scheduler_test_util.h"

namespace harvis {
namespace {

using testing::Harness;
using testing::Host;
using testing::SimModel;

// Counts the samples fed; its transcript says how many there were.
class CountingStream : public TranscriptionStream {
 public:
  Status Feed(const std::vector<float>& pcm, int threads) override {
    samples_ += pcm.size();
    threads_ = threads;
    return Status::Ok();
  }
  std::string Partial() override { return std::to_string(samples_); }
  Result<Transcript> Finish() override {
    Transcript t;
    t.text = std::to_string(samples_) + " samples on " + std::to_string(threads_) + " threads";
    return t;
  }

 private:
  size_t samples_ = 0;
  int threads_ = 0;
};

class StreamingEngine : public Engine {
 public:
  std::string_view engine_name() const override { return "streaming"; }
  ModelKind kind() const override { return ModelKind::kStt; }
  bool UsesGpu() const override { return false; }
  Status Load(const LoadRequest&) override { return Status::Ok(); }
  std::uint64_t FootprintBytes() const override { return kMiB; }
  void Unload() override {}
  Result<std::unique_ptr<TranscriptionStream>> OpenTranscription(const TranscribeOptions&) override {
    return std::unique_ptr<TranscriptionStream>(new CountingStream);
  }
};

struct StreamingHarness : Harness {
  Status Build() {
    engines.Register("streaming", [](const ModelConfig&) -> Result<std::unique_ptr<Engine>> {
      return std::unique_ptr<Engine>(new StreamingEngine);
    });
    ModelConfig streaming = SimModel("streaming", kMiB, ModelKind::kStt);
    streaming.engine = "streaming";
    streaming.options["threads"] = "2";
    SchedulerOptions options;
    options.cpu_cores = 4;
    options.queue_timeout = std::chrono::milliseconds(50);
    return Harness::Build({streaming, SimModel("plain", kMiB, ModelKind::kStt)}, {Host(kGiB)}, options);
  }
};

TEST(LeasedTranscriptionTest, FeedsAndFinishesWithTheModelsThreads) {
  StreamingHarness h;
  ASSERT_TRUE(h.Build().ok());
  auto lease = h.scheduler->Acquire("streaming");
  ASSERT_TRUE(lease.ok());
  auto stream = lease->OpenTranscription();
  ASSERT_TRUE(stream.ok()) << stream.status().message();
  ASSERT_TRUE((*stream)->Feed(std::vector<float>(320)).ok());
  ASSERT_TRUE((*stream)->Feed(std::vector<float>(160)).ok());
  EXPECT_EQ((*stream)->Partial(), "480");
  auto transcript = (*stream)->Finish();
  ASSERT_TRUE(transcript.ok());
  EXPECT_EQ(transcript->text, "480 samples on 2 threads");  // the CPU budget's grant
}

TEST(LeasedTranscriptionTest, HoldsItsParallelSlotUntilDestroyed) {
  StreamingHarness h;
  ASSERT_TRUE(h.Build().ok());
  auto lease = h.scheduler->Acquire("streaming");
  ASSERT_TRUE(lease.ok());
  {
    auto first = lease->OpenTranscription();
    ASSERT_TRUE(first.ok());
    // parallel 1: a second stream is refused at once rather than waiting while the user speaks
    auto second = lease->OpenTranscription();
    EXPECT_EQ(second.status().code(), ErrorCode::kResourceExhausted);
    EXPECT_EQ(lease->Transcribe(std::vector<float>(16)).status().code(), ErrorCode::kResourceExhausted);
  }
  EXPECT_TRUE(lease->OpenTranscription().ok());
  // The slot is free again: the call reaches the engine (which only streams).
  EXPECT_EQ(lease->Transcribe(std::vector<float>(16)).status().code(), ErrorCode::kInvalidArgument);
}

TEST(LeasedTranscriptionTest, EnginesThatCannotStreamSaySo) {
  StreamingHarness h;
  ASSERT_TRUE(h.Build().ok());
  auto lease = h.scheduler->Acquire("plain");  // the simulated engine
  ASSERT_TRUE(lease.ok());
  auto stream = lease->OpenTranscription();
  EXPECT_EQ(stream.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(stream.status().message().find("streaming transcription"), std::string::npos);
  EXPECT_EQ(Lease().OpenTranscription().status().code(), ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace harvis
