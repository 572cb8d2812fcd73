# sotto_add_benchmark(<name> SOURCES <file>.bench.cpp LIBS <libs>)
find_package(Olm QUIET) # libolm-dev: the peer of the ratchet benchmark
if(TARGET Olm::Olm)
  sotto_add_benchmark(ratchet SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/ratchet.bench.cpp LIBS sotto::crypto Olm::Olm)
endif()
sotto_add_benchmark(relay SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/relay.bench.cpp LIBS sotto::net mosquitto)
