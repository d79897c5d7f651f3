# CPU engines linked in process (SPEC §7): espeak-ng and flite (text to speech) and
# pocketsphinx 0.8 "5prealpha" (speech to text), all from Debian packages:
#   libespeak-ng-dev espeak-ng-data flite1-dev libpocketsphinx-dev pocketsphinx-en-us
#
# Include once (needs find_package(PkgConfig) first), then call
#   harvis_link_cpu_engines(<target>)
# on the target that compiles src/engines/tts/** and src/engines/stt/pocketsphinx/**.
#
# Notes:
# - flite ships no .pc file: its libraries and /usr/include/flite are found directly.
# - pocketsphinx's .pc names an include dir that does not exist (/usr/include/sphinxbase)
#   so an IMPORTED_TARGET would fail; its variables are used instead, and the headers live
#   in /usr/include/pocketsphinx and /usr/include/x86_64-linux-gnu/sphinxbase.
# - The en-us model folder comes from `pkg-config --variable=modeldir pocketsphinx` and is
#   compiled in as HARVIS_POCKETSPHINX_MODELDIR (default model paths).
include_guard(GLOBAL)

find_package(PkgConfig REQUIRED)

# --- espeak-ng ---
pkg_check_modules(HARVIS_ESPEAK REQUIRED IMPORTED_TARGET espeak-ng)

# --- flite ---
find_path(HARVIS_FLITE_INCLUDE_DIR flite/flite.h PATHS /usr/include REQUIRED)
set(HARVIS_FLITE_LIBRARIES "")
# Voices first, then the language and lexicon they use, then the core (static-link order).
foreach(lib flite_cmu_us_slt flite_cmu_us_kal flite_cmu_us_kal16 flite_cmu_us_rms
            flite_cmu_us_awb flite_usenglish flite_cmulex flite)
  find_library(HARVIS_LIB_${lib} NAMES ${lib} REQUIRED)
  list(APPEND HARVIS_FLITE_LIBRARIES ${HARVIS_LIB_${lib}})
endforeach()

# --- pocketsphinx + sphinxbase ---
pkg_check_modules(HARVIS_POCKETSPHINX REQUIRED pocketsphinx)
pkg_get_variable(HARVIS_POCKETSPHINX_MODELDIR pocketsphinx modeldir)
if(NOT HARVIS_POCKETSPHINX_MODELDIR)
  set(HARVIS_POCKETSPHINX_MODELDIR /usr/share/pocketsphinx/model)
endif()
find_path(HARVIS_POCKETSPHINX_INCLUDE_DIR pocketsphinx.h
          PATHS /usr/include/pocketsphinx ${HARVIS_POCKETSPHINX_INCLUDE_DIRS} REQUIRED)
find_path(HARVIS_SPHINXBASE_INCLUDE_DIR sphinxbase/err.h
          PATHS /usr/include/x86_64-linux-gnu /usr/include ${HARVIS_POCKETSPHINX_INCLUDE_DIRS}
          REQUIRED)
find_library(HARVIS_LIB_pocketsphinx NAMES pocketsphinx REQUIRED)
find_library(HARVIS_LIB_sphinxbase NAMES sphinxbase REQUIRED)
# pocketsphinx.h includes <ps_lattice.h> etc. bare and <sphinxbase/cmd_ln.h> prefixed.
# (Not the sphinxbase folder itself: its err.h would shadow the C library's <err.h>.)
set(HARVIS_POCKETSPHINX_INCLUDES ${HARVIS_POCKETSPHINX_INCLUDE_DIR} ${HARVIS_SPHINXBASE_INCLUDE_DIR})

message(STATUS "CPU engines: espeak-ng ${HARVIS_ESPEAK_VERSION}, flite (${HARVIS_FLITE_INCLUDE_DIR}), "
               "pocketsphinx ${HARVIS_POCKETSPHINX_VERSION} (models in ${HARVIS_POCKETSPHINX_MODELDIR})")

# Adds the include directories, libraries and definitions of the CPU engines to `target`.
# The headers are PRIVATE (only engine sources include them); the libraries are PUBLIC so
# that executables linking a static `target` get them.
function(harvis_link_cpu_engines target)
  target_include_directories(${target} SYSTEM PRIVATE
    ${HARVIS_FLITE_INCLUDE_DIR} ${HARVIS_POCKETSPHINX_INCLUDES})
  target_compile_definitions(${target} PRIVATE
    HARVIS_POCKETSPHINX_MODELDIR="${HARVIS_POCKETSPHINX_MODELDIR}")
  target_link_libraries(${target} PUBLIC
    PkgConfig::HARVIS_ESPEAK
    ${HARVIS_FLITE_LIBRARIES}
    ${HARVIS_LIB_pocketsphinx} ${HARVIS_LIB_sphinxbase}
    m)
endfunction()
