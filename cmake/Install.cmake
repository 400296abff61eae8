# cmake --install: the library, the headers, the exported mproc::mproc target
# (mprocConfig.cmake) and mproc.pc.
include(CMakePackageConfigHelpers)
set(MPROC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mproc)

install(TARGETS mproc EXPORT mprocTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY runtime/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT mprocTargets NAMESPACE mproc:: DESTINATION ${MPROC_CMAKE_DIR})
configure_package_config_file(cmake/mprocConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/mprocConfig.cmake INSTALL_DESTINATION ${MPROC_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/mprocConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mprocConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/mprocConfigVersion.cmake
              cmake/FindAPR.cmake
        DESTINATION ${MPROC_CMAKE_DIR})

if(BUILD_SHARED_LIBS)
  set(MPROC_PC_REQUIRES_PRIVATE "apr-1")
  set(MPROC_PC_CFLAGS "")
else()
  set(MPROC_PC_REQUIRES_PRIVATE "")
  set(MPROC_PC_REQUIRES "apr-1")
endif()
configure_file(cmake/mproc.pc.in ${CMAKE_CURRENT_BINARY_DIR}/mproc.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mproc.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The MPI backend (mpi/): its library and header, its own exported target
# (mproc::mpi, the package's "mpi" component) and mproc-mpi.pc.
if(TARGET mproc_mpi)
  install(TARGETS mproc_mpi EXPORT mprocMpiTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY mpi/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT mprocMpiTargets NAMESPACE mproc:: DESTINATION ${MPROC_CMAKE_DIR})
  configure_file(cmake/mproc-mpi.pc.in ${CMAKE_CURRENT_BINARY_DIR}/mproc-mpi.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mproc-mpi.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
