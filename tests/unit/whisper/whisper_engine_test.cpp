// whisper.cpp engine (issue 4): loading from file and RAM, corrupt files, transcription,
// parallel states, languages, unload/reload and the measured footprint. Models are small
// random-weight ones generated at run time, so transcripts are garbage: the tests check
// their shape, never their words, and never timings.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <thread>

#include "whisper_test_support.h"

namespace harvis {
namespace {

using namespace whisper_test;

TEST(WhisperEngine, LoadsFromFileAndTranscribes) {
  const std::string path = EnglishModel();
  WhisperEngine engine(WhisperConfig(path), {});
  ASSERT_TRUE(engine.Load(CpuLoad(path)).ok());
  EXPECT_FALSE(engine.multilingual());
  EXPECT_FALSE(engine.on_gpu());

  auto t = engine.Transcribe(SyntheticSpeech(2.0), Threads(2));
  ASSERT_TRUE(t.ok()) << t.status().message();
  ExpectWellFormed(*t, 2.0);
  EXPECT_EQ(t->language, "en");
}

TEST(WhisperEngine, LoadsFromRamBytesWithoutTheFile) {
  const std::string path = EnglishModel();
  WhisperOptions deterministic;
  deterministic.temperature_fallback = false;  // greedy only: same model, same text
  WhisperEngine from_disk(WhisperConfig(path), deterministic);
  ASSERT_TRUE(from_disk.Load(CpuLoad(path)).ok());
  std::optional<WeightBlob> blob = from_disk.ExportWeights();
  ASSERT_TRUE(blob.has_value());
  ASSERT_TRUE(blob->data);
  EXPECT_EQ(blob->data->size(), std::filesystem::file_size(path));
  EXPECT_EQ(blob->accounted_bytes, blob->data->size());
  EXPECT_EQ(*blob->data, ReadBytes(path));

  WhisperEngine from_ram(WhisperConfig("/nonexistent/never-read.bin"), deterministic);
  LoadRequest request;
  request.weights = &*blob;
  ASSERT_TRUE(from_ram.Load(request).ok());
  // The RAM tier's bytes are shared, not copied.
  EXPECT_EQ(from_ram.ExportWeights()->data.get(), blob->data.get());

  const auto audio = SyntheticSpeech(1.5);
  auto a = from_disk.Transcribe(audio, Threads(1));
  auto b = from_ram.Transcribe(audio, Threads(1));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->text, b->text);
  EXPECT_EQ(a->segments.size(), b->segments.size());
}

TEST(WhisperEngine, ReadWeightsReadsTheCheckedFileWithoutLoading) {
  const std::string path = EnglishModel();
  WhisperEngine engine(WhisperConfig(path), WhisperOptions{});
  auto blob = engine.ReadWeights();  // the prefetch into the RAM tier
  ASSERT_TRUE(blob.ok()) << blob.status().message();
  EXPECT_EQ(*blob->data, ReadBytes(path));
  EXPECT_EQ(blob->accounted_bytes, blob->data->size());
  EXPECT_EQ(engine.FootprintBytes(), 0u);
  LoadRequest request;
  request.weights = &*blob;
  EXPECT_TRUE(engine.Load(request).ok());

  const std::string junk = (ScratchDir() / "junk-weights.bin").string();
  std::ofstream(junk) << "not a whisper model";
  EXPECT_FALSE(WhisperEngine(WhisperConfig(junk), WhisperOptions{}).ReadWeights().ok());
}

TEST(WhisperEngine, RamBlobWithoutBytesIsRejected) {
  WhisperEngine engine(WhisperConfig(EnglishModel()), {});
  WeightBlob empty{nullptr, 1234};
  LoadRequest request;
  request.weights = &empty;
  EXPECT_EQ(engine.Load(request).code(), ErrorCode::kInvalidArgument);
}

// Loads `path` and expects `code` with the file named in the message, and no residue.
void ExpectLoadFails(const std::string& path, ErrorCode code, const std::string& fragment) {
  SCOPED_TRACE(path);
  WhisperEngine engine(WhisperConfig(path), {});
  Status st = engine.Load(CpuLoad(path));
  EXPECT_EQ(st.code(), code) << st.message();
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(fragment), std::string::npos) << st.message();
  EXPECT_EQ(engine.FootprintBytes(), 0u);
  EXPECT_FALSE(engine.ExportWeights().has_value());
  EXPECT_EQ(engine.Transcribe(SyntheticSpeech(0.5), Threads(1)).status().code(),
            ErrorCode::kUnavailable);
}

TEST(WhisperEngine, MissingFileIsAnError) {
  ExpectLoadFails((ScratchDir() / "missing.bin").string(), ErrorCode::kFailedPrecondition,
                  "cannot be opened");
}

TEST(WhisperEngine, CorruptFilesAreErrorsNotCrashes) {
  const std::vector<std::uint8_t> good = ReadBytes(EnglishModel());
  ASSERT_GT(good.size(), 1000u);

  ExpectLoadFails(WriteBytes("empty.bin", {}), ErrorCode::kInvalidArgument, "too short");

  auto wrong_magic = good;
  wrong_magic[0] ^= 0xff;
  ExpectLoadFails(WriteBytes("magic.bin", wrong_magic), ErrorCode::kInvalidArgument, "bad magic");

  auto half = good;
  half.resize(good.size() / 2);
  ExpectLoadFails(WriteBytes("half.bin", half), ErrorCode::kInvalidArgument, "truncated");

  auto one_byte_short = good;
  one_byte_short.resize(one_byte_short.size() - 1);
  ExpectLoadFails(WriteBytes("short.bin", one_byte_short), ErrorCode::kInvalidArgument,
                  "truncated");

  // A header and nothing else: whisper.cpp itself would read garbage lengths here.
  auto header_only = good;
  header_only.resize(4 + 11 * 4);
  ExpectLoadFails(WriteBytes("header.bin", header_only), ErrorCode::kInvalidArgument,
                  "mel filters");

  auto bad_state = good;
  const std::int32_t odd = 48;  // n_text_state (7th field) differs from n_audio_state
  std::memcpy(bad_state.data() + 4 + 6 * 4, &odd, sizeof odd);
  ExpectLoadFails(WriteBytes("state.bin", bad_state), ErrorCode::kInvalidArgument, "n_text_state");

  std::vector<std::uint8_t> noise(4096);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(i * 131 + 7);
  ExpectLoadFails(WriteBytes("noise.bin", noise), ErrorCode::kInvalidArgument, "bad magic");
}

TEST(WhisperEngine, TensorOfWrongShapeIsReportedByWhisperCpp) {
  // Swap the two dimensions of a tensor: same byte count, so only whisper.cpp's own shape
  // check sees it, and its error message must reach the Status.
  auto bytes = ReadBytes(EnglishModel());
  const std::string name = "encoder.positional_embedding";
  auto it = std::search(bytes.begin(), bytes.end(), name.begin(), name.end());
  ASSERT_NE(it, bytes.end());
  const size_t at = static_cast<size_t>(it - bytes.begin());
  std::int32_t ne0, ne1;
  std::memcpy(&ne0, &bytes[at - 8], 4);
  std::memcpy(&ne1, &bytes[at - 4], 4);
  std::memcpy(&bytes[at - 8], &ne1, 4);
  std::memcpy(&bytes[at - 4], &ne0, 4);
  ExpectLoadFails(WriteBytes("shape.bin", bytes), ErrorCode::kFailedPrecondition, "wrong shape");
}

TEST(WhisperEngine, ParallelStatesServeConcurrentRequests) {
  const std::string path = EnglishModel();
  WhisperEngine engine(WhisperConfig(path, /*parallel=*/2), {});
  ASSERT_TRUE(engine.Load(CpuLoad(path)).ok());
  EXPECT_EQ(engine.footprint().states, 2);

  // Three callers on two states: the third waits for a free state.
  const auto audio = SyntheticSpeech(1.0);
  std::vector<Result<Transcript>> results(3, Status(ErrorCode::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = engine.Transcribe(audio, Threads(1)); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().message();
    ExpectWellFormed(*r, 1.0);
  }
}

TEST(WhisperEngine, ParallelStatesAreMeasuredPerState) {
  const std::string path = EnglishModel();
  WhisperEngine one(WhisperConfig(path, 1), {});
  WhisperEngine two(WhisperConfig(path, 2), {});
  ASSERT_TRUE(one.Load(CpuLoad(path)).ok());
  ASSERT_TRUE(two.Load(CpuLoad(path)).ok());
  EXPECT_EQ(two.footprint().weight_buffer_bytes, one.footprint().weight_buffer_bytes);
  EXPECT_EQ(two.footprint().state_buffer_bytes, 2 * one.footprint().state_buffer_bytes);
}

TEST(WhisperEngine, LanguageSelection) {
  const std::string en_path = EnglishModel();
  WhisperEngine en(WhisperConfig(en_path), {});
  ASSERT_TRUE(en.Load(CpuLoad(en_path)).ok());
  const auto audio = SyntheticSpeech(1.0);

  auto explicit_en = en.Transcribe(audio, Threads(1, "en"));
  ASSERT_TRUE(explicit_en.ok()) << explicit_en.status().message();
  EXPECT_EQ(explicit_en->language, "en");

  auto unknown = en.Transcribe(audio, Threads(1, "xx"));
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("unknown language 'xx'"), std::string::npos);

  auto german_on_english = en.Transcribe(audio, Threads(1, "de"));
  EXPECT_EQ(german_on_english.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(german_on_english.status().message().find("English-only"), std::string::npos);
}

TEST(WhisperEngine, MultilingualExplicitAndAutoDetect) {
  const std::string path = MultilingualModel();
  WhisperEngine engine(WhisperConfig(path), {});
  ASSERT_TRUE(engine.Load(CpuLoad(path)).ok());
  EXPECT_TRUE(engine.multilingual());
  const auto audio = SyntheticSpeech(1.0);

  auto german = engine.Transcribe(audio, Threads(1, "de"));
  ASSERT_TRUE(german.ok()) << german.status().message();
  EXPECT_EQ(german->language, "de");

  auto by_name = engine.Transcribe(audio, Threads(1, "German"));
  ASSERT_TRUE(by_name.ok()) << by_name.status().message();
  EXPECT_EQ(by_name->language, "de");

  for (const std::string auto_lang : {"", "auto"}) {
    auto detected = engine.Transcribe(audio, Threads(1, auto_lang));
    ASSERT_TRUE(detected.ok()) << detected.status().message();
    EXPECT_FALSE(detected->language.empty());  // whichever language the random model picks
    EXPECT_NE(detected->language, "auto");
  }

  EXPECT_EQ(engine.Transcribe(audio, Threads(1, "klingon")).status().code(),
            ErrorCode::kInvalidArgument);
}

TEST(WhisperEngine, UnloadThenReload) {
  const std::string path = EnglishModel();
  WhisperEngine engine(WhisperConfig(path), {});
  ASSERT_TRUE(engine.Load(CpuLoad(path)).ok());
  EXPECT_GT(engine.FootprintBytes(), 0u);

  engine.Unload();
  EXPECT_EQ(engine.FootprintBytes(), 0u);
  EXPECT_FALSE(engine.ExportWeights().has_value());
  EXPECT_EQ(engine.Transcribe(SyntheticSpeech(0.5), Threads(1)).status().code(),
            ErrorCode::kUnavailable);
  engine.Unload();  // idempotent

  ASSERT_TRUE(engine.Load(CpuLoad(path)).ok());
  EXPECT_GT(engine.FootprintBytes(), 0u);
  auto t = engine.Transcribe(SyntheticSpeech(1.0), Threads(1));
  ASSERT_TRUE(t.ok()) << t.status().message();
  ExpectWellFormed(*t, 1.0);
}

TEST(WhisperEngine, FootprintIsMeasuredFromWhisperBuffers) {
  const std::string path = EnglishModel();
  WhisperEngine engine(WhisperConfig(path), {});
  EXPECT_EQ(engine.FootprintBytes(), 0u);
  const std::uint64_t file_size = std::filesystem::file_size(path);
  EXPECT_GE(engine.EstimateFootprint(), file_size);

  ASSERT_TRUE(engine.Load(CpuLoad(path)).ok());
  const WhisperFootprint fp = engine.footprint();
  EXPECT_GT(fp.weight_buffer_bytes, file_size / 2);  // f16 weights dominate the file
  EXPECT_LE(fp.weight_buffer_bytes, file_size);      // ...which also holds the vocabulary
  EXPECT_GT(fp.state_buffer_bytes, 0u);              // KV caches + compute buffers
  EXPECT_EQ(fp.states, 1);
  EXPECT_GE(engine.FootprintBytes(), fp.total());
  EXPECT_EQ(engine.host_copy_bytes(), file_size);
  std::printf("file %llu B, weights %llu B, states %llu B, RSS delta %lld B, estimate %llu B\n",
              static_cast<unsigned long long>(file_size),
              static_cast<unsigned long long>(fp.weight_buffer_bytes),
              static_cast<unsigned long long>(fp.state_buffer_bytes),
              static_cast<long long>(fp.rss_delta_bytes),
              static_cast<unsigned long long>(engine.EstimateFootprint()));
}

TEST(WhisperEngine, RealGpuWithoutGpuBackendFailsClearly) {
  const std::string path = EnglishModel();
  WhisperEngine engine(WhisperConfig(path), {});
  LoadRequest request = CpuLoad(path);
  request.device = DeviceTarget{"gpu0", DeviceKind::kGpu, 0, /*simulated=*/true};
  ASSERT_TRUE(engine.Load(request).ok());  // simulated GPU: runs on the CPU
  EXPECT_FALSE(engine.on_gpu());
  engine.Unload();

  request.device.simulated = false;
  Status st = engine.Load(request);
  if (st.ok()) GTEST_SKIP() << "a GPU is visible to whisper.cpp: nothing to check here";
  EXPECT_EQ(st.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("gpu0"), std::string::npos) << st.message();
}

TEST(WhisperEngine, BadAudioIsRejected) {
  const std::string path = EnglishModel();
  WhisperEngine engine(WhisperConfig(path), {});
  ASSERT_TRUE(engine.Load(CpuLoad(path)).ok());
  EXPECT_EQ(engine.Transcribe({}, Threads(1)).status().code(), ErrorCode::kUnprocessable);
  auto nan = SyntheticSpeech(0.5);
  nan[100] = std::nanf("");
  EXPECT_EQ(engine.Transcribe(nan, Threads(1)).status().code(), ErrorCode::kUnprocessable);

  // Shorter than whisper's 100 ms minimum: an empty transcript, not an error.
  auto tiny = engine.Transcribe(SyntheticSpeech(0.05), Threads(1));
  ASSERT_TRUE(tiny.ok()) << tiny.status().message();
  ExpectWellFormed(*tiny, 0.05);
}

TEST(WhisperEngine, WordTimestampsGiveSegmentsWithinTheAudio) {
  const std::string path = EnglishModel();
  ModelConfig model = WhisperConfig(path);
  model.options["word_timestamps"] = "true";
  auto options = WhisperOptions::Parse(model);
  ASSERT_TRUE(options.ok());
  WhisperEngine engine(model, *options);
  ASSERT_TRUE(engine.Load(CpuLoad(path)).ok());
  auto t = engine.Transcribe(SyntheticSpeech(2.0), Threads(2));
  ASSERT_TRUE(t.ok()) << t.status().message();
  ExpectWellFormed(*t, 2.0);
}

TEST(WhisperEngine, RegistryCreatesAndValidates) {
  EngineRegistry registry;
  RegisterWhisperEngine(registry);
  ASSERT_TRUE(registry.Has("whisper"));

  auto engine = registry.Create(WhisperConfig(EnglishModel()));
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  EXPECT_EQ((*engine)->engine_name(), "whisper");
  EXPECT_EQ((*engine)->kind(), ModelKind::kStt);
  EXPECT_TRUE((*engine)->CanLoadFromMemory());

  ModelConfig bad_option = WhisperConfig(EnglishModel());
  bad_option.options["flash_attn"] = "maybe";
  EXPECT_EQ(registry.Create(bad_option).status().code(), ErrorCode::kInvalidArgument);

  ModelConfig tts = WhisperConfig(EnglishModel());
  tts.kind = ModelKind::kTts;
  EXPECT_EQ(registry.Create(tts).status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace harvis
