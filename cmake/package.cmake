# `cpack -G DEB` (scripts/package): stockd_<version>_amd64.deb from the install rules
# (cmake/install.cmake), installed under /usr with the config in /etc. Depends comes from
# dpkg-shlibdeps over the binaries and plugins, plus passwd (useradd, for the postinst);
# redis-server is recommended (the embedded default runs it; an external Redis needs none).
# The maintainer scripts (packaging/debian/) create the stockd system user and
# /var/lib/stockd (0700), reload systemd, and enable or start nothing.
set(CPACK_PACKAGE_NAME stockd)
set(CPACK_PACKAGE_VENDOR "stockd")
set(CPACK_PACKAGE_CONTACT "stockd maintainers <stockd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "cross-channel inventory synchronization daemon")
set(CPACK_PACKAGE_DESCRIPTION
    "stockd holds the authoritative stock of every SKU at every location, decides what each\nsales channel may sell and is shown, takes reservations over gRPC and keeps\nmarketplaces in sync through adapter plugins.")
# Stripped binaries, as Debian ships them (the build tree keeps its debug info).
set(CPACK_STRIP_FILES TRUE)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/debian/postinst ${CMAKE_SOURCE_DIR}/packaging/debian/prerm
    ${CMAKE_SOURCE_DIR}/packaging/debian/postrm ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_GENERATOR DEB)
include(CPack)
