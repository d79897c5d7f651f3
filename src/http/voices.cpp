#include "http/voices.h"

#include <map>
#include <utility>

namespace harvis::http {

namespace {

// OpenAI voice -> {espeak-ng voice, flite voice}: male/female and accent kept where the
// local voices allow it.
const std::map<std::string, std::pair<std::string, std::string>> kVoices = {
    {"alloy", {"en-us", "slt"}},   {"ash", {"en-us+m3", "rms"}},   {"ballad", {"en-gb+m2", "awb"}},
    {"coral", {"en-us+f2", "slt"}}, {"echo", {"en-us+m1", "kal16"}}, {"fable", {"en-gb", "awb"}},
    {"onyx", {"en-us+m7", "rms"}}, {"nova", {"en-us+f3", "slt"}},  {"sage", {"en-us+f4", "slt"}},
    {"shimmer", {"en-us+f5", "slt"}}, {"verse", {"en-us+m2", "kal"}},
};

}  // namespace

std::vector<std::string> OpenAiVoiceNames() {
  std::vector<std::string> names;
  for (const auto& [name, voices] : kVoices) names.push_back(name);
  return names;
}

std::string ResolveVoice(const std::string& engine, const std::string& requested) {
  auto it = kVoices.find(requested);
  if (it == kVoices.end()) return requested;
  if (engine == "espeak") return it->second.first;
  if (engine == "flite") return it->second.second;
  return requested;
}

}  // namespace harvis::http
