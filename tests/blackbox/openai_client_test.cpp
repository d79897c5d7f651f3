// Black-box test: the official OpenAI Node client (the `openai` npm package, pinned by
// tests/openai_client/package-lock.json and installed by scripts/setup.sh into
// third_party/node/) works unchanged against Harvis with `baseURL` pointed at it, on
// every OpenAI route (SPEC §5). The real harvis binary serves its built-in CPU engines
// (pocketsphinx, espeak, flite) and llama3.2:3b from the Ollama stand-in; the checks
// themselves are in tests/openai_client/openai_client_test.mjs.
// Needs HARVIS_SOURCE_DIR and OLLAMA_STANDIN among the compile definitions.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "harvis_process.h"

namespace harvis::testing {
namespace {

namespace fs = std::filesystem;

#ifdef OLLAMA_STANDIN
// The Ollama stand-in as a child process on a free loopback port.
class OllamaStandin {
 public:
  explicit OllamaStandin(const std::string& models) {
    int fds[2];
    if (pipe(fds) != 0) return;
    std::vector<std::string> args = {OLLAMA_STANDIN, "--port", "0", "--models", models,
                                     "--tokens-per-second", "1000"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    std::string line;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    close(fds[0]);
    const std::string prefix = "listening on 127.0.0.1:";
    if (line.rfind(prefix, 0) == 0) port_ = std::atoi(line.c_str() + prefix.size());
  }
  ~OllamaStandin() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool running() const { return pid_ > 0 && port_ > 0; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};
#endif

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(OpenAiClientTest, OfficialNodeClientWorksUnchangedOnEveryOpenAiRoute) {
#if !defined(OLLAMA_STANDIN) || !defined(HARVIS_SOURCE_DIR)
  GTEST_SKIP() << "OLLAMA_STANDIN or HARVIS_SOURCE_DIR is not defined";
#else
  const fs::path source = HARVIS_SOURCE_DIR;
  const fs::path script = source / "tests" / "openai_client" / "openai_client_test.mjs";
  const fs::path package = source / "third_party" / "node" / "node_modules" / "openai" / "package.json";
  std::string node;
  if (RunCommand("command -v node", &node) != 0 || node.empty()) {
    GTEST_SKIP() << "node is not installed (scripts/setup.sh installs nodejs)";
  }
  if (!fs::exists(package)) {
    GTEST_SKIP() << package.string() << " is missing: run scripts/setup.sh to install the openai npm package";
  }
  ASSERT_TRUE(fs::exists(script)) << script;

  OllamaStandin ollama("llama3.2:3b=2GiB");
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
