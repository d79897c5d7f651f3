#include "bench_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace harvis::bench {
namespace {

int StatusCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ChildProcess::ChildProcess(Options options) : options_(std::move(options)) {
  if (options_.args.empty()) throw std::invalid_argument("ChildProcess: no executable");
  // Prepare everything that allocates before fork().
  std::vector<char*> argv;
  for (auto& a : options_.args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string log = options_.log.empty() ? "/dev/null" : options_.log.string();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) _exit(126);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    const int null_in = open("/dev/null", O_RDONLY);
    if (null_in >= 0) dup2(null_in, 0);
    signal(SIGPIPE, SIG_DFL);
    for (const auto& k : options_.unset_env) unsetenv(k.c_str());
    for (const auto& [k, v] : options_.env) setenv(k.c_str(), v.c_str(), 1);
    if (!options_.working_dir.empty() && chdir(options_.working_dir.c_str()) != 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && exit_status_ < 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ChildProcess::Alive() {
  if (pid_ <= 0 || exit_status_ >= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_status_ = StatusCode(status);
    return false;
  }
  return true;
}

int ChildProcess::WaitForPort(std::chrono::milliseconds timeout, const std::string& pattern) {
  const std::regex re(pattern);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = Log();
    std::smatch m;
    if (std::regex_search(text, m, re) && m.size() > 1) {
      port_ = std::stoi(m[1]);
      return port_;
    }
    if (!Alive()) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

std::string ChildProcess::Log() const { return options_.log.empty() ? "" : ReadFile(options_.log); }

int ChildProcess::Stop(int sig, std::chrono::milliseconds timeout) {
  if (!Alive()) return exit_status_;
  kill(pid_, sig);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Alive()) return exit_status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_status_ = StatusCode(status);
  return exit_status_;
}

bool BaselineServerBuilt(const std::string& path) {
  if (std::filesystem::exists(path)) return true;
  std::fprintf(stderr, "%s is not built: run `cmake --build --preset release --target deps_servers` first\n",
               path.c_str());
  return false;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(values.size() - 1, lo + 1);
  return values[lo] + (values[hi] - values[lo]) * (rank - static_cast<double>(lo));
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

MultipartBody BuildMultipart(const std::vector<FormPart>& parts) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::string boundary = "----harvis-bench-" + std::to_string(rng());
  MultipartBody out;
  out.content_type = "multipart/form-data; boundary=" + boundary;
  for (const auto& p : parts) {
    out.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) out.body += "; filename=\"" + p.filename + "\"";
    out.body += "\r\n";
    if (!p.content_type.empty()) out.body += "Content-Type: " + p.content_type + "\r\n";
    out.body += "\r\n" + p.content + "\r\n";
  }
  out.body += "--" + boundary + "--\r\n";
  return out;
}

bool SseParser::Feed(std::string_view chunk) {
  buffer_.append(chunk);
  size_t start = 0;
  bool ok = true;
  for (size_t nl; ok && (nl = buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(buffer_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ok = Line(line);
  }
  buffer_.erase(0, start);
  return ok;
}

bool SseParser::Line(std::string_view line) {
  if (line.empty()) {  // end of an event
    if (!has_data_ && event_.empty()) return true;
    const std::string name = event_.empty() ? "message" : event_;
    const std::string data = std::move(data_);
    event_.clear();
    data_.clear();
    has_data_ = false;
    return on_event_(name, data);
  }
  if (line.front() == ':') return true;  // a comment
  const size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "event") {
    event_ = value;
  } else if (field == "data") {
    if (has_data_) data_ += '\n';
    data_ += value;
    has_data_ = true;
  }
  return true;
}

std::filesystem::path MakeTempDir(const std::string& prefix) {
  std::string templ = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  return buf.data();
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

long RssKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double WavSeconds(const std::string& wav) {
  auto u32 = [&](size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(wav[at])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(wav[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(wav[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(wav[at + 3])) << 24;
  };
  if (wav.size() < 12 || wav.compare(0, 4, "RIFF") != 0 || wav.compare(8, 4, "WAVE") != 0) return 0;
  std::uint32_t byte_rate = 0;
  for (size_t at = 12; at + 8 <= wav.size();) {
    const std::string id = wav.substr(at, 4);
    const std::uint32_t size = u32(at + 4);
    if (id == "fmt " && at + 20 <= wav.size()) byte_rate = u32(at + 8 + 8);
    if (id == "data") {
      const size_t bytes = std::min<size_t>(size, wav.size() - at - 8);
      return byte_rate > 0 ? static_cast<double>(bytes) / byte_rate : 0;
    }
    at += 8 + size + (size & 1);
  }
  return 0;
}

}  // namespace harvis::bench
