# One line per benchmark, e.g. sotto_add_benchmark(ratchet SOURCES ratchet.bench.cpp LIBS sotto::crypto Olm::Olm)
sotto_add_benchmark(relay SOURCES relay.bench.cpp LIBS sotto::net mosquitto)
