#include "core/download.h"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

namespace harvis {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Transfer {
  std::FILE* out = nullptr;
  uint64_t resumed_from = 0;
  Clock::time_point started = Clock::now();
  const DownloadOptions* options = nullptr;
  bool write_failed = false;
};

size_t WriteChunk(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (std::fwrite(data, 1, n, t->out) != n) {
    t->write_failed = true;
    return 0;  // makes curl abort with CURLE_WRITE_ERROR
  }
  return n;
}

int Progress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->options->on_progress) return 0;
  double seconds = std::chrono::duration<double>(Clock::now() - t->started).count();
  DownloadProgress p;
  p.received = t->resumed_from + static_cast<uint64_t>(now);
  p.total = total > 0 ? t->resumed_from + static_cast<uint64_t>(total) : 0;
  p.bytes_per_second = seconds > 0 ? static_cast<double>(now) / seconds : 0;
  t->options->on_progress(p);
  return 0;
}

Status CurlError(CURLcode rc, const std::string& url, long http_status) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return {ErrorCode::kUnavailable, "cannot reach " + url + ": " + curl_easy_strerror(rc) +
                                           " (is this machine offline? models can also be copied into the models folder by hand)"};
    case CURLE_OPERATION_TIMEDOUT:
      return {ErrorCode::kTimeout, "download of " + url + " stalled or timed out"};
    case CURLE_HTTP_RETURNED_ERROR:
      return {http_status == 404 ? ErrorCode::kNotFound : ErrorCode::kBadGateway,
              url + " answered HTTP " + std::to_string(http_status)};
    default:
      return {ErrorCode::kUnavailable, "download of " + url + " failed: " + curl_easy_strerror(rc) +
                                           " (run the same command again to resume)"};
  }
}

// Runs one transfer appending to `partial` from its current size.
Status Fetch(const std::string& url, const std::string& partial, const DownloadOptions& options) {
  std::error_code ec;
  uint64_t have = fs::exists(partial, ec) ? fs::file_size(partial, ec) : 0;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  std::unique_ptr<std::FILE, decltype(&std::fclose)> out(std::fopen(partial.c_str(), "ab"), std::fclose);
  if (!curl || !out) return {ErrorCode::kFailedPrecondition, "cannot write " + partial};
  Transfer t{out.get(), have, Clock::now(), &options, false};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.stall_timeout.count()));
  curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(have));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, WriteChunk);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (t.write_failed) return {ErrorCode::kFailedPrecondition, "cannot write " + partial + " (disk full?)"};
  if (rc == CURLE_HTTP_RETURNED_ERROR && status == 416) {
    return Status::Ok();  // the partial file already holds the whole body
  }
  if (rc == CURLE_RANGE_ERROR) {
    // The server cannot resume: start again from the first byte.
    out.reset();
    fs::remove(partial, ec);
    return have > 0 ? Fetch(url, partial, options) : CurlError(rc, url, status);
  }
  if (rc != CURLE_OK) return CurlError(rc, url, status);
  return Status::Ok();
}

}  // namespace

namespace {

Result<std::string> HexDigestOfFile(const std::string& path, const EVP_MD* md) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kNotFound, "cannot read " + path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), md, nullptr);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  std::string hex;
  char byte[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

// Checks `path` against `expected` (lowercase hex) when it is set; deletes it on a mismatch.
Status VerifyDigest(const std::string& path, const std::string& url, const char* name, const EVP_MD* md,
                    const std::string& expected) {
  if (expected.empty()) return Status::Ok();
  auto digest = HexDigestOfFile(path, md);
  if (!digest.ok()) return digest.status();
  if (*digest == expected) return Status::Ok();
  std::error_code ec;
  fs::remove(path, ec);
  return {ErrorCode::kBadGateway, "checksum mismatch for " + url + ": expected " + name + " " + expected + ", got " +
                                      *digest + " (the partial file was deleted)"};
}

}  // namespace

Result<std::string> Sha1OfFile(const std::string& path) { return HexDigestOfFile(path, EVP_sha1()); }
Result<std::string> Sha256OfFile(const std::string& path) { return HexDigestOfFile(path, EVP_sha256()); }

Status DownloadFile(const std::string& url, const std::string& dest, const DownloadOptions& options) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  std::error_code ec;
  fs::create_directories(fs::path(dest).parent_path(), ec);
  const std::string partial = dest + ".partial";
  if (Status fetched = Fetch(url, partial, options); !fetched.ok()) return fetched;
  if (Status st = VerifyDigest(partial, url, "sha1", EVP_sha1(), options.expected_sha1); !st.ok()) return st;
  if (Status st = VerifyDigest(partial, url, "sha256", EVP_sha256(), options.expected_sha256); !st.ok()) return st;
  fs::rename(partial, dest, ec);
  if (ec) return {ErrorCode::kFailedPrecondition, "cannot move " + partial + " to " + dest + ": " + ec.message()};
  return Status::Ok();
}

}  // namespace harvis
