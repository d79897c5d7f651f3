// Black-box test: the official OpenAI Node client's Realtime WebSocket class
// (`openai/beta/realtime/ws` with the `ws` package, pinned by
// tests/openai_client/package-lock.json and installed by scripts/setup.sh into
// third_party/node/) against GET /v1/realtime of the real harvis binary: a spoken
// question (tests/fixtures/audio/speech_weather.wav) streamed at real time, turn ended by
// server VAD, answered with transcript and audio. The checks themselves are in
// tests/openai_client/realtime_test.mjs. Needs HARVIS_SOURCE_DIR and OLLAMA_STANDIN.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "harvis_process.h"
#include "sse_client.h"

namespace harvis::testing {
namespace {

namespace fs = std::filesystem;

TEST(RealtimeClientTest, OfficialNodeClientHoldsAVoiceConversation) {
#if !defined(OLLAMA_STANDIN) || !defined(HARVIS_SOURCE_DIR)
  GTEST_SKIP() << "OLLAMA_STANDIN or HARVIS_SOURCE_DIR is not defined";
#else
  const fs::path source = HARVIS_SOURCE_DIR;
  const fs::path script = source / "tests" / "openai_client" / "realtime_test.mjs";
  if (std::string why = NodeSkipReason(source, {"openai", "ws"}); !why.empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(fs::exists(script)) << script;

  StandinProcess ollama("llama3.2:3b=2GiB", 1000);
  ASSERT_TRUE(ollama.running());
  // The built-in models: pocketsphinx (STT), espeak (TTS), llama3.2:3b via the stand-in.
  HarvisProcess harvis(HarvisProcess::Options{"ollama: { url: \"" + ollama.url() + "\" }\n", {}, {}});
  ASSERT_TRUE(harvis.running()) << harvis.Log();

  const std::string url = "http://127.0.0.1:" + std::to_string(harvis.port()) + "/v1";
  std::string output;
  const int rc = RunCommand("timeout 110 node " + ShellQuote(script.string()) + " " + ShellQuote(url) + " llama3.2:3b", &output);
  EXPECT_EQ(rc, 0) << "node " << script.string() << " failed (exit " << rc << "):\n"
                   << output << "\n--- harvis log ---\n" << harvis.Log();
  EXPECT_NE(output.find("all realtime checks passed"), std::string::npos) << output;
  if (rc == 0) std::cout << output;
#endif
}

}  // namespace
}  // namespace harvis::testing
