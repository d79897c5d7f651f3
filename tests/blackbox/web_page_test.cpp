// Black-box test of the built-in web page at /: served without a key, and used for a
// whole voice turn in Debian's headless Chromium with a fake microphone fed from
// tests/fixtures/audio/speech_weather.wav (the checks are in
// tests/openai_client/browser_page_test.mjs). The real harvis binary serves its built-in
// CPU engines and llama3.2:3b from the Ollama stand-in.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "harvis_process.h"
#include "sse_client.h"

namespace harvis::testing {
namespace {

namespace fs = std::filesystem;

TEST(WebPageTest, PageIsServedWithoutAKey) {
  HarvisProcess harvis(HarvisProcess::Options{"server: { api_keys: [\"k1\"] }\n", {}, {}});
  ASSERT_TRUE(harvis.running()) << harvis.Log();
  auto res = harvis.Client().Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(res->body.find("/v1/realtime"), std::string::npos);
  EXPECT_EQ(harvis.Client().Get("/api/ps")->status, 401);  // the API behind it still needs the key
}

TEST(WebPageTest, HeadlessChromiumHoldsAVoiceTurnThroughThePage) {
#if !defined(OLLAMA_STANDIN) || !defined(HARVIS_SOURCE_DIR)
  GTEST_SKIP() << "OLLAMA_STANDIN or HARVIS_SOURCE_DIR is not defined";
#else
  const fs::path source = HARVIS_SOURCE_DIR;
  const fs::path script = source / "tests" / "openai_client" / "browser_page_test.mjs";
  std::string chromium;
  if (RunCommand("command -v chromium", &chromium) != 0 || chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
  }
  if (std::string why = NodeSkipReason(source, {"ws"}); !why.empty()) GTEST_SKIP() << why;
  chromium.erase(chromium.find_last_not_of("\n") + 1);

  StandinProcess ollama("llama3.2:3b=2GiB", 1000);
  ASSERT_TRUE(ollama.running());
  HarvisProcess harvis(HarvisProcess::Options{"ollama: { url: \"" + ollama.url() + "\" }\n", {}, {}});
  ASSERT_TRUE(harvis.running()) << harvis.Log();

  const std::string url = "http://127.0.0.1:" + std::to_string(harvis.port());
  const fs::path wav = source / "tests" / "fixtures" / "audio" / "speech_weather.wav";
  std::string output;
  const int rc = RunCommand("HARVIS_URL=" + ShellQuote(url) + " CHROMIUM=" + ShellQuote(chromium) +
                                " SPEECH_WAV=" + ShellQuote(wav.string()) + " timeout 110 node " +
                                ShellQuote(script.string()),
                            &output);
  EXPECT_EQ(rc, 0) << output << "\n--- harvis log ---\n" << harvis.Log();
  EXPECT_NE(output.find("all browser checks passed"), std::string::npos) << output;
  if (rc == 0) std::cout << output;
#endif
}

}  // namespace
}  // namespace harvis::testing
