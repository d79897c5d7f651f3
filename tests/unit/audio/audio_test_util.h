// Helpers for the audio layer's tests: tone synthesis, a WAV builder for every layout
// (including malformed ones), and tone measurements.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace harvis::audio::testing {

inline constexpr double kPi = 3.14159265358979323846;

// An interleaved sine of `freq` Hz with the same signal on every channel.
inline std::vector<float> Tone(int rate, double seconds, double freq = 440.0, double amp = 0.5,
                               int channels = 1) {
  const size_t frames = static_cast<size_t>(std::llround(seconds * rate));
  std::vector<float> out(frames * static_cast<size_t>(channels));
  for (size_t f = 0; f < frames; ++f) {
    const float v = static_cast<float>(amp * std::sin(2 * kPi * freq * f / rate));
    for (int c = 0; c < channels; ++c) out[f * channels + c] = v;
  }
  return out;
}

inline double Rms(const std::vector<float>& x, size_t skip = 0) {
  if (x.size() <= 2 * skip) return 0.0;
  double sum = 0;
  for (size_t i = skip; i < x.size() - skip; ++i) sum += double{x[i]} * x[i];
  return std::sqrt(sum / static_cast<double>(x.size() - 2 * skip));
}

// Fraction of the signal's energy at `freq` (Goertzel); about 1 for a pure tone.
inline double ToneFraction(const std::vector<float>& x, int rate, double freq, size_t skip = 0) {
  if (x.size() <= 2 * skip) return 0.0;
  const size_t n = x.size() - 2 * skip;
  const double w = 2 * kPi * freq / rate;
  double re = 0, im = 0, energy = 0;
  for (size_t i = 0; i < n; ++i) {
    const double v = x[skip + i];
    re += v * std::cos(w * i);
    im -= v * std::sin(w * i);
    energy += v * v;
  }
  if (energy == 0) return 0.0;
  return 2.0 * (re * re + im * im) / (static_cast<double>(n) * energy);
}

struct WavLayout {
  uint16_t tag = 1;  // 1 PCM, 3 float, anything else for rejection tests
  int bits = 16;
  int channels = 1;
  int rate = 16000;
  bool extensible = false;
};

inline void Put16(std::string& s, uint32_t v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>((v >> 8) & 0xFF));
}
inline void Put32(std::string& s, uint32_t v) {
  Put16(s, v & 0xFFFF);
  Put16(s, v >> 16);
}

inline void PutSample(std::string& s, float v, const WavLayout& l) {
  const double d = std::fmax(-1.0, std::fmin(1.0, static_cast<double>(v)));
  if (l.tag == 3 && l.bits == 32) {
    float f = static_cast<float>(d);
    s.append(reinterpret_cast<const char*>(&f), 4);
  } else if (l.tag == 3 && l.bits == 64) {
    s.append(reinterpret_cast<const char*>(&d), 8);
  } else if (l.bits == 8) {
    s.push_back(static_cast<char>(std::lround(d * 127) + 128));
  } else {
    const double scale = std::ldexp(1.0, l.bits - 1) - 1;
    const uint32_t u = static_cast<uint32_t>(static_cast<int32_t>(std::llround(d * scale)));
    for (int b = 0; b < l.bits / 8; ++b) s.push_back(static_cast<char>((u >> (8 * b)) & 0xFF));
  }
}

inline std::string FmtChunk(const WavLayout& l) {
  std::string f;
  const uint32_t align = static_cast<uint32_t>(l.channels * l.bits / 8);
  Put16(f, l.extensible ? 0xFFFE : l.tag);
  Put16(f, static_cast<uint32_t>(l.channels));
  Put32(f, static_cast<uint32_t>(l.rate));
  Put32(f, static_cast<uint32_t>(l.rate) * align);
  Put16(f, align);
  Put16(f, static_cast<uint32_t>(l.bits));
  if (l.extensible) {
    Put16(f, 22);
    Put16(f, static_cast<uint32_t>(l.bits));  // valid bits
    Put32(f, 0);                              // channel mask
    Put16(f, l.tag);
    f.append("\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71", 14);
  }
  return f;
}

inline std::string Chunk(const std::string& id, const std::string& body, bool pad = true) {
  std::string c = id;
  Put32(c, static_cast<uint32_t>(body.size()));
  c += body;
  if (pad && body.size() % 2 == 1) c.push_back('\0');
  return c;
}

struct WavOptions {
  std::string before_fmt;              // raw chunks inserted before "fmt "
  std::string before_data;             // raw chunks inserted between "fmt " and "data"
  std::string after_data;              // raw chunks after "data"
  std::optional<uint32_t> data_size;   // declared data size override
};

inline WavOptions BeforeFmt(std::string chunks) {
  WavOptions o;
  o.before_fmt = std::move(chunks);
  return o;
}
inline WavOptions BeforeData(std::string chunks) {
  WavOptions o;
  o.before_data = std::move(chunks);
  return o;
}
inline WavOptions DataSize(uint32_t size) {
  WavOptions o;
  o.data_size = size;
  return o;
}

// A RIFF/WAVE file holding `interleaved` in `layout`.
inline std::string BuildWav(const std::vector<float>& interleaved, const WavLayout& layout,
                            const WavOptions& opt = {}) {
  std::string data;
  for (float v : interleaved) PutSample(data, v, layout);
  std::string body = "WAVE" + opt.before_fmt + Chunk("fmt ", FmtChunk(layout)) + opt.before_data;
  body += "data";
  Put32(body, opt.data_size.value_or(static_cast<uint32_t>(data.size())));
  body += data;
  if (data.size() % 2 == 1 && !opt.after_data.empty()) body.push_back('\0');
  body += opt.after_data;
  std::string out = "RIFF";
  Put32(out, static_cast<uint32_t>(body.size()));
  return out + body;
}

inline std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(HARVIS_FIXTURES_DIR) + "/audio/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace harvis::audio::testing
