#include "sse_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

namespace harvis::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

}  // namespace

// ---- StandinProcess ----

StandinProcess::StandinProcess(const std::string& models, double tokens_per_second) {
#ifdef OLLAMA_STANDIN
  int fds[2];
  if (pipe(fds) != 0) return;
  std::vector<std::string> args = {OLLAMA_STANDIN, "--port", "0", "--models", models,
                                   "--tokens-per-second", std::to_string(tokens_per_second)};
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
#else
  (void)models;
  (void)tokens_per_second;
#endif
}

StandinProcess::~StandinProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
}

httplib::Client StandinProcess::Client() const {
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(30, 0);
  return client;
}

json StandinProcess::Stats() const { return JsonOrNull(Client().Get("/__standin/stats")); }
json StandinProcess::LastRequest() const { return JsonOrNull(Client().Get("/__standin/last_request")); }

bool StandinProcess::StreamCut() const {
  const json st = Stats();
  return st.is_object() && st.value("disconnects", 0) + st.value("streams_cut", 0) > 0;
}

bool StandinProcess::PromptReceived() const {
  const json body = LastRequest().value("body", json::object());
  if (!body.is_object()) return false;
  const json messages = body.value("messages", json::array());
  return (messages.is_array() && !messages.empty()) || !body.value("prompt", "").empty();
}

std::vector<std::string> StandinProcess::Loaded() const {
  std::vector<std::string> out;
  const json ps = JsonOrNull(Client().Get("/api/ps"));
  if (!ps.is_object() || !ps.contains("models")) return out;
  for (const auto& m : ps["models"]) out.push_back(m.value("name", ""));
  return out;
}

// ---- HarvisStack ----

HarvisStack::HarvisStack(double tokens_per_second, const std::string& extra_yaml)
    : ollama("llama3.2:3b=2GiB", tokens_per_second),
      harvis(HarvisProcess::Options{"ollama: { url: \"" + ollama.url() + "\" }\n" + extra_yaml, {}, {}}) {}

// ---- small utilities ----

int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof addr;
  int port = 9;  // discard: nothing listens there on a test machine
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (predicate()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return predicate();
}

size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// ---- SSE ----

std::vector<SseEvent> ParseSse(const std::string& body) {
  std::vector<SseEvent> events;
  SseEvent current;
  std::string data;
  bool has_data = false;
  auto flush = [&] {
    if (has_data || !current.event.empty()) {
      json j = json::parse(data, nullptr, false);
      current.data = j.is_discarded() ? json(data) : j;
      events.push_back(current);
    }
    current = {};
    data.clear();
    has_data = false;
  };
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      flush();
    } else if (line.rfind("event:", 0) == 0) {
      current.event = line.substr(line.size() > 6 && line[6] == ' ' ? 7 : 6);
    } else if (line.rfind("data:", 0) == 0) {
      if (has_data) data += '\n';
      data += line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
      has_data = true;
    }
  }
  flush();
  return events;
}

// ---- multipart ----

httplib::MultipartFormDataItems Upload(const std::string& wav, httplib::MultipartFormDataItems fields) {
  fields.insert(fields.begin(), {"file", wav, "speech.wav", "audio/wav"});
  return fields;
}

std::string MultipartBody(const httplib::MultipartFormDataItems& items, const std::string& boundary) {
  std::string body;
  for (const auto& item : items) {
    body += "--" + boundary + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + item.name + "\"";
    if (!item.filename.empty()) body += "; filename=\"" + item.filename + "\"";
    body += "\r\n";
    if (!item.content_type.empty()) body += "Content-Type: " + item.content_type + "\r\n";
    body += "\r\n" + item.content + "\r\n";
  }
  return body + "--" + boundary + "--\r\n";
}

// ---- raw HTTP ----

RawConnection::RawConnection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  sockaddr_in addr = Loopback(port);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Close();
}

RawConnection::~RawConnection() { Close(); }

void RawConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool RawConnection::Send(const std::string& bytes) {
  size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return fd_ >= 0;
}

bool RawConnection::ReadUntil(const std::function<bool(const std::string&)>& done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  char buf[8192];
  while (fd_ >= 0 && !done(received_)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;  // closed by the peer (or an error)
    received_.append(buf, static_cast<size_t>(n));
  }
  return done(received_);
}

std::string PostRequest(const std::string& target, const std::string& content_type, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

RawResponse RawGet(int port, const std::string& target) {
  RawConnection conn(port);
  RawResponse out;
  if (!conn.Send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) return out;
  conn.ReadUntil([](const std::string&) { return false; }, std::chrono::seconds(10));  // until closed
  const std::string& raw = conn.received();
  if (raw.rfind("HTTP/1.", 0) == 0 && raw.size() > 12) out.status = std::atoi(raw.c_str() + 9);
  if (size_t head_end = raw.find("\r\n\r\n"); head_end != std::string::npos) out.body = raw.substr(head_end + 4);
  return out;
}

// ---- audio ----

std::string SilenceWav(double seconds) {
  const std::uint32_t rate = 16000, bytes = static_cast<std::uint32_t>(seconds * rate) * 2;
  std::string out;
  auto put32 = [&](std::uint32_t v) { for (int i = 0; i < 4; ++i) out += static_cast<char>(v >> (8 * i)); };
  auto put16 = [&](std::uint16_t v) { for (int i = 0; i < 2; ++i) out += static_cast<char>(v >> (8 * i)); };
  out += "RIFF";
  put32(36 + bytes);
  out += "WAVEfmt ";
  put32(16);
  put16(1);  // PCM
  put16(1);  // mono
  put32(rate);
  put32(rate * 2);
  put16(2);
  put16(16);
  out += "data";
  put32(bytes);
  out.append(bytes, '\0');
  return out;
}

WavInfo ReadWavInfo(const std::string& b) {
  WavInfo info;
  auto u16 = [&](size_t at) { return static_cast<unsigned>(static_cast<unsigned char>(b[at])) |
                                     static_cast<unsigned>(static_cast<unsigned char>(b[at + 1])) << 8; };
  auto u32 = [&](size_t at) { return static_cast<std::uint32_t>(u16(at)) | static_cast<std::uint32_t>(u16(at + 2)) << 16; };
  if (b.size() < 12 || b.compare(0, 4, "RIFF") != 0 || b.compare(8, 4, "WAVE") != 0) return info;
  bool fmt = false;
  for (size_t at = 12; at + 8 <= b.size();) {
    const std::string id = b.substr(at, 4);
    const std::uint32_t size = u32(at + 4);
    if (id == "fmt " && at + 8 + 16 <= b.size()) {
      info.channels = static_cast<int>(u16(at + 10));
      info.sample_rate = static_cast<int>(u32(at + 12));
      fmt = true;
    } else if (id == "data") {
      info.data_bytes = size;
      info.valid = fmt;
      return info;
    }
    at += 8 + size + (size & 1);
  }
  return info;
}

std::string Base64Decode(const std::string& text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const size_t v = kAlphabet.find(c);
    if (v == std::string::npos) break;  // '=' padding or the end
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string SpeechWav(const HarvisProcess& harvis, const std::string& text) {
  const json body = {{"model", "flite"}, {"input", text}, {"sample_rate", 16000}, {"response_format", "wav"}};
  auto res = harvis.Client().Post("/v1/audio/speech", body.dump(), "application/json");
  return res && res->status == 200 ? res->body : "";
}

}  // namespace harvis::testing
