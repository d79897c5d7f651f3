# llama.cpp, the in-process LLM engine (SPEC §2 engines/llm/llama): the source that
# scripts/setup.sh checks out of node-llama-cpp@3.21.1's gitRelease.bundle, built in the
# shared third-party tree (cmake/third_party.cmake defines HARVIS_WITH_LLAMA and the
# target harvis_llama_lib). Included by the top-level CMakeLists.txt after it.
#
# Wiring: this file adds tests/unit/llama (with the random-weight GGUF generator) and
# bench/llama, and links llama plus HARVIS_WITH_LLAMA=1 into harvis_engines through a
# call deferred to the end of the top-level directory (as cmake/whisper.cmake does).

if(NOT HARVIS_WITH_LLAMA)
  message(STATUS "harvis: llama.cpp engine disabled (HARVIS_WITH_LLAMA=OFF)")
  return()
endif()

# The vocabulary the generated test models carry (llama.cpp's own SentencePiece test vocab).
set(HARVIS_LLAMA_TEST_VOCAB "${HARVIS_LLAMA_SOURCE_DIR}/models/ggml-vocab-llama-spm.gguf")

if(HARVIS_BUILD_TESTS AND EXISTS "${PROJECT_SOURCE_DIR}/tests/unit/llama/CMakeLists.txt")
  enable_testing()
  add_subdirectory("${PROJECT_SOURCE_DIR}/tests/unit/llama" "${PROJECT_BINARY_DIR}/tests/unit/llama")
endif()
if(HARVIS_BUILD_BENCH AND HARVIS_BUILD_TESTS AND EXISTS "${PROJECT_SOURCE_DIR}/bench/llama/CMakeLists.txt")
  add_subdirectory("${PROJECT_SOURCE_DIR}/bench/llama" "${PROJECT_BINARY_DIR}/bench/llama")
endif()

function(_harvis_wire_llama)
  target_link_libraries(harvis_engines PUBLIC harvis_llama_lib)
  target_compile_definitions(harvis_engines PUBLIC HARVIS_WITH_LLAMA=1)
endfunction()
cmake_language(DEFER DIRECTORY "${PROJECT_SOURCE_DIR}" CALL _harvis_wire_llama)
