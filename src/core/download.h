// Resumable HTTP(S) downloads with checksum verification (libcurl + OpenSSL).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"

namespace harvis {

struct DownloadProgress {
  uint64_t received = 0;  // bytes on disk so far, including a resumed prefix
  uint64_t total = 0;     // 0 when the server does not say
  double bytes_per_second = 0;
};

struct DownloadOptions {
  std::string expected_sha1;    // lowercase hex; empty: not checked
  std::string expected_sha256;  // lowercase hex; empty: not checked
  std::chrono::seconds connect_timeout{5};
  // Abort when fewer than 1 KiB/s arrive for this long (a stalled server).
  std::chrono::seconds stall_timeout{30};
  std::function<void(const DownloadProgress&)> on_progress;  // called from the calling thread
};

// Downloads `url` to `dest`. Bytes go to `dest + ".partial"`, which a later call resumes
// with an HTTP Range request; once complete and verified, the file is renamed to
// `dest` atomically. A checksum mismatch deletes the partial file. Unreachable hosts fail
// within the connect timeout with kUnavailable naming the URL. Thread-compatible.
Status DownloadFile(const std::string& url, const std::string& dest, const DownloadOptions& options);

// SHA-1 of a file as lowercase hex, or an error when it cannot be read.
Result<std::string> Sha1OfFile(const std::string& path);
Result<std::string> Sha256OfFile(const std::string& path);

}  // namespace harvis
