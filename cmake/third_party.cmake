# The third-party engines (llama.cpp, its ggml, whisper.cpp on that ggml), built ONCE per
# flavour by the small project in cmake/deps/ into build/deps/<flavour>/ and shared by every
# preset: release, asan, tsan and the fuzz build all link the same static libraries, so
# CI builds them once instead of once per preset. Included by the top-level CMakeLists.txt.
#
# Sources: scripts/setup.sh unpacks llama.cpp (node-llama-cpp@3.21.1's gitRelease.bundle)
# into third_party/llama.cpp and whisper.cpp (nodejs-whisper@0.3.1) into
# third_party/whisper.cpp, each verified against its integrity hash.
#
# Options:
#   HARVIS_WITH_LLAMA    the in-process LLM engine (default: ON when the source exists).
#   HARVIS_WITH_WHISPER  the whisper engine (default: ON when the source exists).
#                        OFF: the engine compiles to a stub that says it is not in the build.
#   HARVIS_CUDA          ggml with CUDA (GPU deployments; default OFF). The architectures
#                        default to 90 (sm_90) unless CMAKE_CUDA_ARCHITECTURES is given.
#   HARVIS_DEPS_DIR      where the shared build lives (default build/deps/cpu or
#                        build/deps/cuda-<architectures>).
#
# Sanitizers: the shared libraries are never instrumented (third-party code we do not test;
# UBSan with -fno-sanitize-recover aborts on benign patterns in ggml's SIMD kernels). Our
# own code stays instrumented and the executables link the runtime, so ASan/LSan still see
# every malloc and free. ThreadSanitizer cannot see the synchronisation inside ggml's
# uninstrumented thread pool, but it sees the memcpy calls its workers make, which would
# look like races: under HARVIS_SANITIZE=thread the engines therefore run ggml with one
# thread (HARVIS_GGML_MAX_THREADS=1, see src/engines/ggml/ggml_threads.h), so every ggml
# access happens on the calling thread, ordered by our own instrumented locks.
#
# llama-server and whisper-server (the baselines of bench/llama and bench/whisper) are built
# in the same tree on demand: target `deps_servers`.

set(HARVIS_LLAMA_SOURCE_DIR "${PROJECT_SOURCE_DIR}/third_party/llama.cpp"
    CACHE PATH "llama.cpp source tree (unpacked by scripts/setup.sh)")
set(HARVIS_WHISPER_SOURCE_DIR "${PROJECT_SOURCE_DIR}/third_party/whisper.cpp"
    CACHE PATH "whisper.cpp source tree (unpacked by scripts/setup.sh)")

set(_harvis_have_llama OFF)
if(EXISTS "${HARVIS_LLAMA_SOURCE_DIR}/CMakeLists.txt")
  set(_harvis_have_llama ON)
endif()
set(_harvis_have_whisper OFF)
if(EXISTS "${HARVIS_WHISPER_SOURCE_DIR}/CMakeLists.txt")
  set(_harvis_have_whisper ON)
endif()
option(HARVIS_WITH_LLAMA "Build the in-process llama.cpp LLM engine" ${_harvis_have_llama})
option(HARVIS_WITH_WHISPER "Build the whisper.cpp speech-to-text engine" ${_harvis_have_whisper})
option(HARVIS_CUDA "Build ggml with CUDA" OFF)

if(NOT HARVIS_WITH_LLAMA AND NOT HARVIS_WITH_WHISPER)
  message(STATUS "harvis: no ggml engines (HARVIS_WITH_LLAMA=OFF, HARVIS_WITH_WHISPER=OFF)")
  return()
endif()
# ggml comes from llama.cpp's tree, so whisper needs it too.
if(NOT _harvis_have_llama)
  message(FATAL_ERROR "harvis: ${HARVIS_LLAMA_SOURCE_DIR} has no llama.cpp source (it also "
                      "provides ggml for whisper): run scripts/setup.sh, or pass "
                      "-DHARVIS_WITH_LLAMA=OFF -DHARVIS_WITH_WHISPER=OFF")
endif()
if(HARVIS_WITH_WHISPER AND NOT _harvis_have_whisper)
  message(FATAL_ERROR "HARVIS_WITH_WHISPER=ON but ${HARVIS_WHISPER_SOURCE_DIR} has no "
                      "whisper.cpp source: run scripts/setup.sh or pass -DHARVIS_WITH_WHISPER=OFF")
endif()

if(HARVIS_CUDA)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90)
  endif()
  string(REPLACE ";" "-" _harvis_archs "${CMAKE_CUDA_ARCHITECTURES}")
  set(_harvis_flavour "cuda-${_harvis_archs}")
else()
  set(_harvis_flavour "cpu")
endif()
set(HARVIS_DEPS_DIR "${PROJECT_SOURCE_DIR}/build/deps/${_harvis_flavour}"
    CACHE PATH "The shared third-party build (cmake/deps)")

# Configure (once) and build the shared tree now, at configure time, so that its libraries
# exist when this project's targets are generated. A second preset finds it up to date.
function(_harvis_build_deps)
  set(whisper_src "")
  if(_harvis_have_whisper)
    set(whisper_src "${HARVIS_WHISPER_SOURCE_DIR}")
  endif()
  file(MAKE_DIRECTORY "${HARVIS_DEPS_DIR}")
  if(NOT EXISTS "${HARVIS_DEPS_DIR}/build.ninja")
    message(STATUS "harvis: configuring the shared third-party build in ${HARVIS_DEPS_DIR}")
    set(cuda_args "")
    if(HARVIS_CUDA)
      set(cuda_args "-DCMAKE_CUDA_ARCHITECTURES=${CMAKE_CUDA_ARCHITECTURES}")
    endif()
    # The deps use the system's default compilers (not, e.g., the fuzz build's clang), so
    # that whichever preset configures them first gets the same tree.
    execute_process(
      COMMAND ${CMAKE_COMMAND} -E env --unset=CC --unset=CXX --unset=CFLAGS --unset=CXXFLAGS
              ${CMAKE_COMMAND} -S "${PROJECT_SOURCE_DIR}/cmake/deps" -B "${HARVIS_DEPS_DIR}"
              -G Ninja -DCMAKE_BUILD_TYPE=Release
              "-DHARVIS_LLAMA_SOURCE_DIR=${HARVIS_LLAMA_SOURCE_DIR}"
              "-DHARVIS_WHISPER_SOURCE_DIR=${whisper_src}"
              "-DHARVIS_CUDA=${HARVIS_CUDA}" ${cuda_args}
      RESULT_VARIABLE rc OUTPUT_FILE "${HARVIS_DEPS_DIR}.configure.log"
      ERROR_FILE "${HARVIS_DEPS_DIR}.configure.log")
    if(NOT rc EQUAL 0)
      file(REMOVE "${HARVIS_DEPS_DIR}/build.ninja")
      message(FATAL_ERROR "harvis: configuring ${HARVIS_DEPS_DIR} failed; see ${HARVIS_DEPS_DIR}.configure.log")
    endif()
  endif()
  set(targets llama)
  if(_harvis_have_whisper)
    list(APPEND targets whisper)
  endif()
  message(STATUS "harvis: building the shared third-party libraries (${targets}) in ${HARVIS_DEPS_DIR}")
  cmake_host_system_information(RESULT jobs QUERY NUMBER_OF_LOGICAL_CORES)
  execute_process(COMMAND ${CMAKE_COMMAND} --build "${HARVIS_DEPS_DIR}" -j ${jobs} --target ${targets}
                  RESULT_VARIABLE rc OUTPUT_FILE "${HARVIS_DEPS_DIR}.build.log"
                  ERROR_FILE "${HARVIS_DEPS_DIR}.build.log")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "harvis: building ${HARVIS_DEPS_DIR} failed; see ${HARVIS_DEPS_DIR}.build.log")
  endif()
endfunction()
_harvis_build_deps()
# A change to the deps project re-runs this configuration (and so rebuilds the deps).
set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             "${PROJECT_SOURCE_DIR}/cmake/deps/CMakeLists.txt")

# Imported targets over the shared static libraries, each with its own dependencies so that
# CMake orders them on the link line.
set(_harvis_lib "${HARVIS_DEPS_DIR}/lib")
function(_harvis_import target file)
  add_library(${target} STATIC IMPORTED)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION "${_harvis_lib}/${file}"
                                             INTERFACE_LINK_LIBRARIES "${ARGN}")
endfunction()
_harvis_import(harvis_ggml_base libggml-base.a "Threads::Threads;${CMAKE_DL_LIBS};m")
_harvis_import(harvis_ggml_cpu libggml-cpu.a harvis_ggml_base)
set(_harvis_backends harvis_ggml_cpu)
if(HARVIS_CUDA)
  find_package(CUDAToolkit REQUIRED)
  _harvis_import(harvis_ggml_cuda libggml-cuda.a
                 "harvis_ggml_base;CUDA::cudart;CUDA::cublas;CUDA::cublasLt;CUDA::cuda_driver")
  list(APPEND _harvis_backends harvis_ggml_cuda)
endif()
_harvis_import(harvis_ggml libggml.a "${_harvis_backends};harvis_ggml_base")
set_target_properties(harvis_ggml PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${HARVIS_LLAMA_SOURCE_DIR}/ggml/include")
if(HARVIS_WITH_LLAMA)
  _harvis_import(harvis_llama_lib libllama.a harvis_ggml)
  set_target_properties(harvis_llama_lib PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${HARVIS_LLAMA_SOURCE_DIR}/include")
endif()
if(HARVIS_WITH_WHISPER)
  _harvis_import(harvis_whisper_lib libwhisper.a harvis_ggml)
  set_target_properties(harvis_whisper_lib PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${HARVIS_WHISPER_SOURCE_DIR}/include")
endif()

# harvis_engines is created later (src/engines/CMakeLists.txt): give it ggml at the end of
# the top-level directory (engines/ggml is compiled only with HARVIS_WITH_GGML).
function(_harvis_wire_ggml)
  target_link_libraries(harvis_engines PUBLIC harvis_ggml)
  target_compile_definitions(harvis_engines PUBLIC HARVIS_WITH_GGML=1)
  if(HARVIS_SANITIZE MATCHES "thread")
    target_compile_definitions(harvis_engines PUBLIC HARVIS_GGML_MAX_THREADS=1)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY "${PROJECT_SOURCE_DIR}" CALL _harvis_wire_ggml)

# The servers the benchmarks compare against, from the same tree (not part of `all`).
set(HARVIS_LLAMA_SERVER_BIN "${HARVIS_DEPS_DIR}/bin/llama-server")
set(HARVIS_WHISPER_SERVER_BIN "${HARVIS_DEPS_DIR}/bin/whisper-server")
add_custom_target(deps_servers
  COMMAND ${CMAKE_COMMAND} --build "${HARVIS_DEPS_DIR}" --target llama-server whisper-server
  COMMENT "Building llama-server and whisper-server in ${HARVIS_DEPS_DIR}"
  USES_TERMINAL)

message(STATUS "harvis: ggml engines from ${HARVIS_DEPS_DIR} (llama: ${HARVIS_WITH_LLAMA}, "
               "whisper: ${HARVIS_WITH_WHISPER}, CUDA: ${HARVIS_CUDA})")
