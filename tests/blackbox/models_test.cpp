// Black-box tests of `harvis models pull` and `harvis models list` against a loopback
// file server: progress, checksum, resume after a cut, and a closed port.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "harvis_process.h"

namespace harvis::testing {
namespace {

namespace fs = std::filesystem;

class ModelServer {
 public:
  explicit ModelServer(std::string content) : content_(std::move(content)) {
    // The whisper layout, and a mirror of an LLM's file name (--source for LLMs).
    server_.Get(R"(/(resolve/main/ggml-tiny\.bin|qwen2\.5-0\.5b-instruct-q4_k_m\.gguf))",
                [this](const httplib::Request& req, httplib::Response& res) {
      if (req.has_header("Range")) {
        std::lock_guard<std::mutex> lock(mu_);
        last_range_ = req.get_header_value("Range");
      }
      size_t cut = cut_after_.exchange(0);
      if (cut == 0) {
        res.set_content(content_, "application/octet-stream");  // httplib answers Range requests itself
        return;
      }
      // Sends `cut` bytes of a full-length response, then drops the connection.
      res.set_content_provider(content_.size(), "application/octet-stream",
                               [this, cut](size_t offset, size_t, httplib::DataSink& sink) {
                                 if (offset >= cut) return false;
                                 sink.write(content_.data() + offset, std::min<size_t>(64 * 1024, cut - offset));
                                 return true;
                               });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~ModelServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void CutNextResponseAfter(size_t bytes) { cut_after_ = bytes; }
  std::string last_range() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_range_;
  }

 private:
  std::string content_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<size_t> cut_after_{0};
  mutable std::mutex mu_;  // guards last_range_, written by the server thread
  std::string last_range_;
};

// A loopback port that was free a moment ago and that nothing listens on.
int UnusedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string RandomBytes(size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string Sha1(const fs::path& file) {
  std::string out;
  RunCommand("sha1sum " + file.string(), &out);
  return out.substr(0, 40);
}

class ModelsCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("harvis-models");
    std::ofstream(dir_ / "source.bin", std::ios::binary) << content_;
    sha1_ = Sha1(dir_ / "source.bin");
  }
  void TearDown() override { fs::remove_all(dir_); }

  int Harvis(const std::string& args, std::string* output) {
    return RunCommand("HARVIS_MODELS_DIR=" + (dir_ / "models").string() + " HARVIS_CONFIG= " +
                          std::string(HARVIS_BINARY) + " " + args,
                      output);
  }

  const std::string content_ = RandomBytes(3 * 1024 * 1024 + 123);
  fs::path dir_;
  std::string sha1_;
};

TEST_F(ModelsCommand, PullShowsProgressVerifiesAndInstalls) {
  ModelServer server(content_);
  std::string out;
  ASSERT_EQ(Harvis("models pull tiny --source " + server.url() + " --sha1 " + sha1_, &out), 0) << out;
  EXPECT_NE(out.find("100%"), std::string::npos) << out;
  EXPECT_NE(out.find("sha1 verified"), std::string::npos) << out;
  EXPECT_EQ(Sha1(dir_ / "models" / "ggml-tiny.bin"), sha1_);
  EXPECT_FALSE(fs::exists(dir_ / "models" / "ggml-tiny.bin.partial"));
  std::string list;
  ASSERT_EQ(Harvis("models list", &list), 0) << list;
  EXPECT_NE(list.find("downloaded"), std::string::npos) << list;
}

TEST_F(ModelsCommand, PullResumesAfterACutConnection) {
  ModelServer server(content_);
  server.CutNextResponseAfter(1024 * 1024);
  std::string first;
  EXPECT_NE(Harvis("models pull tiny --source " + server.url() + " --sha1 " + sha1_, &first), 0) << first;
  const fs::path partial = dir_ / "models" / "ggml-tiny.bin.partial";
  ASSERT_TRUE(fs::exists(partial)) << first;
  const auto kept = fs::file_size(partial);
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, content_.size());
  std::string second;
  ASSERT_EQ(Harvis("models pull tiny --source " + server.url() + " --sha1 " + sha1_, &second), 0) << second;
  EXPECT_EQ(server.last_range(), "bytes=" + std::to_string(kept) + "-");
  EXPECT_EQ(Sha1(dir_ / "models" / "ggml-tiny.bin"), sha1_);
}

TEST_F(ModelsCommand, ChecksumMismatchInstallsNothing) {
  ModelServer server(content_);
  std::string out;
  EXPECT_EQ(Harvis("models pull tiny --source " + server.url() + " --sha1 " + std::string(40, '0'), &out), 1);
  EXPECT_NE(out.find("checksum mismatch"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_ / "models" / "ggml-tiny.bin"));
  EXPECT_FALSE(fs::exists(dir_ / "models" / "ggml-tiny.bin.partial"));
}

TEST_F(ModelsCommand, PullsAnLlmGgufVerifiedBySha256UnderItsCatalogName) {
  ModelServer server(content_);
  std::string sha256;
  RunCommand("sha256sum " + (dir_ / "source.bin").string(), &sha256);
  sha256 = sha256.substr(0, 64);
  std::string out;
  EXPECT_EQ(Harvis("models pull qwen2.5-0.5b-instruct --source " + server.url() + " --sha256 " + std::string(64, '0'),
                   &out), 1);
  EXPECT_NE(out.find("expected sha256"), std::string::npos) << out;
  ASSERT_EQ(Harvis("models pull qwen2.5-0.5b-instruct --source " + server.url() + " --sha256 " + sha256, &out), 0)
      << out;
  EXPECT_NE(out.find("sha256 verified"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(dir_ / "models" / "qwen2.5-0.5b-instruct.gguf"));
  std::string list;
  ASSERT_EQ(Harvis("models list", &list), 0) << list;
  EXPECT_NE(list.find("qwen2.5-0.5b-instruct"), std::string::npos) << list;
  EXPECT_NE(list.find("llm"), std::string::npos) << list;
}

TEST_F(ModelsCommand, ClosedPortFailsQuicklyWithAClearMessage) {
  const int port = UnusedLoopbackPort();
  std::string out;
  EXPECT_EQ(Harvis("models pull tiny --source http://127.0.0.1:" + std::to_string(port), &out), 1);
  EXPECT_NE(out.find("cannot reach http://127.0.0.1:" + std::to_string(port)), std::string::npos) << out;
}

TEST_F(ModelsCommand, UnknownModelIsRefused) {
  std::string out;
  EXPECT_EQ(Harvis("models pull gpt-17", &out), 2);
  EXPECT_NE(out.find("unknown model 'gpt-17'"), std::string::npos) << out;
}

}  // namespace
}  // namespace harvis::testing
