// Black-box test: the official OpenAI Node client (the `openai` npm package, pinned by
// tests/openai_client/package-lock.json and installed by scripts/setup.sh into
// third_party/node/) works unchanged against Harvis with `baseURL` pointed at it, on
// every OpenAI route (SPEC §5). The real harvis binary serves its built-in CPU engines
// (pocketsphinx, espeak, flite) and llama3.2:3b from the Ollama stand-in; the checks
// themselves are in tests/openai_client/openai_client_test.mjs.
// Needs HARVIS_SOURCE_DIR and OLLAMA_STANDIN among the compile definitions.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "harvis_process.h"
#include "sse_client.h"

namespace harvis::testing {
namespace {

namespace fs = std::filesystem;

TEST(OpenAiClientTest, OfficialNodeClientWorksUnchangedOnEveryOpenAiRoute) {
#if !defined(OLLAMA_STANDIN) || !defined(HARVIS_SOURCE_DIR)
  GTEST_SKIP() << "OLLAMA_STANDIN or HARVIS_SOURCE_DIR is not defined";
#else
  const fs::path source = HARVIS_SOURCE_DIR;
  const fs::path script = source / "tests" / "openai_client" / "openai_client_test.mjs";
  if (std::string why = NodeSkipReason(source, {"openai"}); !why.empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(fs::exists(script)) << script;

  StandinProcess ollama("llama3.2:3b=2GiB", 1000);
  ASSERT_TRUE(ollama.running());
  // No `models`: the built-in ones (pocketsphinx, espeak, flite, llama3.2:3b via Ollama).
  HarvisProcess harvis(HarvisProcess::Options{"ollama: { url: \"" + ollama.url() + "\" }\n", {}, {}});
  ASSERT_TRUE(harvis.running()) << harvis.Log();

  const std::string url = "http://127.0.0.1:" + std::to_string(harvis.port()) + "/v1";
  std::string output;
  const int rc = RunCommand("HARVIS_URL=" + ShellQuote(url) + " timeout 110 node " + ShellQuote(script.string()),
                            &output);
  EXPECT_EQ(rc, 0) << "node " << script.string() << " failed (exit " << rc << "):\n"
                   << output << "\n--- harvis log ---\n" << harvis.Log();
  EXPECT_NE(output.find("checks passed"), std::string::npos) << output;
  if (rc == 0) std::cout << output;
#endif
}

}  // namespace
}  // namespace harvis::testing
