#include "engines/stt/pocketsphinx/pocketsphinx_decoder.h"

#include <pocketsphinx.h>
#include <sphinxbase/err.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <system_error>

#include <unistd.h>

#ifndef HARVIS_POCKETSPHINX_MODELDIR
#define HARVIS_POCKETSPHINX_MODELDIR "/usr/share/pocketsphinx/model"
#endif

namespace harvis::stt {
namespace {

namespace fs = std::filesystem;

// Serialises decoder creation in the process, so that the RSS delta measured around
// ps_init belongs to that decoder (and sphinxbase's global logger is set up once).
std::mutex g_load_mu;
bool g_logging_off = false;  // guarded by g_load_mu

constexpr double kPauseSeconds = 0.3;  // a silence this long ends a segment
constexpr std::size_t kMaxSegmentWords = 20;

std::uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t total_pages = 0, resident_pages = 0;
  if (!(statm >> total_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::uint64_t SizeOf(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::uint64_t total = 0;
    for (const auto& entry : fs::directory_iterator(path, ec)) total += SizeOf(entry.path());
    return total;
  }
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : static_cast<std::uint64_t>(size);
}

std::int16_t ToInt16(float sample) {
  if (!std::isfinite(sample)) return 0;
  const float clamped = std::clamp(sample, -1.0f, 1.0f);
  return static_cast<std::int16_t>(std::lround(clamped * 32767.0f));
}

std::vector<std::int16_t> ToSamples(const std::vector<float>& pcm) {
  std::vector<std::int16_t> samples(pcm.size());
  std::transform(pcm.begin(), pcm.end(), samples.begin(), ToInt16);
  return samples;
}

// "read(2)" -> "read"; fillers ("<s>", "</s>", "<sil>", "[NOISE]") -> "".
std::string SpokenWord(const char* raw) {
  std::string word = raw != nullptr ? raw : "";
  if (word.empty() || word.front() == '<' || word.front() == '[') return "";
  const std::size_t paren = word.find('(');
  if (paren != std::string::npos && paren > 0) word.resize(paren);
  return word;
}

// Groups the decoder's word segments into phrases separated by pauses.
class SegmentBuilder {
 public:
  SegmentBuilder(int frame_rate, double duration_s)
      : seconds_per_frame_(1.0 / frame_rate), duration_s_(duration_s) {}

  void Add(const char* raw, int start_frame, int end_frame) {
    const double start = std::clamp(start_frame * seconds_per_frame_, 0.0, duration_s_);
    const double end = std::clamp((end_frame + 1) * seconds_per_frame_, start, duration_s_);
    const std::string word = SpokenWord(raw);
    if (word.empty()) {
      if (end - start >= kPauseSeconds) Close();
      return;
    }
    if (words_ == 0) current_.start_s = start;
    current_.text += (words_ == 0 ? "" : " ") + word;
    current_.end_s = end;
    if (++words_ >= kMaxSegmentWords) Close();
  }

  Transcript Finish() {
    Close();
    Transcript out;
    out.language = "en";
    out.duration_s = duration_s_;
    for (const TranscriptSegment& s : segments_) out.text += (out.text.empty() ? "" : " ") + s.text;
    out.segments = std::move(segments_);
    return out;
  }

 private:
  void Close() {
    if (words_ > 0) segments_.push_back(current_);
    current_ = TranscriptSegment{};
    words_ = 0;
  }

  double seconds_per_frame_;
  double duration_s_;
  TranscriptSegment current_;
  std::size_t words_ = 0;
  std::vector<TranscriptSegment> segments_;
};

}  // namespace

PocketsphinxPaths PocketsphinxPaths::Defaults() {
  const fs::path base = fs::path(HARVIS_POCKETSPHINX_MODELDIR) / "en-us";
  return {(base / "en-us").string(), (base / "en-us.lm.bin").string(),
          (base / "cmudict-en-us.dict").string()};
}

Status PocketsphinxPaths::Check() const {
  const std::pair<const char*, const std::string*> items[] = {{"acoustic model (path)", &hmm},
                                                              {"language model (options.lm)", &lm},
                                                              {"dictionary (options.dict)", &dict}};
  for (const auto& [what, path] : items) {
    std::error_code ec;
    if (path->empty() || !fs::exists(*path, ec)) {
      return Status(ErrorCode::kFailedPrecondition,
                    std::string("pocketsphinx ") + what + " not found: '" + *path + "'");
    }
  }
  if (std::error_code ec; !fs::exists(fs::path(hmm) / "mdef", ec)) {
    return Status(ErrorCode::kFailedPrecondition,
                  "pocketsphinx acoustic model folder '" + hmm + "' has no mdef file");
  }
  return Status::Ok();
}

std::uint64_t PocketsphinxPaths::FileBytes() const {
  return SizeOf(hmm) + SizeOf(lm) + SizeOf(dict);
}

Result<std::unique_ptr<PocketsphinxDecoder>> PocketsphinxDecoder::Create(
    const PocketsphinxPaths& paths) {
  if (Status st = paths.Check(); !st.ok()) return st;
  std::lock_guard lock(g_load_mu);
  if (!g_logging_off) {
    // Process-wide: instead of "-logfn /dev/null", whose ps_init would swap (and close)
    // the global log FILE* under decoders already running on other threads.
    err_set_logfp(nullptr);
    g_logging_off = true;
  }
  const std::uint64_t before = ResidentBytes();
  cmd_ln_t* config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", paths.hmm.c_str(), "-lm",
                                 paths.lm.c_str(), "-dict", paths.dict.c_str(), nullptr);
  if (config == nullptr) {
    return Status(ErrorCode::kFailedPrecondition, "pocketsphinx: invalid configuration");
  }
  ps_decoder_t* decoder = ps_init(config);
  if (decoder == nullptr) {
    cmd_ln_free_r(config);
    return Status(ErrorCode::kFailedPrecondition, "pocketsphinx: cannot load the model (hmm '" +
                                                      paths.hmm + "', lm '" + paths.lm +
                                                      "', dict '" + paths.dict + "')");
  }
  const std::uint64_t after = ResidentBytes();
  const std::uint64_t measured = after > before ? after - before : 0;
  return std::unique_ptr<PocketsphinxDecoder>(
      new PocketsphinxDecoder(config, decoder, std::max(measured, paths.FileBytes())));
}

PocketsphinxDecoder::PocketsphinxDecoder(cmd_ln_s* config, ps_decoder_s* decoder,
                                         std::uint64_t footprint)
    : config_(config), decoder_(decoder), footprint_bytes_(footprint) {
  const long frate = cmd_ln_int32_r(config_, "-frate");
  frame_rate_ = frate > 0 ? static_cast<int>(frate) : 100;
}

PocketsphinxDecoder::~PocketsphinxDecoder() {
  ps_free(decoder_);
  cmd_ln_free_r(config_);
}

Result<Transcript> PocketsphinxDecoder::Decode(const std::vector<float>& pcm) {
  if (ps_start_utt(decoder_) < 0) {
    return Status(ErrorCode::kInternal, "pocketsphinx: cannot start an utterance");
  }
  // The whole utterance goes in one call (full_utt: normalised over the whole audio).
  const std::vector<std::int16_t> samples = ToSamples(pcm);
  if (!samples.empty() &&
      ps_process_raw(decoder_, samples.data(), samples.size(), FALSE, TRUE) < 0) {
    ps_end_utt(decoder_);
    return Status(ErrorCode::kInternal, "pocketsphinx: decoding failed");
  }
  if (ps_end_utt(decoder_) < 0) {
    return Status(ErrorCode::kInternal, "pocketsphinx: cannot end the utterance");
  }
  return Collect(static_cast<double>(pcm.size()) / 16000.0);
}

Status PocketsphinxDecoder::StartStream() {
  stream_samples_ = 0;
  if (ps_start_utt(decoder_) < 0) {
    return Status(ErrorCode::kInternal, "pocketsphinx: cannot start an utterance");
  }
  return Status::Ok();
}

Status PocketsphinxDecoder::FeedStream(const std::vector<float>& pcm) {
  const std::vector<std::int16_t> samples = ToSamples(pcm);
  if (!samples.empty() && ps_process_raw(decoder_, samples.data(), samples.size(), FALSE, FALSE) < 0) {
    return Status(ErrorCode::kInternal, "pocketsphinx: decoding failed");
  }
  stream_samples_ += samples.size();
  return Status::Ok();
}

std::string PocketsphinxDecoder::StreamHypothesis() {
  const char* hyp = ps_get_hyp(decoder_, nullptr);
  return hyp != nullptr ? hyp : "";
}

Result<Transcript> PocketsphinxDecoder::FinishStream() {
  if (ps_end_utt(decoder_) < 0) {
    return Status(ErrorCode::kInternal, "pocketsphinx: cannot end the utterance");
  }
  return Collect(static_cast<double>(stream_samples_) / 16000.0);
}

void PocketsphinxDecoder::AbortStream() { ps_end_utt(decoder_); }

Result<Transcript> PocketsphinxDecoder::Collect(double duration_s) {
  struct Word {
    const char* raw;
    int start, end;
  };
  std::vector<Word> words;
  for (ps_seg_t* seg = ps_seg_iter(decoder_); seg != nullptr; seg = ps_seg_next(seg)) {
    Word w{ps_seg_word(seg), 0, 0};
    ps_seg_frames(seg, &w.start, &w.end);
    words.push_back(w);
  }
  // The utterance begins with "<s>" at its frame 0, wherever the decoder numbers it.
  const int first_frame = !words.empty() && std::string_view(words[0].raw) == "<s>" ? words[0].start : 0;
  SegmentBuilder builder(frame_rate_, duration_s);
  for (const Word& w : words) builder.Add(w.raw, w.start - first_frame, w.end - first_frame);
  return builder.Finish();
}

}  // namespace harvis::stt
