# `cmake --install build [--prefix P]` and the Debian package (cmake/package.cmake):
#   <P>/sbin/stockd                         the daemon (Debian puts daemons in sbin)
#   <P>/bin/stockctl                        the operators' CLI
#   <P>/lib/stockd/plugins/*.so             the adapter plugins (adapters/CMakeLists.txt),
#                                           found by an installed stockd from its own path
#   <P>/include/stockd/                     the adapter SDK headers (adapters/CMakeLists.txt)
#   <P>/lib/systemd/system/stockd.service   the unit, with this install's paths
#   /etc/stockd/stockd.yaml                 the example config (<P>/etc/stockd unless P=/usr)
#   <P>/share/doc/stockd/                   README, docs, config reference and example
# docs/operations.md ("Install") has the details.
install(TARGETS stockd RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS stockctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(CODE "set(STOCKD_SOURCE_DIR \"${CMAKE_SOURCE_DIR}\")
set(STOCKD_BINARY_DIR \"${CMAKE_BINARY_DIR}\")")
install(SCRIPT ${CMAKE_SOURCE_DIR}/cmake/install_unit_and_config.cmake)
file(GLOB STOCKD_DOC_FILES ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${STOCKD_DOC_FILES}
              ${CMAKE_SOURCE_DIR}/config/reference.yaml ${CMAKE_SOURCE_DIR}/config/example.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/adapters/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        RENAME adapters.md)
