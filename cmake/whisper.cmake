# whisper.cpp (the main speech-to-text engine, SPEC §2 engines/stt/whisper), built from the
# 1.9.1 source that scripts/setup.sh unpacks into third_party/whisper.cpp (from the npm
# package nodejs-whisper@0.3.1). Included by the top-level CMakeLists.txt before the layers.
#
# Options:
#   HARVIS_WITH_WHISPER      build the whisper engine (default: ON when the source exists).
#                            OFF: src/engines/stt/whisper compiles to a stub that reports
#                            "built without whisper.cpp" for `engine: whisper`.
#   HARVIS_CUDA              build ggml with CUDA (GPU deployments; default OFF). The CUDA
#                            architectures default to 90 (sm_90) unless
#                            CMAKE_CUDA_ARCHITECTURES is given.
#   HARVIS_WHISPER_SANITIZE  also instrument whisper.cpp/ggml under
#                            HARVIS_SANITIZE=address,undefined (default OFF; under
#                            "thread" they are always instrumented, see below).
#
# Sanitizers: HARVIS_SANITIZE adds -fsanitize=... to every directory.
#   * thread: the whisper.cpp/ggml subtree IS instrumented. ThreadSanitizer must see the
#     synchronisation of ggml's thread pool, or every matrix product it computes looks like
#     a race (uninstrumented atomics are invisible, intercepted memcpy is not); ggml
#     supports TSan itself (GGML_TSAN_ENABLED swaps its fences for read-modify-writes).
#   * address,undefined: the subtree is built WITHOUT them (and without our warning flags):
#     it is third-party code we do not test, UBSan with -fno-sanitize-recover aborts on
#     benign patterns in ggml's SIMD kernels, and the instrumented build is several times
#     slower. Our own engine code stays instrumented and the executables link the runtime,
#     so ASan/LSan still see every malloc and free.
#   HARVIS_WHISPER_SANITIZE=ON instruments the subtree for address,undefined too;
#   HARVIS_WITH_WHISPER=OFF is the escape hatch if a sanitizer ever trips inside ggml.
#
# Wiring: this file also adds tests/tools (the model generator), tests/unit/whisper and
# bench/whisper, and links `whisper` plus the definition HARVIS_WITH_WHISPER=1 into
# harvis_engines through a call deferred to the end of the top-level directory (that
# target is created later, in src/engines/CMakeLists.txt).

set(HARVIS_WHISPER_SOURCE_DIR "${PROJECT_SOURCE_DIR}/third_party/whisper.cpp"
    CACHE PATH "whisper.cpp source tree (unpacked by scripts/setup.sh)")

if(EXISTS "${HARVIS_WHISPER_SOURCE_DIR}/CMakeLists.txt")
  set(_harvis_whisper_default ON)
else()
  set(_harvis_whisper_default OFF)
endif()
option(HARVIS_WITH_WHISPER "Build the whisper.cpp speech-to-text engine" ${_harvis_whisper_default})
option(HARVIS_CUDA "Build whisper.cpp's ggml with CUDA" OFF)
option(HARVIS_WHISPER_SANITIZE "Compile whisper.cpp/ggml with HARVIS_SANITIZE=address,undefined too" OFF)

# The random-weight Whisper model generator (tests/tools) needs no whisper.cpp: other
# tests (e.g. model downloads) may use it whatever HARVIS_WITH_WHISPER says.
if(HARVIS_BUILD_TESTS AND EXISTS "${PROJECT_SOURCE_DIR}/tests/tools/CMakeLists.txt")
  add_subdirectory("${PROJECT_SOURCE_DIR}/tests/tools" "${PROJECT_BINARY_DIR}/tests/tools")
endif()

if(NOT HARVIS_WITH_WHISPER)
  message(STATUS "harvis: whisper.cpp engine disabled (HARVIS_WITH_WHISPER=OFF)")
  return()
endif()
if(NOT EXISTS "${HARVIS_WHISPER_SOURCE_DIR}/CMakeLists.txt")
  message(FATAL_ERROR "HARVIS_WITH_WHISPER=ON but ${HARVIS_WHISPER_SOURCE_DIR} has no "
                      "whisper.cpp source: run scripts/setup.sh or pass -DHARVIS_WITH_WHISPER=OFF")
endif()

# Adds whisper.cpp as a static, portable library. A function, so that the option
# variables below stay local to it (whisper's subdirectory inherits them).
function(_harvis_add_whisper)
  # Options of whisper.cpp and ggml, set as normal variables (policy CMP0077 NEW makes
  # their option() calls honour them without touching the cache).
  set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)
  set(BUILD_SHARED_LIBS OFF)
  set(GGML_NATIVE OFF)          # portable binaries (AVX2/FMA/F16C baseline on x86-64)
  set(GGML_OPENMP OFF)          # ggml's own thread pool; no libgomp in the image
  set(GGML_CCACHE OFF)
  set(GGML_BUILD_TESTS OFF)
  set(GGML_BUILD_EXAMPLES OFF)
  set(WHISPER_BUILD_TESTS OFF)
  set(WHISPER_ALL_WARNINGS OFF)
  set(WHISPER_CURL OFF)
  set(WHISPER_SDL2 OFF)
  # ggml asks git for "the" commit and compiles it into every object (GGML_COMMIT). Here
  # git would answer with Harvis's HEAD, so each commit would rebuild all of ggml: hand it
  # a git that answers nothing ("unknown"). ggml's policy CMP0125 honours this variable.
  find_program(HARVIS_TRUE_PROGRAM NAMES true REQUIRED)
  set(GIT_EXE "${HARVIS_TRUE_PROGRAM}")
  # The examples folder holds whisper-server, the baseline of bench/whisper. It is only
  # configured for benchmark builds; EXCLUDE_FROM_ALL keeps the other examples unbuilt.
  if(HARVIS_BUILD_BENCH)
    set(WHISPER_BUILD_EXAMPLES ON)
    set(WHISPER_BUILD_SERVER ON)
  else()
    set(WHISPER_BUILD_EXAMPLES OFF)
    set(WHISPER_BUILD_SERVER OFF)
  endif()

  if(HARVIS_CUDA)
    set(GGML_CUDA ON)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # The reference GPU is sm_90 here (H200 on the device machine); deployments set
      # CMAKE_CUDA_ARCHITECTURES themselves (89 for the RTX 4090 of SPEC §1).
      set(CMAKE_CUDA_ARCHITECTURES 90)
    endif()
  else()
    set(GGML_CUDA OFF)
  endif()

  # Build the subtree without our warning flags and, except under ThreadSanitizer,
  # without our sanitizer flags (see the header).
  set(keep_sanitizers OFF)
  if(HARVIS_WHISPER_SANITIZE OR HARVIS_SANITIZE MATCHES "thread")
    set(keep_sanitizers ON)
  endif()
  get_directory_property(saved_options COMPILE_OPTIONS)
  set(third_party_options "")
  foreach(opt IN LISTS saved_options)
    if(opt MATCHES "^-W")
      continue()
    endif()
    if(NOT keep_sanitizers AND opt MATCHES "^-f(no-)?sanitize")
      continue()
    endif()
    list(APPEND third_party_options "${opt}")
  endforeach()
  set_directory_properties(PROPERTIES COMPILE_OPTIONS "${third_party_options}")

  add_subdirectory("${HARVIS_WHISPER_SOURCE_DIR}" "${PROJECT_BINARY_DIR}/third_party/whisper.cpp"
                   EXCLUDE_FROM_ALL SYSTEM)

  set_directory_properties(PROPERTIES COMPILE_OPTIONS "${saved_options}")
endfunction()

_harvis_add_whisper()
message(STATUS "harvis: whisper.cpp engine from ${HARVIS_WHISPER_SOURCE_DIR} (CUDA: ${HARVIS_CUDA})")

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
  target_link_libraries(harvis_engines PUBLIC whisper)
  target_compile_definitions(harvis_engines PUBLIC HARVIS_WITH_WHISPER=1)
endfunction()
cmake_language(DEFER DIRECTORY "${PROJECT_SOURCE_DIR}" CALL _harvis_wire_whisper)
