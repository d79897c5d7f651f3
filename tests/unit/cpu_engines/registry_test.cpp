// The CPU engines' constructors fit EngineRegistry (as DefaultEngineRegistry registers
// them) and build engines of the right kind.
#include <gtest/gtest.h>

#include "engines/engine.h"
#include "engines/stt/pocketsphinx/pocketsphinx_engine.h"
#include "engines/tts/espeak/espeak_engine.h"
#include "engines/tts/flite/flite_engine.h"

namespace harvis {
namespace {

TEST(CpuEngineRegistryTest, ConstructorsRegisterAndCreate) {
  EngineRegistry registry;
  registry.Register("pocketsphinx", PocketsphinxEngine::Create);
  registry.Register("espeak", EspeakEngine::Create);
  registry.Register("flite", FliteEngine::Create);
  const std::pair<const char*, ModelKind> cases[] = {
      {"pocketsphinx", ModelKind::kStt}, {"espeak", ModelKind::kTts}, {"flite", ModelKind::kTts}};
  for (const auto& [name, kind] : cases) {
    ModelConfig model;
    model.name = std::string("m-") + name;
    model.engine = name;
    model.kind = kind;
    auto engine = registry.Create(model);
    ASSERT_TRUE(engine.ok()) << name << ": " << engine.status().message();
    EXPECT_EQ((*engine)->engine_name(), name);
    EXPECT_EQ((*engine)->kind(), kind);
    EXPECT_FALSE((*engine)->CanLoadFromMemory());
    EXPECT_GT((*engine)->EstimateFootprint(), 0u) << name;
    EXPECT_EQ((*engine)->FootprintBytes(), 0u) << name;
  }
}

}  // namespace
}  // namespace harvis
