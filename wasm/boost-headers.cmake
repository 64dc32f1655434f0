# Included by the top-level CMakeLists.txt before find_package(Boost) when building with Emscripten.
# Emscripten must never search /usr/include: glibc's headers there would shadow its own libc. So
# the wasm build sees Boost through a build-local folder that holds nothing but a link to the
# host's Boost headers (header-only use: Boost.JSON is compiled from source in bindings.cpp).
set(SESAMI_HOST_BOOST_HEADERS /usr/include/boost CACHE PATH
    "The host's Boost header folder, linked into the wasm build's include path")
if(NOT EXISTS ${SESAMI_HOST_BOOST_HEADERS}/version.hpp)
  message(FATAL_ERROR "No Boost headers at ${SESAMI_HOST_BOOST_HEADERS} (apt-get install libboost-dev)")
endif()
set(_sesami_boost_dir ${CMAKE_BINARY_DIR}/boost-include)
file(MAKE_DIRECTORY ${_sesami_boost_dir})
file(CREATE_LINK ${SESAMI_HOST_BOOST_HEADERS} ${_sesami_boost_dir}/boost SYMBOLIC)
set(Boost_INCLUDE_DIR ${_sesami_boost_dir} CACHE PATH "Boost headers, as the wasm build sees them")
