#include "whisper_model_generator.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>

namespace harvis::test_tools {
namespace {

constexpr std::uint32_t kGgmlMagic = 0x67676d6c;
constexpr int kFtypeF16 = 1;
constexpr int kTypeF32 = 0;
constexpr int kTypeF16 = 1;
constexpr int kFftBins = 201;  // WHISPER_N_FFT / 2 + 1
// Vocabulary sizes whisper.cpp derives its special-token ids from.
constexpr int kVocabEnglish = 51864;
constexpr int kVocabMultilingual = 51865;
// Decoder positions from which the model "wants" to stop (see EndOfTextBias).
constexpr int kStopPosition = 10;

// How a tensor is initialised.
enum class Init { kOnes, kZeros, kRandom };

struct TensorSpec {
  std::string name;
  std::vector<int> ne;  // ggml order: ne[0] is the contiguous dimension
  int type = kTypeF32;
  Init init = Init::kRandom;
  float scale = 0.0f;  // half-width of the uniform distribution for kRandom
};

// Final value of element `index` of a tensor given the drawn one. The RNG is always drawn,
// so adjusting one tensor never shifts the values of the others.
using Adjust = std::function<float(size_t index, float drawn)>;
using Adjustments = std::map<std::string, Adjust>;

// IEEE 754 binary32 -> binary16, round to nearest even; tiny values flush to zero.
std::uint16_t FloatToHalf(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  const std::uint16_t sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
  const int exponent = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
  std::uint32_t mantissa = bits & 0x7fffffu;
  if (exponent <= 0) return sign;                                          // underflow
  if (exponent >= 31) return static_cast<std::uint16_t>(sign | 0x7c00u);   // overflow: inf
  std::uint32_t half = (static_cast<std::uint32_t>(exponent) << 10) | (mantissa >> 13);
  const std::uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // may carry into exponent
  return static_cast<std::uint16_t>(sign | half);
}

class Writer {
 public:
  void U32(std::uint32_t v) { Raw(&v, sizeof v); }
  void I32(std::int32_t v) { Raw(&v, sizeof v); }
  void F32(float v) { Raw(&v, sizeof v); }
  void F16(float v) {
    std::uint16_t h = FloatToHalf(v);
    Raw(&h, sizeof h);
  }
  void Bytes(const std::string& s) { Raw(s.data(), s.size()); }
  std::vector<std::uint8_t> Take() { return std::move(out_); }

 private:
  void Raw(const void* p, size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  std::vector<std::uint8_t> out_;
};

// Uniform in [-scale, scale) from mt19937's raw output, which the standard fixes, so the
// file is identical on every platform (std::*_distribution is implementation-defined).
float Uniform(std::mt19937& rng, float scale) {
  const double unit = static_cast<double>(rng()) / 4294967296.0;  // [0, 1)
  return static_cast<float>((unit * 2.0 - 1.0) * scale);
}

// A readable pseudo-word for text token `id`: letters from a base-20/base-5 syllable code,
// with a leading space for most tokens, so that decoded garbage is ASCII "words". Every
// id gets a distinct string.
std::string TokenText(int id) {
  static const char kConsonants[] = "bcdfghjklmnprstvwxyz";
  static const char kVowels[] = "aeiou";
  if (id < 26) return std::string(1, static_cast<char>('a' + id));
  if (id == 220) return " ";  // as in GPT-2; whisper.cpp's suppress_blank looks it up
  std::string word = (id % 7 == 0) ? "" : " ";
  int n = id;
  do {
    word += kConsonants[n % 20];
    n /= 20;
    word += kVowels[n % 5];
    n /= 5;
  } while (n > 0);
  return word;
}

void AddNorm(std::vector<TensorSpec>& out, const std::string& prefix, int state) {
  out.push_back({prefix + ".weight", {state}, kTypeF32, Init::kOnes});
  out.push_back({prefix + ".bias", {state}, kTypeF32, Init::kZeros});
}

// A linear layer y = W x + b with W of shape [in, out] (ggml order).
void AddLinear(std::vector<TensorSpec>& out, const std::string& prefix, int in, int out_dim,
               bool bias) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(in));
  out.push_back({prefix + ".weight", {in, out_dim}, kTypeF16, Init::kRandom, scale});
  if (bias) out.push_back({prefix + ".bias", {out_dim}, kTypeF32, Init::kRandom, 0.02f});
}

void AddAttention(std::vector<TensorSpec>& out, const std::string& prefix, int state) {
  AddLinear(out, prefix + ".query", state, state, true);
  AddLinear(out, prefix + ".key", state, state, false);
  AddLinear(out, prefix + ".value", state, state, true);
  AddLinear(out, prefix + ".out", state, state, true);
}

void AddMlp(std::vector<TensorSpec>& out, const std::string& prefix, int state) {
  AddNorm(out, prefix + "_ln", state);
  AddLinear(out, prefix + ".0", state, 4 * state, true);
  AddLinear(out, prefix + ".2", 4 * state, state, true);
}

// Random weights alone make whisper.cpp decode 220 tokens of repeated garbage per 30 s
// window, fail its quality checks and retry at five more temperatures, with random
// timestamps that restart the window again and again: seconds of audio cost minutes. So
// the decoder gets a simple, deterministic habit: from position kStopPosition on, its
// positional embedding carries a strong component along dimension 0, and only the
// end-of-text token's embedding points that way. Before that position tokens are random
// (but confident: embeddings of scale 3), so each window yields a few pseudo-words, then
// ends, with an average log-probability that passes whisper's fallback thresholds.
Adjustments EndOfTextBias(int state, int eot) {
  Adjustments out;
  out["decoder.positional_embedding"] = [state](size_t i, float v) {
    const bool late = static_cast<int>(i / state) >= kStopPosition;
    return (i % state == 0 && late) ? 300.0f : v;
  };
  out["decoder.token_embedding.weight"] = [state, eot](size_t i, float v) {
    if (static_cast<int>(i / state) != eot) return v;
    return i % state == 0 ? 8.0f : 0.0f;
  };
  return out;
}

// Every tensor whisper_model_load expects, with the shapes and types it checks.
std::vector<TensorSpec> TensorList(const WhisperModelSpec& spec, int n_vocab) {
  const int s = spec.state;
  std::vector<TensorSpec> t;
  t.push_back({"encoder.positional_embedding", {s, spec.audio_ctx}, kTypeF32, Init::kRandom, 0.1f});
  t.push_back({"encoder.conv1.weight", {3, spec.mels, s}, kTypeF16, Init::kRandom,
               1.0f / std::sqrt(3.0f * spec.mels)});
  t.push_back({"encoder.conv1.bias", {1, s}, kTypeF32, Init::kZeros});
  t.push_back({"encoder.conv2.weight", {3, s, s}, kTypeF16, Init::kRandom,
               1.0f / std::sqrt(3.0f * s)});
  t.push_back({"encoder.conv2.bias", {1, s}, kTypeF32, Init::kZeros});
  AddNorm(t, "encoder.ln_post", s);
  for (int i = 0; i < spec.layers; ++i) {
    const std::string block = "encoder.blocks." + std::to_string(i);
    AddMlp(t, block + ".mlp", s);
    AddNorm(t, block + ".attn_ln", s);
    AddAttention(t, block + ".attn", s);
  }
  t.push_back({"decoder.positional_embedding", {s, spec.text_ctx}, kTypeF32, Init::kRandom, 0.1f});
  t.push_back({"decoder.token_embedding.weight", {s, n_vocab}, kTypeF16, Init::kRandom, 3.0f});
  AddNorm(t, "decoder.ln", s);
  for (int i = 0; i < spec.layers; ++i) {
    const std::string block = "decoder.blocks." + std::to_string(i);
    AddMlp(t, block + ".mlp", s);
    AddNorm(t, block + ".attn_ln", s);
    AddAttention(t, block + ".attn", s);
    AddNorm(t, block + ".cross_attn_ln", s);
    AddAttention(t, block + ".cross_attn", s);
  }
  return t;
}

void WriteHeader(Writer& w, const WhisperModelSpec& spec, int n_vocab) {
  w.U32(kGgmlMagic);
  for (int v : {n_vocab, spec.audio_ctx, spec.state, spec.heads, spec.layers, spec.text_ctx,
                spec.state, spec.heads, spec.layers, spec.mels, kFtypeF16}) {
    w.I32(v);
  }
}

// Triangular filters spread linearly over the FFT bins: a plausible, deterministic bank.
void WriteMelFilters(Writer& w, int mels) {
  w.I32(mels);
  w.I32(kFftBins);
  const double step = static_cast<double>(kFftBins - 1) / (mels + 1);
  for (int m = 0; m < mels; ++m) {
    const double center = (m + 1) * step;
    for (int k = 0; k < kFftBins; ++k) {
      w.F32(static_cast<float>(std::max(0.0, 1.0 - std::abs(k - center) / step)));
    }
  }
}

// Text tokens only; whisper.cpp names the special and timestamp tokens itself.
void WriteVocab(Writer& w, bool multilingual) {
  const int text_tokens = multilingual ? 50257 : 50256;  // the end-of-text token's id
  w.I32(text_tokens);
  for (int id = 0; id < text_tokens; ++id) {
    const std::string text = TokenText(id);
    w.U32(static_cast<std::uint32_t>(text.size()));
    w.Bytes(text);
  }
}

void WriteTensor(Writer& w, const TensorSpec& t, const Adjust& adjust, std::mt19937& rng) {
  w.I32(static_cast<std::int32_t>(t.ne.size()));
  w.I32(static_cast<std::int32_t>(t.name.size()));
  w.I32(t.type);
  size_t count = 1;
  for (int d : t.ne) {
    w.I32(d);
    count *= static_cast<size_t>(d);
  }
  w.Bytes(t.name);
  for (size_t i = 0; i < count; ++i) {
    float v = t.init == Init::kOnes ? 1.0f : t.init == Init::kZeros ? 0.0f : Uniform(rng, t.scale);
    if (adjust) v = adjust(i, v);
    if (t.type == kTypeF16) {
      w.F16(v);
    } else {
      w.F32(v);
    }
  }
}

}  // namespace

std::vector<std::uint8_t> GenerateWhisperModel(const WhisperModelSpec& spec) {
  const int n_vocab = spec.multilingual ? kVocabMultilingual : kVocabEnglish;
  std::mt19937 rng(spec.seed);
  Writer w;
  WriteHeader(w, spec, n_vocab);
  WriteMelFilters(w, spec.mels);
  WriteVocab(w, spec.multilingual);
  const Adjustments adjustments = EndOfTextBias(spec.state, spec.multilingual ? 50257 : 50256);
  for (const TensorSpec& t : TensorList(spec, n_vocab)) {
    auto it = adjustments.find(t.name);
    WriteTensor(w, t, it != adjustments.end() ? it->second : Adjust{}, rng);
  }
  return w.Take();
}

bool WriteWhisperModel(const std::string& path, const WhisperModelSpec& spec, std::string* error) {
  if (spec.layers < 1 || spec.state < 1 || spec.heads < 1 || spec.state % spec.heads != 0) {
    if (error) *error = "invalid spec: layers, state and heads must be positive, state % heads == 0";
    return false;
  }
  const std::vector<std::uint8_t> bytes = GenerateWhisperModel(spec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    if (error) *error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

}  // namespace harvis::test_tools
