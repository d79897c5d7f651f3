# Defines the libFuzzer targets (clang only): wav_fuzz and decode_fuzz, linked to
# harvis_audio, written to <build>/fuzzers/. Safe to include more than once.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(STATUS "Fuzz targets skipped: they need clang (compiler is ${CMAKE_CXX_COMPILER_ID})")
  return()
endif()
if(TARGET wav_fuzz)
  return()
endif()

foreach(target wav_fuzz decode_fuzz)
  add_executable(${target} ${CMAKE_CURRENT_LIST_DIR}/${target}.cpp)
  target_link_libraries(${target} PRIVATE harvis_audio)
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzzers)
endforeach()
