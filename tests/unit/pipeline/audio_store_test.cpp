#include "pipeline/audio_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace harvis::pipeline {
namespace {

using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

// A clock the test moves by hand.
struct FakeClock {
  TimePoint now{};
  AudioStore::Clock fn() {
    return [this] { return now; };
  }
};

std::string PutOk(AudioStore& store, std::string bytes) {
  auto id = store.Put(std::move(bytes));
  EXPECT_TRUE(id.ok()) << id.status().message();
  return id.ok() ? *id : std::string();
}

TEST(AudioStore, PutThenGetReturnsTheBytes) {
  AudioStore store;
  auto id = store.Put("RIFF....WAVE", "audio/x-test");
  ASSERT_TRUE(id.ok());
  EXPECT_TRUE(std::regex_match(*id, std::regex("[0-9a-f]{32}"))) << *id;
  auto got = store.Get(*id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got->bytes, "RIFF....WAVE");
  EXPECT_EQ(got->content_type, "audio/x-test");
  EXPECT_EQ(store.Put("x")->size(), 32u);
  EXPECT_EQ(store.Get(PutOk(store, "y"))->content_type, "audio/wav");
  EXPECT_EQ(store.size(), 3u);
  EXPECT_EQ(store.bytes(), 14u);
}

TEST(AudioStore, AcceptsAWavSuffix) {
  AudioStore store;
  const std::string id = PutOk(store, "abc");
  auto got = store.Get(id + ".wav");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->bytes, store.Get(id)->bytes);
  EXPECT_FALSE(store.Get(id + ".WAV").has_value());
  EXPECT_FALSE(store.Get(id + ".mp3").has_value());
  EXPECT_FALSE(store.Get(id + ".wav.wav").has_value());
}

TEST(AudioStore, IdsAreUnique) {
  AudioStore store;
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(PutOk(store, "a"));
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(AudioStore, HostileIdsNeverMatch) {
  AudioStore store;
  const std::string id = PutOk(store, "secret");
  std::string upper = id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == id) upper[0] = 'A';  // all digits: still make one letter uppercase
  const std::string tail31 = id.substr(1), tail30 = id.substr(2);
  const std::vector<std::string> hostile = {"",
                                            "..",
                                            "../x",
                                            "%2e%2e",
                                            "%2F",
                                            "/etc/passwd",
                                            "/" + id,
                                            id + "/",
                                            "../" + id,
                                            upper,
                                            id.substr(0, 31),
                                            id + "0",
                                            tail31 + ".wav",
                                            ".wav",
                                            id + ".wav\n",
                                            id + '\0',
                                            std::string(32, 'g'),
                                            " " + tail31,
                                            "./" + tail30,
                                            "/" + tail31,
                                            "%2F" + tail30.substr(1)};
  for (const std::string& bad : hostile) {
    EXPECT_FALSE(store.Get(bad).has_value()) << bad;
  }
  EXPECT_TRUE(store.Get(id).has_value());
}

TEST(AudioStore, ItemsExpireAfterTheTtl) {
  FakeClock clock;
  AudioStore store(AudioStoreOptions{.ttl = seconds(60)}, clock.fn());
  const std::string old_id = PutOk(store, "old");
  clock.now += seconds(30);
  const std::string new_id = PutOk(store, "new");
  clock.now += seconds(29);
  EXPECT_TRUE(store.Get(old_id).has_value());
  clock.now += seconds(1);  // old: 60 s
  EXPECT_FALSE(store.Get(old_id).has_value());
  EXPECT_TRUE(store.Get(new_id).has_value());
  EXPECT_EQ(store.size(), 1u);
  EXPECT_EQ(store.bytes(), 3u);
  clock.now += seconds(30);
  EXPECT_FALSE(store.Get(new_id).has_value());
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
}

TEST(AudioStore, EvictsTheOldestItemsToStayUnderTheCap) {
  AudioStore store(AudioStoreOptions{.max_bytes = 100});
  const std::string a = PutOk(store, std::string(40, 'a'));
  const std::string b = PutOk(store, std::string(40, 'b'));
  const std::string c = PutOk(store, std::string(40, 'c'));
  EXPECT_FALSE(store.Get(a).has_value());
  EXPECT_TRUE(store.Get(b).has_value());
  EXPECT_TRUE(store.Get(c).has_value());
  EXPECT_EQ(store.bytes(), 80u);
  const std::string d = PutOk(store, std::string(60, 'd'));
  EXPECT_FALSE(store.Get(b).has_value());
  EXPECT_TRUE(store.Get(c).has_value());
  EXPECT_TRUE(store.Get(d).has_value());
  EXPECT_EQ(store.bytes(), 100u);
  EXPECT_EQ(store.size(), 2u);
}

TEST(AudioStore, EvictedBytesStayValidForTheirHolder) {
  AudioStore store(AudioStoreOptions{.max_bytes = 10});
  const auto held = store.Get(PutOk(store, "0123456789"));
  PutOk(store, "x");  // evicts the first
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(*held->bytes, "0123456789");
}

TEST(AudioStore, RefusesOversizeItems) {
  AudioStore store(AudioStoreOptions{.max_bytes = 100, .max_item_bytes = 50});
  const std::string keep = PutOk(store, "keep");
  auto too_big = store.Put(std::string(51, 'x'));
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), ErrorCode::kResourceExhausted);
  AudioStore small(AudioStoreOptions{.max_bytes = 10, .max_item_bytes = 50});
  auto over_cap = small.Put(std::string(11, 'x'));
  ASSERT_FALSE(over_cap.ok());
  EXPECT_EQ(over_cap.status().code(), ErrorCode::kResourceExhausted);
  EXPECT_TRUE(store.Get(keep).has_value());  // nothing was evicted for a refused item
  EXPECT_EQ(store.bytes(), 4u);
  EXPECT_TRUE(store.Put(std::string(50, 'x')).ok());
}

TEST(AudioStore, ConcurrentPutAndGet) {
  AudioStore store(AudioStoreOptions{.max_bytes = 64 * 1024});
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> ids;
      for (int i = 0; i < 200; ++i) {
        const std::string body(100 + t * 10 + i % 7, static_cast<char>('a' + t));
        auto id = store.Put(body);
        ASSERT_TRUE(id.ok());
        ids.push_back(*id);
        if (auto got = store.Get(ids[i / 2]); got.has_value()) {
          EXPECT_EQ(got->bytes->front(), 'a' + t);
          ++found;
        }
        (void)store.bytes();
        (void)store.size();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GT(found.load(), 0);
  EXPECT_LE(store.bytes(), 64u * 1024);
}

}  // namespace
}  // namespace harvis::pipeline
