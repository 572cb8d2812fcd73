# One line per fuzz target: sotto_add_fuzz_target(<name> SOURCES <file>.fuzz.cpp LIBS <libs>)
sotto_add_fuzz_target(handshake SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz/handshake.fuzz.cpp LIBS sotto::crypto)
sotto_add_fuzz_target(tui_text SOURCES ${PROJECT_SOURCE_DIR}/tests/tui/text.fuzz.cpp LIBS sotto::tui)
sotto_add_fuzz_target(tui_input SOURCES ${PROJECT_SOURCE_DIR}/tests/tui/input.fuzz.cpp LIBS sotto::tui)
