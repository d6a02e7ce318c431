# Install layout and the Debian package.
#
#   cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr -DCHATD_BUILD_TESTS=OFF -DCHATD_BUILD_BENCH=OFF
#   cmake --build build --target chatd
#   cmake --install build            # /usr/bin/chatd, /etc/chatd/chatd.yaml, the units, the docs
#   (cd build && cpack -G DEB)       # build/chatd_0.1.0_amd64.deb
#
# With the prefix /usr, GNUInstallDirs puts the configuration in /etc (not /usr/etc); with the
# default prefix /usr/local everything goes under /usr/local (systemd reads units from
# /usr/local/lib/systemd/system too). The installed units name the installed paths.

include(GNUInstallDirs)

set(CHATD_CONFIG_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/chatd")
set(CHATD_SYSTEMD_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" CACHE PATH
    "Where the systemd units are installed")

# deploy/ holds the units with the packaged paths (/usr/bin/chatd, /etc/chatd/chatd.yaml);
# the installed copies name this build's paths instead.
set(_chatd_units chatd.service chatd.socket chatd-metrics.socket)
foreach(_unit IN LISTS _chatd_units)
  set(_src "${PROJECT_SOURCE_DIR}/deploy/${_unit}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_src}")
  file(READ "${_src}" _text)
  string(REPLACE "/usr/bin/chatd" "${CMAKE_INSTALL_FULL_BINDIR}/chatd" _text "${_text}")
  string(REPLACE "/etc/chatd/" "${CHATD_CONFIG_DIR}/" _text "${_text}")
  string(REPLACE "/usr/share/doc/chatd/" "${CMAKE_INSTALL_FULL_DOCDIR}/" _text "${_text}")
  file(CONFIGURE OUTPUT "${PROJECT_BINARY_DIR}/units/${_unit}" CONTENT "${_text}" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/units/${_unit}" DESTINATION "${CHATD_SYSTEMD_UNIT_DIR}")
endforeach()

install(FILES deploy/chatd.yaml DESTINATION "${CHATD_CONFIG_DIR}")
file(GLOB _chatd_docs CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/docs/*.md")
install(FILES README.md ${_chatd_docs} DESTINATION "${CMAKE_INSTALL_DOCDIR}")

# ---- CPack: a .deb that installs, enables and starts chatd.service ----
set(CPACK_PACKAGE_NAME chatd)
set(CPACK_PACKAGE_VENDOR "chatd")
set(CPACK_PACKAGE_CONTACT "chatd maintainers <chatd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "chat server daemon for TCP (telnet, nc and JSON-lines bots)")
set(CPACK_PACKAGE_DESCRIPTION
    "chatd serves chat rooms over plain TCP: people connect with telnet or nc, bots switch \
their connection to JSON lines. One event loop serves thousands of connections. The package \
runs it as a hardened systemd service (chatd.service), with optional socket activation \
(chatd.socket, chatd-metrics.socket) and Prometheus metrics on 127.0.0.1:9102.")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_SOURCE_GENERATOR "")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)            # chatd_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends from the libraries the binary links (dpkg-shlibdeps, in dpkg-dev); without
# dpkg-shlibdeps, the bookworm packages it links against.
find_program(CHATD_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(CHATD_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6 (>= 2.34), libgcc-s1 (>= 3.0), libstdc++6 (>= 12), libfmt9 (>= 9.1.0), libspdlog1.10 (>= 1:1.10.0), libyaml-cpp0.7 (>= 0.7.0), libsystemd0, libjemalloc2 (>= 5.3.0), libnats3.4 (>= 3.4.1), libssl3 (>= 3.0.0)")
endif()
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS systemd)
# conffiles: dpkg keeps the operator's edits to the config on upgrade and removes it on purge.
configure_file("${PROJECT_SOURCE_DIR}/deploy/debian/conffiles.in"
               "${PROJECT_BINARY_DIR}/debian/conffiles" @ONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PROJECT_BINARY_DIR}/debian/conffiles"
    "${PROJECT_SOURCE_DIR}/deploy/debian/postinst"
    "${PROJECT_SOURCE_DIR}/deploy/debian/prerm"
    "${PROJECT_SOURCE_DIR}/deploy/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# A Debian package lives under /usr with its configuration in /etc: refuse to build one from a
# tree configured for another prefix, instead of shipping units that name the wrong paths.
set(CPACK_PROJECT_CONFIG_FILE "${PROJECT_BINARY_DIR}/CPackProjectConfig.cmake")
file(CONFIGURE OUTPUT "${CPACK_PROJECT_CONFIG_FILE}" CONTENT [=[
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT "@CMAKE_INSTALL_PREFIX@" STREQUAL "/usr")
  message(FATAL_ERROR "chatd: a .deb needs the prefix /usr; this build uses '@CMAKE_INSTALL_PREFIX@'. "
                      "Configure with -DCMAKE_INSTALL_PREFIX=/usr, then run cpack again.")
endif()
]=] @ONLY)

include(CPack)
