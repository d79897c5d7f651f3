#include "engines/engine.h"

#include "engines/llm/llama/llama_engine.h"
#include "engines/llm/ollama/ollama_engine.h"
#include "engines/simulated/simulated_engine.h"
#include "engines/stt/pocketsphinx/pocketsphinx_engine.h"
#include "engines/stt/whisper/whisper_engine.h"
#include "engines/tts/espeak/espeak_engine.h"
#include "engines/tts/flite/flite_engine.h"

namespace harvis {
namespace {

Status NotSupported(const Engine& engine, const char* what) {
  return Status(ErrorCode::kInvalidArgument,
                std::string("engine '") + std::string(engine.engine_name()) + "' does not support " +
                    what);
}

}  // namespace

Result<WeightBlob> Engine::ReadWeights() const { return NotSupported(*this, "loading from memory"); }

Result<Transcript> Engine::Transcribe(const std::vector<float>&, const TranscribeOptions&) {
  return NotSupported(*this, "transcription");
}

Result<std::unique_ptr<TranscriptionStream>> Engine::OpenTranscription(const TranscribeOptions&) {
  return NotSupported(*this, "streaming transcription");
}

Result<SpeechAudio> Engine::Synthesize(std::string_view, const SynthesizeOptions&) {
  return NotSupported(*this, "speech synthesis");
}

Result<ChatResult> Engine::Chat(const std::vector<ChatMessage>&, const ChatOptions&,
                                const TokenCallback&, const CancellationToken*) {
  return NotSupported(*this, "chat");
}

void EngineRegistry::Register(const std::string& engine_name, Constructor constructor) {
  constructors_[engine_name] = std::move(constructor);
}

bool EngineRegistry::Has(const std::string& engine_name) const {
  return constructors_.count(engine_name) > 0;
}

std::vector<std::string> EngineRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, ctor] : constructors_) names.push_back(name);
  return names;
}

Result<std::unique_ptr<Engine>> EngineRegistry::Create(const ModelConfig& model) const {
  auto it = constructors_.find(model.engine);
  if (it == constructors_.end()) {
    return Status(ErrorCode::kNotFound, "model '" + model.name + "': unknown engine '" +
                                            model.engine + "'");
  }
  return it->second(model);
}

EngineRegistry DefaultEngineRegistry(const OllamaConfig& ollama) {
  EngineRegistry registry;
  registry.Register("simulated", [](const ModelConfig& model) -> Result<std::unique_ptr<Engine>> {
    auto options = SimulatedOptions::Parse(model);
    if (!options.ok()) return options.status();
    return std::unique_ptr<Engine>(new SimulatedEngine(model, *options));
  });
  RegisterOllamaEngine(registry, ollama);
  registry.Register("pocketsphinx", PocketsphinxEngine::Create);
  registry.Register("espeak", EspeakEngine::Create);
  registry.Register("flite", FliteEngine::Create);
  RegisterWhisperEngine(registry);
  RegisterLlamaEngine(registry);
  return registry;
}

}  // namespace harvis
