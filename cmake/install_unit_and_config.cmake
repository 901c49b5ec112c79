# Runs at install time (cmake --install, cpack): the systemd unit and the example config,
# placed where this install's prefix says. The unit in the source tree names the Debian
# package's paths (/usr/sbin/stockd, /etc/stockd/stockd.yaml); another prefix gets its own
# (<prefix>/sbin/stockd, <prefix>/etc/stockd/stockd.yaml), so an installed unit always
# starts the binary installed with it. Expects STOCKD_SOURCE_DIR and STOCKD_BINARY_DIR.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(stockd_etc "/etc/stockd")  # GNUInstallDirs' rule for the /usr prefix
else()
  set(stockd_etc "${CMAKE_INSTALL_PREFIX}/etc/stockd")
endif()
file(READ "${STOCKD_SOURCE_DIR}/systemd/stockd.service" unit)
string(REPLACE "/usr/sbin/stockd" "${CMAKE_INSTALL_PREFIX}/sbin/stockd" unit "${unit}")
string(REPLACE "/etc/stockd/" "${stockd_etc}/" unit "${unit}")
file(MAKE_DIRECTORY "${STOCKD_BINARY_DIR}/install")
file(WRITE "${STOCKD_BINARY_DIR}/install/stockd.service" "${unit}")
file(INSTALL "${STOCKD_BINARY_DIR}/install/stockd.service"
     DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
file(INSTALL "${STOCKD_SOURCE_DIR}/config/stockd.yaml" DESTINATION "${stockd_etc}")
