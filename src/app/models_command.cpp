// `harvis models pull NAME` and `harvis models list`.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/commands.h"
#include "app/model_catalog.h"
#include "app/startup.h"
#include "core/download.h"
#include "core/logging.h"

namespace harvis::app {
namespace {

namespace fs = std::filesystem;

// A progress bar on a terminal; a line every 10% otherwise (logs, CI).
std::function<void(const DownloadProgress&)> ProgressPrinter() {
  const bool tty = isatty(STDERR_FILENO);
  auto last_decile = std::make_shared<int>(-1);
  return [tty, last_decile](const DownloadProgress& p) {
    int percent = p.total ? static_cast<int>(100.0 * p.received / p.total) : 0;
    std::string line = (p.total ? std::to_string(percent) + "% " : std::string()) + FormatBytes(p.received) +
                       (p.total ? " / " + FormatBytes(p.total) : "") + "  " +
                       FormatBytes(static_cast<uint64_t>(p.bytes_per_second)) + "/s";
    if (tty) {
      int filled = percent * 30 / 100;
      std::fprintf(stderr, "\r  [%s%s] %s   ", std::string(filled, '#').c_str(), std::string(30 - filled, ' ').c_str(),
                   line.c_str());
    } else if (percent / 10 != *last_decile) {
      *last_decile = percent / 10;
      std::fprintf(stderr, "  %s\n", line.c_str());
    }
  };
}

}  // namespace

int ModelsList(const CommonOptions& options) {
  auto config = LoadEffectiveConfig(options);
  if (!config.ok()) {
    std::cerr << "harvis: " << config.status().message() << "\n";
    return 1;
  }
  std::cout << "models folder: " << config->models_dir << "\n";
  std::error_code ec;
  std::vector<CatalogModel> all = WhisperCatalog();
  all.insert(all.end(), LlmCatalog().begin(), LlmCatalog().end());
  for (const auto& m : all) {
    fs::path file = fs::path(config->models_dir) / m.FileName();
    bool present = fs::exists(file, ec);
    bool partial = fs::exists(file.string() + ".partial", ec);
    std::printf("  %-22s %-4s %-10s %s\n", m.name.c_str(), m.llm() ? "llm" : "stt",
                present ? FormatBytes(fs::file_size(file, ec)).c_str() : "-",
                present ? "downloaded" : partial ? "partial (pull again to resume)" : "available");
  }
  return 0;
}

int ModelsPull(const CommonOptions& options, const PullOptions& pull) {
  auto config = LoadEffectiveConfig(options);
  if (!config.ok()) {
    std::cerr << "harvis: " << config.status().message() << "\n";
    return 1;
  }
  auto model = FindCatalogModel(pull.name);
  if (!model) {
    std::cerr << "harvis: unknown model '" << pull.name << "'; known: ";
    for (const auto& m : WhisperCatalog()) std::cerr << m.name << " ";
    for (const auto& m : LlmCatalog()) std::cerr << m.name << " ";
    std::cerr << "\n";
    return 2;
  }
  const std::string source = pull.source.empty() ? config->model_source : pull.source;
  // --source replaces the host of whisper models; an LLM comes from its own address unless
  // --source is given (a mirror holding the same file name).
  const std::string url = model->llm() && pull.source.empty() ? model->url
                          : model->llm() ? pull.source + "/" + model->url.substr(model->url.rfind('/') + 1)
                                         : source + "/resolve/main/" + model->FileName();
  const std::string dest = (fs::path(config->models_dir) / model->FileName()).string();
  std::error_code ec;
  if (fs::exists(dest, ec)) {
    std::cout << model->name << " is already at " << dest << "\n";
    return 0;
  }
  std::cout << "pulling " << model->name << " from " << url << "\n";
  DownloadOptions d;
  if (model->llm()) {
    d.expected_sha256 = pull.sha256.empty() ? model->sha256 : pull.sha256;
  } else {
    d.expected_sha1 = pull.sha1.empty() ? model->sha1 : pull.sha1;
  }
  d.on_progress = ProgressPrinter();
  Status s = DownloadFile(url, dest, d);
  std::fprintf(stderr, "\n");
  if (!s.ok()) {
    std::cerr << "harvis: " << s.message() << "\n";
    return 1;
  }
  std::cout << "saved " << dest << (model->llm() ? " (sha256 verified)\n" : " (sha1 verified)\n");
  return 0;
}

}  // namespace harvis::app
