# One line per fuzz target: sotto_add_fuzz_target(<name> SOURCES <file>.fuzz.cpp LIBS <libs>)
sotto_add_fuzz_target(handshake SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz/handshake.fuzz.cpp LIBS sotto::crypto)
sotto_add_fuzz_target(frame SOURCES ${PROJECT_SOURCE_DIR}/tests/net/frame.fuzz.cpp LIBS sotto::net)
sotto_add_fuzz_target(relay_session SOURCES ${PROJECT_SOURCE_DIR}/tests/net/relay_session.fuzz.cpp LIBS sotto::net)
