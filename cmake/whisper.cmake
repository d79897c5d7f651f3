# whisper.cpp (the main speech-to-text engine, SPEC §2 engines/stt/whisper): the 1.9.1
# source that scripts/setup.sh unpacks into third_party/whisper.cpp (from the npm package
# nodejs-whisper@0.3.1), built on llama.cpp's ggml in the shared third-party tree
# (cmake/third_party.cmake, which defines HARVIS_WITH_WHISPER and the target
# harvis_whisper_lib). Included by the top-level CMakeLists.txt after it.
#
# Wiring: this file adds tests/tools (the model generator), tests/unit/whisper and
# bench/whisper, and links whisper plus the definition HARVIS_WITH_WHISPER=1 into
# harvis_engines through a call deferred to the end of the top-level directory (that
# target is created later, in src/engines/CMakeLists.txt).

# The random-weight Whisper model generator (tests/tools) needs no whisper.cpp: other
# tests (e.g. model downloads) may use it whatever HARVIS_WITH_WHISPER says.
if(HARVIS_BUILD_TESTS AND EXISTS "${PROJECT_SOURCE_DIR}/tests/tools/CMakeLists.txt")
  add_subdirectory("${PROJECT_SOURCE_DIR}/tests/tools" "${PROJECT_BINARY_DIR}/tests/tools")
endif()

if(NOT HARVIS_WITH_WHISPER)
  message(STATUS "harvis: whisper.cpp engine disabled (HARVIS_WITH_WHISPER=OFF)")
  return()
endif()

# Tests and benchmarks of the engine. They are added from here (not from tests/ or bench/)
# so that everything whisper-specific stays in one place; do not add these folders again
# elsewhere. The tests link harvis_engines by name, which CMake resolves at generate time.
if(HARVIS_BUILD_TESTS AND EXISTS "${PROJECT_SOURCE_DIR}/tests/unit/whisper/CMakeLists.txt")
  enable_testing()  # again at top level later; needed before the first add_test
  add_subdirectory("${PROJECT_SOURCE_DIR}/tests/unit/whisper" "${PROJECT_BINARY_DIR}/tests/unit/whisper")
endif()
if(HARVIS_BUILD_BENCH AND EXISTS "${PROJECT_SOURCE_DIR}/bench/whisper/CMakeLists.txt")
  add_subdirectory("${PROJECT_SOURCE_DIR}/bench/whisper" "${PROJECT_BINARY_DIR}/bench/whisper")
endif()

# harvis_engines is created later (src/engines/CMakeLists.txt): link whisper into it at the
# end of the top-level directory. A deferred call may not add subdirectories, hence the
# folders above are added now.
function(_harvis_wire_whisper)
  if(NOT TARGET harvis_engines)
    message(WARNING "harvis: HARVIS_WITH_WHISPER=ON but there is no harvis_engines target")
    return()
  endif()
  target_link_libraries(harvis_engines PUBLIC harvis_whisper_lib)
  target_compile_definitions(harvis_engines PUBLIC HARVIS_WITH_WHISPER=1)
endfunction()
cmake_language(DEFER DIRECTORY "${PROJECT_SOURCE_DIR}" CALL _harvis_wire_whisper)
