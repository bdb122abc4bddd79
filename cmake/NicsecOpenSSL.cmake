# Finds OpenSSL and decides whether post-quantum algorithms (ML-KEM, ML-DSA) are available.
# Without -DOPENSSL_ROOT_DIR, the newest complete build that .ci/setup cached under
# $NICSEC_CACHE (default /var/cache/nicsec) is preferred over the system's OpenSSL 3.0.
if(NOT OPENSSL_ROOT_DIR AND NOT NICSEC_PQC STREQUAL "OFF")
  if(DEFINED ENV{NICSEC_CACHE})
    set(_nicsec_cache $ENV{NICSEC_CACHE})
  else()
    set(_nicsec_cache /var/cache/nicsec)
  endif()
  file(GLOB _nicsec_ossl_builds LIST_DIRECTORIES true "${_nicsec_cache}/openssl-3.*")
  list(SORT _nicsec_ossl_builds COMPARE NATURAL ORDER DESCENDING)
  foreach(_dir IN LISTS _nicsec_ossl_builds)
    if(EXISTS "${_dir}/.complete")
      set(OPENSSL_ROOT_DIR "${_dir}" CACHE PATH "OpenSSL prefix (found in the nicsec cache)")
      break()
    endif()
  endforeach()
endif()

find_package(OpenSSL 3.0 REQUIRED)

if(OPENSSL_VERSION VERSION_GREATER_EQUAL 3.5)
  set(_nicsec_pqc_possible TRUE)
else()
  set(_nicsec_pqc_possible FALSE)
endif()

if(NICSEC_PQC STREQUAL "ON" AND NOT _nicsec_pqc_possible)
  message(FATAL_ERROR
    "NICSEC_PQC=ON needs OpenSSL >= 3.5 for ML-KEM and ML-DSA, but found OpenSSL "
    "${OPENSSL_VERSION} (${OPENSSL_CRYPTO_LIBRARY}). Run .ci/setup to build OpenSSL 3.5 into the "
    "cache, pass -DOPENSSL_ROOT_DIR=<prefix>, or configure with -DNICSEC_PQC=OFF.")
endif()
if(NICSEC_PQC STREQUAL "OFF")
  set(NICSEC_HAVE_PQC FALSE)
else()
  set(NICSEC_HAVE_PQC ${_nicsec_pqc_possible})
endif()

get_filename_component(_nicsec_ossl_libdir "${OPENSSL_CRYPTO_LIBRARY}" DIRECTORY)
# Our OpenSSL 3.5 has the same soname as the system 3.0: every binary must find it by rpath.
set(CMAKE_BUILD_RPATH "${_nicsec_ossl_libdir}")
set(CMAKE_INSTALL_RPATH "${_nicsec_ossl_libdir}")

if(NICSEC_HAVE_PQC)
  set(_nicsec_pqc_text "ON (ML-KEM, ML-DSA)")
else()
  set(_nicsec_pqc_text "OFF")
endif()
message(STATUS "nicsec: OpenSSL ${OPENSSL_VERSION} from ${_nicsec_ossl_libdir}")
message(STATUS "nicsec: PQC ${_nicsec_pqc_text}")
