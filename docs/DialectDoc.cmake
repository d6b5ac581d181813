# Generates the Kiln dialect reference from ODS and checks it against (MODE=check) or writes it to (MODE=update) the committed copy.
string(REPLACE "|" ";" include_dirs "${INCLUDES}")
set(include_flags)
foreach(dir ${include_dirs})
  list(APPEND include_flags -I ${dir})
endforeach()

# The same flags as add_mlir_doc, so `ninja mlir-doc` and this agree byte for byte.
execute_process(
  COMMAND ${TBLGEN} -gen-dialect-doc -allow-hugo-specific-features -dialect=kiln
          ${include_flags} ${TD} -o ${GENERATED}
  RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "mlir-tblgen failed on ${TD}")
endif()

if(MODE STREQUAL "update")
  file(COPY_FILE ${GENERATED} ${COMMITTED})
  message(STATUS "Wrote ${COMMITTED}")
  return()
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${GENERATED} ${COMMITTED}
                RESULT_VARIABLE differs)
if(NOT differs EQUAL 0)
  message(FATAL_ERROR
    "${COMMITTED} is out of date with ${TD}: run `ninja kiln-update-dialect-doc` "
    "and commit the result (freshly generated copy: ${GENERATED}).")
endif()
