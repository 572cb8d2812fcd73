# One line per fuzz target: sotto_add_fuzz_target(<name> SOURCES <file>.fuzz.cpp LIBS <libs>)
sotto_add_fuzz_target(handshake SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz/handshake.fuzz.cpp LIBS sotto::crypto)
