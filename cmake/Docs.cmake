# `cmake --build <dir> --target docs`: the API reference of the public headers,
# into <dir>/docs/html. Any doxygen warning fails it, an undocumented public
# symbol too (docs/Doxyfile.in). The default build never needs doxygen.
find_package(Doxygen QUIET)
if(TARGET Doxygen::doxygen)
  configure_file(docs/Doxyfile.in ${PROJECT_BINARY_DIR}/Doxyfile @ONLY)
  add_custom_target(docs
    COMMAND Doxygen::doxygen ${PROJECT_BINARY_DIR}/Doxyfile
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "API reference (doxygen, warnings as errors) into ${PROJECT_BINARY_DIR}/docs/html"
    VERBATIM)
else()
  # A target that fails, so that the documented command never does nothing.
  add_custom_target(docs
    COMMAND ${CMAKE_COMMAND} -E echo
            "docs: doxygen was not found. Install it (apt-get install doxygen, brew install doxygen), then configure again."
    COMMAND ${CMAKE_COMMAND} -E false
    VERBATIM)
endif()
