# Test registration helpers. Every test carries exactly one ctest label:
#   unit     cmocka tests of C units (seconds; also run under ASan/UBSan by `make test`)
#   hw       Verilator testbenches of RTL blocks
#   e2e      end-to-end tests in network namespaces (need root)
#   interop  tests against a real strongSwan peer (need root)
#   fuzz     libFuzzer targets (clang) or their corpus replay (other compilers)
# Tests that cannot run here (no root, no netns, missing tool) exit 77 = skipped, with a sentence.

if(NICSEC_FUZZ STREQUAL "AUTO")
  if(CMAKE_C_COMPILER_ID MATCHES "Clang" AND NICSEC_SANITIZE)
    set(NICSEC_FUZZ_ENGINE TRUE)
  else()
    set(NICSEC_FUZZ_ENGINE FALSE)
  endif()
elseif(NICSEC_FUZZ STREQUAL "ON")
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang" OR NOT NICSEC_SANITIZE)
    message(FATAL_ERROR "NICSEC_FUZZ=ON needs clang and -DNICSEC_SANITIZE=ON (libFuzzer)")
  endif()
  set(NICSEC_FUZZ_ENGINE TRUE)
else()
  set(NICSEC_FUZZ_ENGINE FALSE)
endif()
set(NICSEC_FUZZ_SECONDS 20 CACHE STRING "Seconds each libFuzzer target runs under ctest")
if(NICSEC_FUZZ_ENGINE)
  # Everything a fuzzer links must carry coverage instrumentation.
  list(APPEND NICSEC_SANITIZER_FLAGS -fsanitize=fuzzer-no-link)
  message(STATUS "nicsec: libFuzzer targets ON (${NICSEC_FUZZ_SECONDS} s each)")
else()
  message(STATUS "nicsec: libFuzzer OFF; fuzz targets replay their corpus and pseudo-random inputs")
endif()

set(NICSEC_TEST_ENV
  "NICSEC_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
  "NICSEC_BUILD_DIR=${PROJECT_BINARY_DIR}"
  "NICSEC_VECTORS=${PROJECT_SOURCE_DIR}/tests/vectors")

# nicsec_add_unit_test(<name> SOURCES <files...> [LIBS <targets...>] [LABEL <label>])
# LABEL defaults to unit; a cmocka test that drives simulated RTL takes `hw`.
function(nicsec_add_unit_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  nicsec_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT 120
                       ENVIRONMENT "${NICSEC_TEST_ENV}")
endfunction()

# nicsec_add_fuzzer(<name> SOURCES <files...> [LIBS <targets...>] [CORPUS <dir>])
# The sources define LLVMFuzzerTestOneInput. With libFuzzer the target runs for
# NICSEC_FUZZ_SECONDS from the seed corpus; otherwise tests/fuzz/replay_main.c feeds it the
# corpus and a fixed stream of pseudo-random inputs, so the label still means something with gcc.
function(nicsec_add_fuzzer name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  if(NICSEC_FUZZ_ENGINE)
    add_executable(${name} ${ARG_SOURCES})
    nicsec_target_defaults(${name})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    set(work_corpus ${CMAKE_CURRENT_BINARY_DIR}/${name}.corpus)
    # New inputs go to a scratch corpus in the build tree; the seed corpus stays read-only.
    add_test(NAME ${name} COMMAND sh -c
             "mkdir -p '${work_corpus}' && exec \"$0\" -max_total_time=${NICSEC_FUZZ_SECONDS} -print_final_stats=1 '${work_corpus}' ${ARG_CORPUS}"
             $<TARGET_FILE:${name}>)
    math(EXPR fuzz_timeout "${NICSEC_FUZZ_SECONDS} + 120")
  else()
    add_executable(${name} ${ARG_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
    nicsec_target_defaults(${name})
    add_test(NAME ${name} COMMAND ${name} ${ARG_CORPUS})
    set(fuzz_timeout 120)
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT ${fuzz_timeout})
endfunction()

# nicsec_add_script_test(<name> SCRIPT <file> LABEL <e2e|interop|...> [TIMEOUT <s>] [ARGS <...>])
# Scripts get NICSEC_BUILD_DIR/NICSEC_SOURCE_DIR and exit 77 to report "skipped" (with a reason).
function(nicsec_add_script_test name)
  cmake_parse_arguments(ARG "" "SCRIPT;LABEL;TIMEOUT" "ARGS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND bash ${ARG_SCRIPT} ${ARG_ARGS})
  set_tests_properties(${name} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
                       SKIP_RETURN_CODE 77 ENVIRONMENT "${NICSEC_TEST_ENV}"
                       RUN_SERIAL TRUE)
endfunction()

# nicsec_add_rtl_test(<name> TOP <module> SOURCES <.sv...> TESTBENCH <.cpp...>
#                     [VERILATOR_ARGS <...>])
# A C++ testbench drives the Verilated model; the test carries the `hw` label.
function(nicsec_add_rtl_test name)
  cmake_parse_arguments(ARG "" "TOP" "SOURCES;TESTBENCH;VERILATOR_ARGS;INCLUDES" ${ARGN})
  add_executable(${name} ${ARG_TESTBENCH})
  # Our testbench code gets -Werror; Verilator's generated code and runtime headers do not.
  set_source_files_properties(${ARG_TESTBENCH} PROPERTIES COMPILE_OPTIONS "${NICSEC_CXX_WARNINGS}")
  target_include_directories(${name} SYSTEM PRIVATE ${VERILATOR_ROOT}/include
                             ${VERILATOR_ROOT}/include/vltstd)
  if(ARG_INCLUDES)
    target_include_directories(${name} PRIVATE ${ARG_INCLUDES})
  endif()
  verilate(${name} SOURCES ${ARG_SOURCES} TOP_MODULE ${ARG_TOP} PREFIX V${ARG_TOP}
           VERILATOR_ARGS -Wall --x-assign unique --x-initial unique ${ARG_VERILATOR_ARGS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS hw TIMEOUT 600 ENVIRONMENT "${NICSEC_TEST_ENV}")
endfunction()
