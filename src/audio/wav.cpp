#include "audio/wav.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace harvis::audio {
namespace {

static_assert(std::endian::native == std::endian::little,
              "WAV conversion reads little-endian samples in place");

constexpr int kMaxChannels = 32;
constexpr uint32_t kMaxSampleRate = 384000;
constexpr uint32_t kSizeToEnd = 0xFFFFFFFFu;
constexpr uint16_t kTagPcm = 0x0001;
constexpr uint16_t kTagFloat = 0x0003;
constexpr uint16_t kTagExtensible = 0xFFFE;
// The 14 bytes that follow the format tag in every KSDATAFORMAT_SUBTYPE_* GUID.
constexpr unsigned char kSubformatGuidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                  0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

uint16_t ReadU16(std::string_view b, size_t at) {
  auto p = reinterpret_cast<const unsigned char*>(b.data() + at);
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

uint32_t ReadU32(std::string_view b, size_t at) {
  auto p = reinterpret_cast<const unsigned char*>(b.data() + at);
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

Status Unprocessable(std::string message) {
  return Status(ErrorCode::kUnprocessable, std::move(message));
}

Status Unsupported(std::string message) {
  return Status(ErrorCode::kUnsupportedMedia, std::move(message));
}

// A chunk id is four printable ASCII characters (spaces allowed, as in "fmt ").
bool IsChunkId(std::string_view b, size_t at) {
  if (at > b.size() || b.size() - at < 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    unsigned char c = static_cast<unsigned char>(b[at + i]);
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

// Where the chunk after an odd-sized one starts: after its pad byte, unless the writer
// left the pad out (then a chunk id, which never starts with a zero byte, follows at once).
size_t SkipPad(std::string_view b, size_t next) {
  if (next >= b.size()) return next;
  if (b[next] != '\0' && IsChunkId(b, next)) return next;
  return next + 1;
}

struct Chunks {
  size_t fmt_offset = 0, fmt_size = 0;
  size_t data_offset = 0, data_size = 0;
  bool has_fmt = false, has_data = false;
};

std::string ChunkName(std::string_view b, size_t at) {
  std::string name(b.substr(at, 4));
  for (char& c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
  }
  return "'" + name + "'";
}

// Records one chunk found at `pos` with declared `size`; returns false when scanning
// should stop (data read to the end of the buffer).
Result<bool> RecordChunk(std::string_view b, size_t pos, uint32_t size, Chunks& c) {
  const size_t body = pos + 8;
  const size_t available = b.size() - body;
  const std::string_view id = b.substr(pos, 4);
  if (id == "data") {
    if (c.has_data) return Unprocessable("invalid WAV: two data chunks");
    c.has_data = true;
    c.data_offset = body;
    if (size == 0 || size == kSizeToEnd) {
      c.data_size = available;
      return false;
    }
    if (size > available) {
      return Unprocessable("truncated WAV: data chunk declares " + std::to_string(size) +
                           " bytes, only " + std::to_string(available) + " present");
    }
    c.data_size = size;
    return true;
  }
  if (size > available) {
    return Unprocessable("truncated WAV: chunk " + ChunkName(b, pos) + " declares " +
                         std::to_string(size) + " bytes, only " + std::to_string(available) +
                         " present");
  }
  if (id == "fmt ") {
    if (c.has_fmt) return Unprocessable("invalid WAV: two fmt chunks");
    c.has_fmt = true;
    c.fmt_offset = body;
    c.fmt_size = size;
  }
  return true;
}

Result<Chunks> ScanChunks(std::string_view b) {
  Chunks c;
  size_t pos = 12;
  while (pos < b.size()) {
    const bool complete = c.has_fmt && c.has_data;
    if (b.size() - pos < 8 || !IsChunkId(b, pos)) {
      if (complete) break;  // trailing bytes after a complete file are ignored
      if (b.size() - pos < 8) return Unprocessable("truncated WAV: partial chunk header");
      return Unprocessable("corrupt WAV: invalid chunk id at offset " + std::to_string(pos));
    }
    const uint32_t size = ReadU32(b, pos + 4);
    if (complete && size > b.size() - pos - 8) break;  // truncated trailing metadata
    Result<bool> more = RecordChunk(b, pos, size, c);
    if (!more.ok()) return more.status();
    if (!*more) break;
    const size_t next = pos + 8 + size;
    pos = (size % 2 == 1) ? SkipPad(b, next) : next;
  }
  if (!c.has_fmt) return Unprocessable("invalid WAV: no fmt chunk");
  if (!c.has_data) return Unprocessable("invalid WAV: no data chunk");
  return c;
}

// Resolves WAVE_FORMAT_EXTENSIBLE to the format tag its subformat GUID carries.
Result<uint16_t> ExtensibleSubformat(std::string_view b, const Chunks& c) {
  if (c.fmt_size < 40 || ReadU16(b, c.fmt_offset + 16) < 22) {
    return Unprocessable("invalid WAV: WAVE_FORMAT_EXTENSIBLE fmt chunk is too short (" +
                         std::to_string(c.fmt_size) + " bytes)");
  }
  const size_t guid = c.fmt_offset + 24;
  if (std::memcmp(b.data() + guid + 2, kSubformatGuidTail, sizeof kSubformatGuidTail) != 0) {
    return Unsupported("unsupported WAV: WAVE_FORMAT_EXTENSIBLE with an unknown subformat GUID");
  }
  return ReadU16(b, guid);
}

Result<WavSampleType> SampleTypeFor(uint16_t tag, int bits) {
  if (tag == kTagPcm) {
    switch (bits) {
      case 8: return WavSampleType::kUnsigned8;
      case 16: return WavSampleType::kSigned16;
      case 24: return WavSampleType::kSigned24;
      case 32: return WavSampleType::kSigned32;
    }
    return Unsupported("unsupported WAV: " + std::to_string(bits) + "-bit integer PCM");
  }
  if (bits == 32) return WavSampleType::kFloat32;
  if (bits == 64) return WavSampleType::kFloat64;
  return Unsupported("unsupported WAV: " + std::to_string(bits) + "-bit float PCM");
}

Status ParseFmt(std::string_view b, const Chunks& c, WavInfo& info) {
  if (c.fmt_size < 16) {
    return Unprocessable("invalid WAV: fmt chunk is " + std::to_string(c.fmt_size) +
                         " bytes, at least 16 needed");
  }
  const size_t f = c.fmt_offset;
  info.format_tag = ReadU16(b, f);
  if (info.format_tag == kTagExtensible) {
    Result<uint16_t> sub = ExtensibleSubformat(b, c);
    if (!sub.ok()) return sub.status();
    info.extensible = true;
    info.format_tag = *sub;
  }
  if (info.format_tag != kTagPcm && info.format_tag != kTagFloat) {
    return Unsupported("unsupported WAV encoding " + WavFormatTagName(info.format_tag) +
                       ": only uncompressed PCM and IEEE float are read");
  }
  info.channels = ReadU16(b, f + 2);
  const uint32_t rate = ReadU32(b, f + 4);
  info.block_align = ReadU16(b, f + 12);
  info.bits_per_sample = ReadU16(b, f + 14);
  if (info.channels < 1 || info.channels > kMaxChannels) {
    return Unprocessable("invalid WAV: " + std::to_string(info.channels) +
                         " channels (1 to 32 supported)");
  }
  if (rate < 1 || rate > kMaxSampleRate) {
    return Unprocessable("invalid WAV: sample rate " + std::to_string(rate) +
                         " Hz (1 Hz to 384 kHz supported)");
  }
  info.sample_rate = static_cast<int>(rate);
  Result<WavSampleType> type = SampleTypeFor(info.format_tag, info.bits_per_sample);
  if (!type.ok()) return type.status();
  info.sample_type = *type;
  if (info.block_align != info.channels * info.bits_per_sample / 8) {
    return Unprocessable("invalid WAV: block align " + std::to_string(info.block_align) +
                         " does not match " + std::to_string(info.channels) + " channels of " +
                         std::to_string(info.bits_per_sample) + " bits");
  }
  return Status::Ok();
}

float Sanitize(double v) {
  if (!std::isfinite(v)) return 0.0f;
  return static_cast<float>(v < -1.0 ? -1.0 : (v > 1.0 ? 1.0 : v));
}

float ReadSample(const unsigned char* p, WavSampleType type) {
  switch (type) {
    case WavSampleType::kUnsigned8:
      return (static_cast<int>(p[0]) - 128) / 128.0f;
    case WavSampleType::kSigned16:
      return static_cast<int16_t>(p[0] | (p[1] << 8)) / 32768.0f;
    case WavSampleType::kSigned24: {
      const uint32_t u = (uint32_t{p[0]} << 8) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 24);
      return static_cast<float>(static_cast<int32_t>(u) / 2147483648.0);
    }
    case WavSampleType::kSigned32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return static_cast<float>(v / 2147483648.0);
    }
    case WavSampleType::kFloat32: {
      float v;
      std::memcpy(&v, p, 4);
      return Sanitize(v);
    }
    case WavSampleType::kFloat64: {
      double v;
      std::memcpy(&v, p, 8);
      return Sanitize(v);
    }
  }
  return 0.0f;
}

}  // namespace

bool LooksLikeWav(std::string_view bytes) {
  return bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WAVE";
}

Result<WavInfo> ParseWavHeader(std::string_view bytes) {
  if (bytes.size() < 12) {
    if (std::string_view("RIFF").starts_with(bytes.substr(0, 4))) {
      return Unprocessable("truncated WAV: " + std::to_string(bytes.size()) + "-byte header");
    }
    return Unsupported("not a WAV file");
  }
  if (bytes.substr(0, 4) != "RIFF") return Unsupported("not a WAV file (no RIFF header)");
  if (bytes.substr(8, 4) != "WAVE") {
    return Unsupported("RIFF file of type " + ChunkName(bytes, 8) + " is not WAVE audio");
  }
  Result<Chunks> chunks = ScanChunks(bytes);
  if (!chunks.ok()) return chunks.status();
  WavInfo info;
  Status fmt = ParseFmt(bytes, *chunks, info);
  if (!fmt.ok()) return fmt;
  info.data_offset = chunks->data_offset;
  info.frames = chunks->data_size / static_cast<size_t>(info.block_align);
  info.data_bytes = info.frames * static_cast<size_t>(info.block_align);
  return info;
}

std::vector<float> ConvertWavSamples(std::string_view bytes, const WavInfo& info, bool to_mono) {
  const auto* base = reinterpret_cast<const unsigned char*>(bytes.data() + info.data_offset);
  const size_t width = static_cast<size_t>(info.bits_per_sample / 8);
  const size_t channels = static_cast<size_t>(info.channels);
  std::vector<float> out;
  if (!to_mono || channels == 1) {
    out.resize(info.frames * channels);
    for (size_t i = 0; i < out.size(); ++i) out[i] = ReadSample(base + i * width, info.sample_type);
    return out;
  }
  out.resize(info.frames);
  for (size_t f = 0; f < info.frames; ++f) {
    const unsigned char* frame = base + f * info.block_align;
    double sum = 0.0;
    for (size_t c = 0; c < channels; ++c) sum += ReadSample(frame + c * width, info.sample_type);
    out[f] = static_cast<float>(sum / static_cast<double>(channels));
  }
  return out;
}

Result<PcmAudio> ParseWav(std::string_view bytes) {
  Result<WavInfo> info = ParseWavHeader(bytes);
  if (!info.ok()) return info.status();
  return PcmAudio{ConvertWavSamples(bytes, *info, false), info->sample_rate, info->channels};
}

Result<PcmAudio> ParseWavMono(std::string_view bytes) {
  Result<WavInfo> info = ParseWavHeader(bytes);
  if (!info.ok()) return info.status();
  return PcmAudio{ConvertWavSamples(bytes, *info, true), info->sample_rate, 1};
}

std::string EncodeWavHeader(int sample_rate, int channels, uint32_t data_bytes) {
  const uint32_t block_align = static_cast<uint32_t>(channels) * 2;
  const uint32_t riff_size =
      data_bytes > kSizeToEnd - 36 ? kSizeToEnd : static_cast<uint32_t>(36 + data_bytes);
  std::string out;
  out.reserve(44);
  out += "RIFF";
  PutU32(out, riff_size);
  out += "WAVEfmt ";
  PutU32(out, 16);
  PutU16(out, kTagPcm);
  PutU16(out, static_cast<uint16_t>(channels));
  PutU32(out, static_cast<uint32_t>(sample_rate));
  PutU32(out, static_cast<uint32_t>(sample_rate) * block_align);
  PutU16(out, static_cast<uint16_t>(block_align));
  PutU16(out, 16);
  out += "data";
  PutU32(out, data_bytes);
  return out;
}

std::string EncodeWav(const std::vector<int16_t>& mono, int sample_rate) {
  const size_t bytes = mono.size() * 2;
  const uint32_t declared = bytes >= kSizeToEnd ? kSizeToEnd : static_cast<uint32_t>(bytes);
  return EncodeWavHeader(sample_rate, 1, declared) + EncodePcm16(mono);
}

std::string EncodePcm16(const std::vector<int16_t>& samples) {
  std::string out(samples.size() * 2, '\0');
  if (!samples.empty()) std::memcpy(out.data(), samples.data(), out.size());
  return out;
}

Result<std::vector<int16_t>> DecodePcm16(std::string_view bytes) {
  if (bytes.size() % 2 != 0) {
    return Unprocessable("raw 16-bit PCM has an odd byte count (" +
                         std::to_string(bytes.size()) + ")");
  }
  std::vector<int16_t> out(bytes.size() / 2);
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

std::string WavFormatTagName(uint16_t tag) {
  const char* name = nullptr;
  switch (tag) {
    case 0x0001: name = "PCM"; break;
    case 0x0002: name = "Microsoft ADPCM"; break;
    case 0x0003: name = "IEEE float"; break;
    case 0x0006: name = "A-law"; break;
    case 0x0007: name = "mu-law"; break;
    case 0x0011: name = "IMA ADPCM"; break;
    case 0x0031: name = "GSM 6.10"; break;
    case 0x0050: name = "MPEG audio"; break;
    case 0x0055: name = "MPEG Layer 3"; break;
    case 0x00FF: name = "AAC"; break;
    case 0x2000: name = "AC-3"; break;
    case 0xFFFE: name = "WAVE_FORMAT_EXTENSIBLE"; break;
    default: name = "format tag"; break;
  }
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%04X", tag);
  return std::string(name) + " (" + hex + ")";
}

}  // namespace harvis::audio
