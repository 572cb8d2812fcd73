# sotto_add_benchmark(<name> SOURCES <file>.bench.cpp LIBS <libs>)
find_package(Olm QUIET) # libolm-dev: the peer of the ratchet benchmark
if(TARGET Olm::Olm)
  sotto_add_benchmark(ratchet SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/ratchet.bench.cpp LIBS sotto::crypto Olm::Olm)
endif()
# End to end through real relay and --batch processes; the peer of the unlock figure is the bare
# crypto_pwhash, hence libsodium here.
sotto_add_benchmark(e2e SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/e2e.bench.cpp ${PROJECT_SOURCE_DIR}/tests/support/child.cpp
  LIBS sotto::client nlohmann_json::nlohmann_json PkgConfig::SODIUM)
# The full-screen client's page loads: engine + store + views; peer: a plain SQLite table.
sotto_add_benchmark(tui SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/tui.bench.cpp LIBS sotto::tui SQLiteCpp)
sotto_add_benchmark(relay SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/relay.bench.cpp LIBS sotto::net mosquitto)
# Group fan-out through the relay against mosquitto's one-publisher fan-out; the sender's CPU per
# group message through the client's group code and store.
sotto_add_benchmark(group SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/group.bench.cpp LIBS sotto::client mosquitto)
