#include "audio/libav_decode.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string>

namespace harvis::audio::internal {
namespace {

constexpr int kIoBufferSize = 32 * 1024;
constexpr int kMaxChannels = 32;
constexpr int kMinRate = 100;
constexpr int kMaxRate = 768000;
// Demuxers we let read uploads (names as libavformat spells them). Anything else, e.g.
// playlists or image formats that a probe may claim, is refused with 415.
constexpr const char* kAllowedContainers =
    "wav,w64,rf64,ogg,matroska,webm,mp3,mov,mp4,m4a,3gp,flac,aac,caf,aiff";

Status Unprocessable(std::string message) {
  return Status(ErrorCode::kUnprocessable, std::move(message));
}

Status Unsupported(std::string message) {
  return Status(ErrorCode::kUnsupportedMedia, std::move(message));
}

// Float decoders can carry NaN, infinities or overs: callers get finite samples in [-1, 1].
float Sanitize(float v) {
  if (!std::isfinite(v)) return 0.0f;
  return std::clamp(v, -1.0f, 1.0f);
}

std::string AvError(int err) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, text, sizeof text);
  return text;
}

void SilenceLibavOnce() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

// The uploaded bytes, read by libavformat through callbacks.
struct MemoryReader {
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
};

int ReadPacket(void* opaque, uint8_t* buf, int buf_size) {
  auto* r = static_cast<MemoryReader*>(opaque);
  if (r->pos >= r->size) return AVERROR_EOF;
  const size_t n = std::min(r->size - r->pos, static_cast<size_t>(std::max(buf_size, 0)));
  std::memcpy(buf, r->data + r->pos, n);
  r->pos += n;
  return static_cast<int>(n);
}

int64_t Seek(void* opaque, int64_t offset, int whence) {
  auto* r = static_cast<MemoryReader*>(opaque);
  const int64_t size = static_cast<int64_t>(r->size);
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return size;
  int64_t base = 0;
  if (whence == SEEK_CUR) base = static_cast<int64_t>(r->pos);
  else if (whence == SEEK_END) base = size;
  else if (whence != SEEK_SET) return AVERROR(EINVAL);
  if (offset < -base || offset > size - base) return AVERROR(EINVAL);
  r->pos = static_cast<size_t>(base + offset);
  return base + offset;
}

// Demuxers must never open another resource (another file, a URL) on an upload's behalf.
int DenyIoOpen(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) {
  return AVERROR(EPERM);
}

// Codecs we decode: the ones browsers and phones record, plus PCM and ADPCM in WAV.
bool IsAllowedCodec(AVCodecID id) {
  switch (id) {
    case AV_CODEC_ID_OPUS: case AV_CODEC_ID_VORBIS: case AV_CODEC_ID_MP3:
    case AV_CODEC_ID_MP2: case AV_CODEC_ID_AAC: case AV_CODEC_ID_FLAC:
    case AV_CODEC_ID_ALAC: case AV_CODEC_ID_GSM_MS: case AV_CODEC_ID_AMR_NB:
    case AV_CODEC_ID_AMR_WB:
      return true;
    default:
      break;
  }
  // All PCM variants (A-law, mu-law, big-endian, ...) and ADPCM variants.
  return (id >= AV_CODEC_ID_FIRST_AUDIO && id < AV_CODEC_ID_AMR_NB);
}

// One decode: owns every libav object it creates and frees them in reverse order.
class LibavDecoder {
 public:
  LibavDecoder(std::string_view bytes, const DecodeLimits& limits);
  ~LibavDecoder();
  LibavDecoder(const LibavDecoder&) = delete;
  LibavDecoder& operator=(const LibavDecoder&) = delete;

  Result<std::vector<float>> Run();

 private:
  Status OpenContainer();
  Status OpenDecoder();
  Status DecodeAll();
  Status Decode(const AVPacket* packet);
  Status EnsureResampler(const AVFrame* frame);
  Status Convert(const uint8_t** input, int input_samples);

  MemoryReader reader_;
  size_t max_samples_ = 0;
  double max_seconds_ = 0;
  AVIOContext* io_ = nullptr;
  AVFormatContext* format_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  SwrContext* swr_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* packet_ = nullptr;
  int stream_index_ = -1;
  int swr_rate_ = 0, swr_format_ = -1, swr_channels_ = 0;
  int bad_packets_ = 0;
  std::string container_ = "audio";
  std::string codec_name_ = "audio";
  std::vector<float> out_;
};

LibavDecoder::LibavDecoder(std::string_view bytes, const DecodeLimits& limits) {
  reader_.data = reinterpret_cast<const uint8_t*>(bytes.data());
  reader_.size = bytes.size();
  max_seconds_ = std::max(0.0, limits.max_duration_seconds);
  max_samples_ = static_cast<size_t>(std::llround(std::min(max_seconds_, 1e7) * kSttSampleRate));
}

LibavDecoder::~LibavDecoder() {
  swr_free(&swr_);
  av_packet_free(&packet_);
  av_frame_free(&frame_);
  avcodec_free_context(&codec_);
  avformat_close_input(&format_);  // custom I/O: does not touch io_
  if (io_ != nullptr) {
    av_freep(&io_->buffer);
    avio_context_free(&io_);
  }
}

Status LibavDecoder::OpenContainer() {
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferSize));
  if (buffer == nullptr) return Status(ErrorCode::kInternal, "out of memory");
  io_ = avio_alloc_context(buffer, kIoBufferSize, 0, &reader_, ReadPacket, nullptr, Seek);
  if (io_ == nullptr) {
    av_free(buffer);
    return Status(ErrorCode::kInternal, "out of memory");
  }
  const AVInputFormat* probed = nullptr;
  if (av_probe_input_buffer2(io_, &probed, "", nullptr, 0, 0) < 0 || probed == nullptr) {
    return Unsupported("unrecognised audio format");
  }
  container_ = probed->name;
  if (av_match_list(probed->name, kAllowedContainers, ',') <= 0) {
    return Unsupported("unsupported container '" + container_ + "' (" +
                       (probed->long_name ? probed->long_name : "unknown") + ")");
  }
  format_ = avformat_alloc_context();
  if (format_ == nullptr) return Status(ErrorCode::kInternal, "out of memory");
  format_->pb = io_;
  format_->flags |= AVFMT_FLAG_CUSTOM_IO;
  format_->io_open = DenyIoOpen;
  int err = avformat_open_input(&format_, "", probed, nullptr);  // frees format_ on error
  if (err < 0) return Unprocessable("cannot read " + container_ + " audio: " + AvError(err));
  avformat_find_stream_info(format_, nullptr);  // best effort: decoding finds the rest
  return Status::Ok();
}

Status LibavDecoder::OpenDecoder() {
  stream_index_ = av_find_best_stream(format_, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (stream_index_ < 0) return Unsupported("no audio stream in " + container_ + " file");
  const AVCodecParameters* params = format_->streams[stream_index_]->codecpar;
  codec_name_ = avcodec_get_name(params->codec_id);
  const AVCodec* decoder = avcodec_find_decoder(params->codec_id);
  if (!IsAllowedCodec(params->codec_id) || decoder == nullptr) {
    return Unsupported("unsupported audio codec '" + codec_name_ + "' in " + container_);
  }
  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_index_) format_->streams[i]->discard = AVDISCARD_ALL;
  }
  codec_ = avcodec_alloc_context3(decoder);
  frame_ = av_frame_alloc();
  packet_ = av_packet_alloc();
  if (codec_ == nullptr || frame_ == nullptr || packet_ == nullptr) {
    return Status(ErrorCode::kInternal, "out of memory");
  }
  int err = avcodec_parameters_to_context(codec_, params);
  codec_->thread_count = 1;
  if (err >= 0) err = avcodec_open2(codec_, decoder, nullptr);
  if (err < 0) return Unprocessable("cannot decode " + codec_name_ + " audio: " + AvError(err));
  return Status::Ok();
}

// (Re)creates the converter to 16 kHz mono float when the decoded format changes,
// first draining what the previous one still holds.
Status LibavDecoder::EnsureResampler(const AVFrame* frame) {
  const int channels = frame->ch_layout.nb_channels;
  if (channels < 1 || channels > kMaxChannels) {
    return Unprocessable(codec_name_ + " audio has " + std::to_string(channels) + " channels");
  }
  if (frame->sample_rate < kMinRate || frame->sample_rate > kMaxRate) {
    return Unprocessable(codec_name_ + " audio has a sample rate of " +
                         std::to_string(frame->sample_rate) + " Hz");
  }
  if (av_get_bytes_per_sample(static_cast<AVSampleFormat>(frame->format)) <= 0) {
    return Unprocessable(codec_name_ + " decoder produced an unknown sample format");
  }
  if (swr_ != nullptr && frame->sample_rate == swr_rate_ && frame->format == swr_format_ &&
      channels == swr_channels_) {
    return Status::Ok();
  }
  if (swr_ != nullptr) {
    Status drained = Convert(nullptr, 0);
    if (!drained.ok()) return drained;
    swr_free(&swr_);
  }
  AVChannelLayout in_layout, out_layout = AV_CHANNEL_LAYOUT_MONO;
  av_channel_layout_default(&in_layout, channels);
  int err = swr_alloc_set_opts2(&swr_, &out_layout, AV_SAMPLE_FMT_FLT, kSttSampleRate,
                                &in_layout, static_cast<AVSampleFormat>(frame->format),
                                frame->sample_rate, 0, nullptr);
  if (err >= 0 && channels > 1) {
    const std::vector<double> average(static_cast<size_t>(channels), 1.0 / channels);
    err = swr_set_matrix(swr_, average.data(), channels);
  }
  if (err >= 0) err = swr_init(swr_);
  if (err < 0) return Unprocessable("cannot convert " + codec_name_ + " audio: " + AvError(err));
  swr_rate_ = frame->sample_rate;
  swr_format_ = frame->format;
  swr_channels_ = channels;
  return Status::Ok();
}

// Appends converted samples (input == nullptr drains the converter), never holding
// more than one sample beyond the duration limit.
Status LibavDecoder::Convert(const uint8_t** input, int input_samples) {
  if (swr_ == nullptr) return Status::Ok();
  const int capacity = swr_get_out_samples(swr_, input_samples);
  if (capacity < 0) return Unprocessable("cannot convert " + codec_name_ + " audio");
  const size_t room = max_samples_ + 1 - out_.size();
  const size_t want = std::min(static_cast<size_t>(capacity), room);
  const size_t old_size = out_.size();
  out_.resize(old_size + want);
  auto* dst = reinterpret_cast<uint8_t*>(out_.data() + old_size);
  const int got = swr_convert(swr_, &dst, static_cast<int>(want), input, input_samples);
  out_.resize(old_size + static_cast<size_t>(std::max(got, 0)));
  for (size_t i = old_size; i < out_.size(); ++i) out_[i] = Sanitize(out_[i]);
  if (got < 0) return Unprocessable("cannot convert " + codec_name_ + " audio: " + AvError(got));
  if (out_.size() > max_samples_) return AudioTooLong(max_seconds_);
  return Status::Ok();
}

Status LibavDecoder::Decode(const AVPacket* packet) {
  if (avcodec_send_packet(codec_, packet) < 0 && packet != nullptr) {
    ++bad_packets_;  // a corrupt packet: skip it, keep what decodes
    return Status::Ok();
  }
  while (true) {
    const int err = avcodec_receive_frame(codec_, frame_);
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return Status::Ok();
    if (err < 0) {
      ++bad_packets_;
      return Status::Ok();
    }
    Status status = Status::Ok();
    if (frame_->nb_samples > 0) {
      status = EnsureResampler(frame_);
      if (status.ok()) {
        status = Convert(const_cast<const uint8_t**>(frame_->extended_data), frame_->nb_samples);
      }
    }
    av_frame_unref(frame_);
    if (!status.ok()) return status;
  }
}

Status LibavDecoder::DecodeAll() {
  while (av_read_frame(format_, packet_) >= 0) {  // errors mid-file end the stream
    Status status = Status::Ok();
    if (packet_->stream_index == stream_index_) status = Decode(packet_);
    av_packet_unref(packet_);
    if (!status.ok()) return status;
  }
  Status status = Decode(nullptr);
  if (!status.ok()) return status;
  return Convert(nullptr, 0);
}

Result<std::vector<float>> LibavDecoder::Run() {
  SilenceLibavOnce();
  Status status = OpenContainer();
  if (status.ok()) status = OpenDecoder();
  if (status.ok()) status = DecodeAll();
  if (!status.ok()) return status;
  if (out_.empty()) {
    if (bad_packets_ > 0) {
      return Unprocessable("corrupt " + codec_name_ + " audio in " + container_ +
                           ": nothing decodable");
    }
    return Unprocessable(container_ + " file contains no " + codec_name_ + " samples");
  }
  return std::move(out_);
}

}  // namespace

Result<std::vector<float>> DecodeWithLibav(std::string_view bytes, const DecodeLimits& limits) {
  LibavDecoder decoder(bytes, limits);
  return decoder.Run();
}

}  // namespace harvis::audio::internal
