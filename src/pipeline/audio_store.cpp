#include "pipeline/audio_store.h"

#include <openssl/rand.h>

#include <array>
#include <random>

namespace harvis::pipeline {
namespace {

constexpr std::string_view kWavSuffix = ".wav";
constexpr size_t kIdChars = 32;

// The bare id when `id` matches ^[0-9a-f]{32}(\.wav)?$, else an empty view.
std::string_view CanonicalId(std::string_view id) {
  if (id.size() == kIdChars + kWavSuffix.size() && id.substr(kIdChars) == kWavSuffix) {
    id.remove_suffix(kWavSuffix.size());
  }
  if (id.size() != kIdChars) return {};
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return {};
  }
  return id;
}

// 128 random bits from OpenSSL's CSPRNG (the OS source should that ever fail), in hex.
std::string NewId() {
  std::array<unsigned char, kIdChars / 2> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    std::random_device os;
    for (auto& b : raw) b = static_cast<unsigned char>(os());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : raw) {
    id += kHex[b >> 4];
    id += kHex[b & 0xF];
  }
  return id;
}

}  // namespace

AudioStore::AudioStore(AudioStoreOptions o, Clock now) : opt_(o), now_(std::move(now)) {}

Result<std::string> AudioStore::Put(std::string bytes, std::string content_type) {
  const uint64_t size = bytes.size();
  if (size > opt_.max_item_bytes || size > opt_.max_bytes) {
    return Status(ErrorCode::kResourceExhausted,
                  "audio of " + std::to_string(size) + " bytes exceeds the audio store's limit");
  }
  StoredAudio audio{std::make_shared<const std::string>(std::move(bytes)), std::move(content_type)};
  std::string id = NewId();
  std::lock_guard lock(mu_);
  const auto now = now_();
  DropExpired(now);
  while (bytes_ + size > opt_.max_bytes) EvictOldest();  // ends: size <= max_bytes
  while (items_.count(id) > 0) id = NewId();
  items_.emplace(id, Item{std::move(audio), now});
  order_.push_back(id);
  bytes_ += size;
  return id;
}

std::optional<StoredAudio> AudioStore::Get(std::string_view id) const {
  const std::string_view key = CanonicalId(id);
  if (key.empty()) return std::nullopt;
  std::lock_guard lock(mu_);
  const auto now = now_();
  DropExpired(now);
  const auto it = items_.find(std::string(key));
  if (it == items_.end() || now - it->second.stored_at >= opt_.ttl) return std::nullopt;
  return it->second.audio;
}

uint64_t AudioStore::bytes() const {
  std::lock_guard lock(mu_);
  DropExpired(now_());
  return bytes_;
}

size_t AudioStore::size() const {
  std::lock_guard lock(mu_);
  DropExpired(now_());
  return items_.size();
}

void AudioStore::DropExpired(std::chrono::steady_clock::time_point now) const {
  while (!order_.empty() && now - items_.at(order_.front()).stored_at >= opt_.ttl) EvictOldest();
}

void AudioStore::EvictOldest() const {
  const auto it = items_.find(order_.front());
  bytes_ -= it->second.audio.bytes->size();
  items_.erase(it);
  order_.pop_front();
}

}  // namespace harvis::pipeline
