#include "realtime_turn.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <nlohmann/json.hpp>
#include <vector>

namespace harvis::bench {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kChunkMs = 20;
constexpr size_t kChunkSamples = 24000 * kChunkMs / 1000;

// The samples of a pcm16 WAV's data chunk (no validation beyond the chunk walk).
std::vector<int16_t> WavSamples(const std::string& wav) {
  size_t pos = 12;
  while (pos + 8 <= wav.size()) {
    uint32_t size = 0;
    std::memcpy(&size, wav.data() + pos + 4, 4);
    if (wav.compare(pos, 4, "data") == 0) {
      std::vector<int16_t> out(std::min<size_t>(size, wav.size() - pos - 8) / 2);
      std::memcpy(out.data(), wav.data() + pos + 8, out.size() * 2);
      return out;
    }
    pos += 8 + size + (size & 1);
  }
  return {};
}

// 16 kHz to 24 kHz, linear interpolation: enough for speech recognition.
std::vector<int16_t> To24k(const std::vector<int16_t>& in) {
  std::vector<int16_t> out(in.size() * 3 / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const double src = static_cast<double>(i) * 2.0 / 3.0;
    const size_t j = static_cast<size_t>(src);
    const double f = src - static_cast<double>(j);
    const double a = in[std::min(j, in.size() - 1)], b = in[std::min(j + 1, in.size() - 1)];
    out[i] = static_cast<int16_t>(a + (b - a) * f);
  }
  return out;
}

std::string AppendEvent(const int16_t* samples, size_t count) {
  std::string audio(beast::detail::base64::encoded_size(count * 2), '\0');
  audio.resize(beast::detail::base64::encode(audio.data(), samples, count * 2));
  return json{{"type", "input_audio_buffer.append"}, {"audio", audio}}.dump();
}

class Turn {
 public:
  Turn(std::vector<int16_t> speech, int silence_ms) : speech_(std::move(speech)), silence_ms_(silence_ms) {}

  std::optional<RealtimeTiming> Run(int port) {
    try {
      net::ip::tcp::resolver resolver(io_);
      net::connect(beast::get_lowest_layer(ws_), resolver.resolve("127.0.0.1", std::to_string(port)));
      ws_.handshake("127.0.0.1", "/v1/realtime");
      if (silence_ms_ != 0) {
        const json detection = silence_ms_ == kPushToTalk
                                   ? json(nullptr)
                                   : json{{"type", "server_vad"}, {"silence_duration_ms", silence_ms_}};
        ws_.write(net::buffer(json{{"type", "session.update"}, {"session", {{"turn_detection", detection}}}}.dump()));
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "/v1/realtime: cannot connect: %s\n", e.what());
      return std::nullopt;
    }
    next_tick_ = Clock::now();
    Tick();
    Read();
    io_.run_for(std::chrono::seconds(60));
    if (!failure_.empty() || !first_audio_ || !done_ || !speech_end_) {
      std::fprintf(stderr, "/v1/realtime turn failed: %s\n", failure_.empty() ? "no answer within 60 s" : failure_.c_str());
      return std::nullopt;
    }
    auto ms = [this](Clock::time_point t) { return std::chrono::duration<double, std::milli>(t - *speech_end_).count(); };
    return RealtimeTiming{ms(*first_audio_), ms(*done_)};
  }

 private:
  // Sends the next 20 ms of microphone audio: the speech, then silence until the answer
  // (push-to-talk: the commit and response.create instead, and nothing more).
  void Tick() {
    if (done_) return;
    if (silence_ms_ == kPushToTalk && speech_end_) return;
    std::vector<int16_t> chunk(kChunkSamples, 0);
    bool ended = false;
    if (sent_ < speech_.size()) {
      const size_t n = std::min(kChunkSamples, speech_.size() - sent_);
      std::copy_n(speech_.data() + sent_, n, chunk.data());
      sent_ += n;
      ended = sent_ == speech_.size();
    }
    Send(AppendEvent(chunk.data(), chunk.size()));
    if (ended) {
      speech_end_ = Clock::now();  // when a microphone would deliver it
      if (silence_ms_ == kPushToTalk) {
        Send(json{{"type", "input_audio_buffer.commit"}}.dump());
        Send(json{{"type", "response.create"}}.dump());
        return;
      }
    }
    next_tick_ += std::chrono::milliseconds(kChunkMs);
    timer_.expires_at(next_tick_);
    timer_.async_wait([this](beast::error_code ec) {
      if (!ec) Tick();
    });
  }

  void Send(std::string event) {
    outbox_.push_back(std::move(event));
    if (outbox_.size() == 1) Write();
  }

  void Write() {
    ws_.async_write(net::buffer(outbox_.front()), [this](beast::error_code ec, size_t) {
      outbox_.pop_front();
      if (ec) return Fail("write: " + ec.message());
      if (!outbox_.empty()) Write();
    });
  }

  void Read() {
    ws_.async_read(buffer_, [this](beast::error_code ec, size_t) {
      if (ec) return Fail("read: " + ec.message());
      const json event = json::parse(beast::buffers_to_string(buffer_.data()), nullptr, false);
      buffer_.consume(buffer_.size());
      const std::string type = event.is_object() ? event.value("type", "") : "";
      if (type == "error") return Fail(event.dump());
      if (type == "response.audio.delta" && !first_audio_) first_audio_ = Clock::now();
      if (type == "response.done") {
        done_ = Clock::now();
        timer_.cancel();
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).close(ignored);
        return;
      }
      Read();
    });
  }

  void Fail(const std::string& why) {
    if (done_) return;
    failure_ = why;
    io_.stop();
  }

  net::io_context io_;
  beast::websocket::stream<net::ip::tcp::socket> ws_{io_};
  net::steady_timer timer_{io_};
  beast::flat_buffer buffer_;
  std::deque<std::string> outbox_;
  std::vector<int16_t> speech_;
  const int silence_ms_;
  size_t sent_ = 0;
  Clock::time_point next_tick_;
  std::optional<Clock::time_point> speech_end_, first_audio_, done_;
  std::string failure_;
};

}  // namespace

std::optional<RealtimeTiming> RealtimeTurn(int port, const std::string& wav_16k, int silence_ms) {
  std::vector<int16_t> speech = WavSamples(wav_16k);
  if (speech.empty()) return std::nullopt;
  return Turn(To24k(speech), silence_ms).Run(port);
}

}  // namespace harvis::bench
