# One line per fuzz target: sotto_add_fuzz_target(<name> SOURCES <file>.fuzz.cpp LIBS <libs>)
