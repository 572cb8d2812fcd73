# Every dependency is a Debian 12 package installed by scripts/install-deps; nothing is fetched.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
pkg_check_modules(NCURSESW REQUIRED IMPORTED_TARGET ncursesw)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLiteCpp REQUIRED)
find_package(Protobuf REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)

# Standalone Asio is header-only and ships no CMake package.
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
if(NOT TARGET sotto_asio)
  add_library(sotto_asio INTERFACE)
  target_include_directories(sotto_asio SYSTEM INTERFACE ${ASIO_INCLUDE_DIR})
  target_compile_definitions(sotto_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
  target_link_libraries(sotto_asio INTERFACE Threads::Threads OpenSSL::SSL OpenSSL::Crypto)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Asio 1.22 looks for coroutines under clang only in libc++; Debian's clang uses
    # libstdc++ 12, whose <coroutine> works, so say so (the fuzz preset builds with clang).
    target_compile_definitions(sotto_asio INTERFACE ASIO_HAS_CO_AWAIT=1 ASIO_HAS_STD_COROUTINE=1)
  endif()
  add_library(sotto::asio ALIAS sotto_asio)
endif()
