# Warnings every sotto target compiles with; SOTTO_WERROR (the ci preset) makes them errors.
function(sotto_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
  if(SOTTO_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Declares a module library `sotto_<name>` with alias `sotto::<name>`.
function(sotto_add_module name)
  cmake_parse_arguments(arg "" "" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(sotto_${name} STATIC ${arg_SOURCES})
  add_library(sotto::${name} ALIAS sotto_${name})
  target_include_directories(sotto_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_features(sotto_${name} PUBLIC cxx_std_20)
  target_link_libraries(sotto_${name} PUBLIC ${arg_PUBLIC_LIBS} PRIVATE ${arg_PRIVATE_LIBS})
  sotto_set_warnings(sotto_${name})
endfunction()

# Generates C++ for one .proto into its own static library `<target>`. Generated code is not ours
# to make warning-free, so it gets no -Werror and its include directory is SYSTEM; sources
# include it as "<subdir>/<name>.pb.h".
function(sotto_add_proto_library target proto subdir)
  add_library(${target} STATIC)
  set(out ${PROJECT_BINARY_DIR}/generated/${subdir})
  file(MAKE_DIRECTORY ${out})
  protobuf_generate(TARGET ${target} LANGUAGE cpp APPEND_PATH PROTOS ${proto} PROTOC_OUT_DIR ${out})
  target_include_directories(${target} SYSTEM PUBLIC ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  target_compile_features(${target} PUBLIC cxx_std_20)
endfunction()
