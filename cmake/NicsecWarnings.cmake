# Compiler flags for nicsec's own targets. Call nicsec_target_defaults(<target>) on every target
# built from our sources; third-party and Verilator-generated code do not get -Werror.
set(NICSEC_C_WARNINGS -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes
    -Wmissing-prototypes -Wimplicit-fallthrough)
set(NICSEC_CXX_WARNINGS -Wall -Wextra -Werror)

set(NICSEC_SANITIZER_FLAGS "")
if(NICSEC_SANITIZE)
  set(NICSEC_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
  message(STATUS "nicsec: sanitizers ON (ASan + UBSan)")
endif()

function(nicsec_target_defaults target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:${NICSEC_C_WARNINGS}>
    $<$<COMPILE_LANGUAGE:CXX>:${NICSEC_CXX_WARNINGS}>
    ${NICSEC_SANITIZER_FLAGS})
  target_compile_definitions(${target} PRIVATE _GNU_SOURCE)
  if(NICSEC_SANITIZER_FLAGS)
    target_link_options(${target} PRIVATE ${NICSEC_SANITIZER_FLAGS})
  endif()
endfunction()
