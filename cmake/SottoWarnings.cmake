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
