// make_whisper_model OUT.bin [--seed N] [--layers N] [--multilingual] [--state N] [--heads N]
// Writes a small random-weight Whisper model (whisper.cpp ggml format, 2-D weights f16).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "whisper_model_generator.h"

namespace {

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s OUT.bin [--seed N] [--layers N] [--multilingual] [--state N] "
               "[--heads N]\n",
               argv0);
  return 2;
}

bool ParseInt(const char* text, int min, int* out) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < min || v > 1 << 20) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  harvis::test_tools::WhisperModelSpec spec;
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    int value = 0;
    if (arg == "--multilingual") {
      spec.multilingual = true;
    } else if (arg == "--seed" && has_value && ParseInt(argv[i + 1], 0, &value)) {
      spec.seed = static_cast<std::uint32_t>(value);
      ++i;
    } else if (arg == "--layers" && has_value && ParseInt(argv[i + 1], 1, &value)) {
      spec.layers = value;
      ++i;
    } else if (arg == "--state" && has_value && ParseInt(argv[i + 1], 1, &value)) {
      spec.state = value;
      ++i;
    } else if (arg == "--heads" && has_value && ParseInt(argv[i + 1], 1, &value)) {
      spec.heads = value;
      ++i;
    } else if (!arg.empty() && arg[0] != '-' && out_path.empty()) {
      out_path = arg;
    } else {
      return Usage(argv[0]);
    }
  }
  if (out_path.empty()) return Usage(argv[0]);
  std::string error;
  if (!harvis::test_tools::WriteWhisperModel(out_path, spec, &error)) {
    std::fprintf(stderr, "make_whisper_model: %s\n", error.c_str());
    return 1;
  }
  return 0;
}
