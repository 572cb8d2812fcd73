# sotto_add_benchmark(<name> SOURCES <file>.bench.cpp LIBS <libs>)
