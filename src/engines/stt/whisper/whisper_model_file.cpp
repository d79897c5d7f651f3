#include "engines/stt/whisper/whisper_model_file.h"

#if HARVIS_WITH_WHISPER

#include <cerrno>
#include <cstring>
#include <fstream>

#include "ggml.h"

namespace harvis {
namespace {

constexpr std::uint32_t kGgmlMagic = 0x67676d6c;  // "ggml"
constexpr std::int32_t kMaxDim = 1 << 20;
constexpr std::int32_t kMaxLayers = 256;
constexpr std::uint32_t kMaxTokenBytes = 4096;
constexpr std::int32_t kMaxNameBytes = 512;

// Bounds-checked little-endian reader over a byte vector.
class Cursor {
 public:
  explicit Cursor(const std::vector<std::uint8_t>& bytes) : bytes_(bytes) {}

  bool Read(void* out, size_t n) {
    if (n > remaining()) return false;
    std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  template <typename T>
  bool Get(T& out) {
    return Read(&out, sizeof(T));
  }
  bool Skip(std::uint64_t n) {
    if (n > remaining()) return false;
    pos_ += static_cast<size_t>(n);
    return true;
  }
  size_t remaining() const { return bytes_.size() - pos_; }
  size_t pos() const { return pos_; }

 private:
  const std::vector<std::uint8_t>& bytes_;
  size_t pos_ = 0;
};

Status Corrupt(const std::string& source, const std::string& what) {
  return Status(ErrorCode::kInvalidArgument,
                source + ": not a valid whisper.cpp model: " + what);
}

bool InRange(std::int32_t v, std::int32_t lo, std::int32_t hi) { return v >= lo && v <= hi; }

Status CheckHParams(const WhisperHParams& h, const std::string& source) {
  // whisper.cpp derives its special-token ids from n_vocab; below 51864 they are invalid.
  if (!InRange(h.n_vocab, 51864, kMaxDim)) {
    return Corrupt(source, "n_vocab " + std::to_string(h.n_vocab) + " out of range");
  }
  if (!InRange(h.n_audio_ctx, 1, kMaxDim) || !InRange(h.n_text_ctx, 1, kMaxDim) ||
      !InRange(h.n_audio_state, 1, kMaxDim) || !InRange(h.n_mels, 1, 1024)) {
    return Corrupt(source, "context, state or mel sizes out of range");
  }
  if (h.n_text_state != h.n_audio_state) {
    return Corrupt(source, "n_text_state differs from n_audio_state");
  }
  if (!InRange(h.n_audio_layer, 1, kMaxLayers) || !InRange(h.n_text_layer, 1, kMaxLayers)) {
    return Corrupt(source, "layer counts out of range");
  }
  if (!InRange(h.n_audio_head, 1, h.n_audio_state) || h.n_audio_state % h.n_audio_head != 0 ||
      !InRange(h.n_text_head, 1, h.n_text_state) || h.n_text_state % h.n_text_head != 0) {
    return Corrupt(source, "head counts do not divide the state size");
  }
  if (h.ftype < 0) return Corrupt(source, "negative ftype");
  return Status::Ok();
}

Result<WhisperHParams> ReadHeader(Cursor& in, const std::string& source) {
  std::uint32_t magic = 0;
  if (!in.Get(magic)) return Corrupt(source, "file is too short for a header");
  if (magic != kGgmlMagic) return Corrupt(source, "bad magic (expected a ggml Whisper model)");
  WhisperHParams h;
  for (std::int32_t* field : {&h.n_vocab, &h.n_audio_ctx, &h.n_audio_state, &h.n_audio_head,
                              &h.n_audio_layer, &h.n_text_ctx, &h.n_text_state, &h.n_text_head,
                              &h.n_text_layer, &h.n_mels, &h.ftype}) {
    if (!in.Get(*field)) return Corrupt(source, "truncated header");
  }
  if (Status st = CheckHParams(h, source); !st.ok()) return st;
  return h;
}

Status SkipMelFiltersAndVocab(Cursor& in, const WhisperHParams& h, const std::string& source) {
  std::int32_t n_mel = 0, n_fft = 0;
  if (!in.Get(n_mel) || !in.Get(n_fft)) return Corrupt(source, "truncated mel filters");
  if (!InRange(n_mel, 1, 1024) || !InRange(n_fft, 1, 1 << 16) ||
      !in.Skip(std::uint64_t{4} * static_cast<std::uint64_t>(n_mel) *
               static_cast<std::uint64_t>(n_fft))) {
    return Corrupt(source, "bad or truncated mel filters");
  }
  std::int32_t n_tokens = 0;
  if (!in.Get(n_tokens) || !InRange(n_tokens, 0, h.n_vocab)) {
    return Corrupt(source, "bad vocabulary size");
  }
  for (std::int32_t i = 0; i < n_tokens; ++i) {
    std::uint32_t len = 0;
    if (!in.Get(len) || len > kMaxTokenBytes || !in.Skip(len)) {
      return Corrupt(source, "truncated or corrupt vocabulary at token " + std::to_string(i));
    }
  }
  return Status::Ok();
}

// Reads one tensor record; adds its data size to `bytes`.
Status SkipTensor(Cursor& in, const std::string& source, std::uint64_t& bytes) {
  std::int32_t n_dims = 0, name_len = 0, type = 0;
  if (!in.Get(n_dims) || !in.Get(name_len) || !in.Get(type)) {
    return Corrupt(source, "truncated tensor header at byte " + std::to_string(in.pos()));
  }
  if (!InRange(n_dims, 1, 4) || !InRange(name_len, 1, kMaxNameBytes) ||
      !InRange(type, 0, GGML_TYPE_COUNT - 1)) {
    return Corrupt(source, "corrupt tensor header at byte " + std::to_string(in.pos()));
  }
  const auto ggml_t = static_cast<ggml_type>(type);
  const std::int64_t block = ggml_blck_size(ggml_t);
  const size_t block_bytes = ggml_type_size(ggml_t);
  if (block <= 0 || block_bytes == 0) return Corrupt(source, "unsupported tensor type");
  std::uint64_t elements = 1;
  for (std::int32_t d = 0; d < n_dims; ++d) {
    std::int32_t ne = 0;
    if (!in.Get(ne) || !InRange(ne, 1, 1 << 30)) return Corrupt(source, "corrupt tensor shape");
    elements *= static_cast<std::uint64_t>(ne);
    if (elements > (std::uint64_t{1} << 40)) return Corrupt(source, "tensor too large");
  }
  std::string name(static_cast<size_t>(name_len), '\0');
  if (!in.Read(name.data(), name.size())) return Corrupt(source, "truncated tensor name");
  const std::uint64_t data = elements / static_cast<std::uint64_t>(block) * block_bytes;
  if (!in.Skip(data)) {
    return Corrupt(source, "truncated: tensor '" + name + "' needs " + std::to_string(data) +
                               " bytes, " + std::to_string(in.remaining()) + " left");
  }
  bytes += data;
  return Status::Ok();
}

}  // namespace

Result<ModelBytes> ReadModelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return Status(ErrorCode::kFailedPrecondition,
                  "model file '" + path + "' cannot be opened: " + std::strerror(errno));
  }
  const std::streamoff size = in.tellg();
  if (size < 0) {
    return Status(ErrorCode::kFailedPrecondition, "model file '" + path + "' cannot be read");
  }
  auto bytes = std::make_shared<std::vector<std::uint8_t>>(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(bytes->data()), size)) {
    return Status(ErrorCode::kFailedPrecondition, "model file '" + path + "' cannot be read");
  }
  return ModelBytes(std::move(bytes));
}

Result<WhisperModelInfo> InspectWhisperModel(const std::vector<std::uint8_t>& bytes,
                                             const std::string& source) {
  Cursor in(bytes);
  auto header = ReadHeader(in, source);
  if (!header.ok()) return header.status();
  WhisperModelInfo info;
  info.hparams = *header;
  if (Status st = SkipMelFiltersAndVocab(in, info.hparams, source); !st.ok()) return st;
  while (in.remaining() > 0) {
    if (Status st = SkipTensor(in, source, info.weight_bytes); !st.ok()) return st;
    ++info.tensors;
  }
  const WhisperHParams& h = info.hparams;
  // The tensors whisper_model_load creates: 7 + 15 per encoder layer, 4 + 24 per decoder layer.
  const int expected = 11 + 15 * h.n_audio_layer + 24 * h.n_text_layer;
  if (info.tensors != expected) {
    return Corrupt(source, "has " + std::to_string(info.tensors) + " tensors, expected " +
                               std::to_string(expected) + " (truncated?)");
  }
  return info;
}

Result<WhisperHParams> ReadWhisperHParams(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::vector<std::uint8_t> head(4 + 11 * 4);
  if (!file || !file.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()))) {
    return Status(ErrorCode::kFailedPrecondition, "model file '" + path + "' cannot be read");
  }
  Cursor in(head);
  return ReadHeader(in, path);
}

std::uint64_t EstimateWhisperStateBytes(const WhisperHParams& h) {
  auto pad256 = [](std::int64_t n) { return static_cast<std::uint64_t>((n + 255) / 256 * 256); };
  const std::uint64_t state = static_cast<std::uint64_t>(h.n_text_state);
  const std::uint64_t f16_kv = 2 /* k and v */ * 2 /* bytes */;
  // The KV caches whisper_init_state allocates (self, cross, pad), all f16.
  const std::uint64_t kv = f16_kv * state *
                           (static_cast<std::uint64_t>(h.n_text_layer) *
                                (pad256(h.n_text_ctx) + pad256(h.n_audio_ctx)) +
                            pad256(h.n_audio_ctx));
  // Compute buffers: the decoder's worst case holds logits for n_text_ctx tokens; the
  // encoder's activations are a few dozen rows of n_audio_ctx x n_audio_state floats.
  const std::uint64_t logits = 4ull * static_cast<std::uint64_t>(h.n_text_ctx) *
                               static_cast<std::uint64_t>(h.n_vocab);
  const std::uint64_t encoder = 4ull * 32 * static_cast<std::uint64_t>(h.n_audio_ctx) * state;
  return kv + logits + encoder;
}

}  // namespace harvis

#endif  // HARVIS_WITH_WHISPER
