# contrib/install.cmake: what "cmake --install" puts in place (included by
# the top CMakeLists.txt, which sets TICKETD_SYSCONFDIR, TICKETD_DATADIR and
# TICKETD_CONFIG_FILE from the prefix).
#
# Every path follows CMAKE_INSTALL_PREFIX (prefix /usr: /usr/sbin, /etc/ticketd,
# /usr/share/ticketd, /usr/lib/systemd/system ...; /usr/local:
# /usr/local/sbin, /usr/local/etc/ticketd ...), except the state and log
# folders: systemd's StateDirectory= and LogsDirectory= make them
# /var/lib/ticketd and /var/log/ticketd whatever the prefix.  DESTDIR
# stages the whole tree elsewhere (packaging, t/t5100-install.sh).
#
# The folders systemd and logrotate read can be moved with
# -DTICKETD_UNITDIR=… -DTICKETD_SYSUSERSDIR=… -DTICKETD_TMPFILESDIR=…
# -DTICKETD_LOGROTATEDIR=…  (logrotate reads only /etc/logrotate.d: with a
# prefix other than /usr, link the file there).

# ticketd_default_dir(VAR VALUE): VALUE unless -DVAR=… was given.
macro(ticketd_default_dir var value)
  if(NOT DEFINED ${var})
    set(${var} "${value}")
  endif()
endmacro()
ticketd_default_dir(TICKETD_UNITDIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
ticketd_default_dir(TICKETD_SYSUSERSDIR "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d")
ticketd_default_dir(TICKETD_TMPFILESDIR "${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d")
ticketd_default_dir(TICKETD_LOGROTATEDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d")

install(TARGETS ticketd ticketctl RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# Templates and holiday lists are shipped data, replaced by every install;
# an admin who changes them copies them and points templates= / holidays=
# at the copy (ticketd.conf(5)).
install(DIRECTORY conf/templates conf/holidays DESTINATION ${TICKETD_DATADIR})

# The configuration: conf/ticketd.conf with the install's paths.  It goes
# in as ticketd.conf.example every time (to compare after an upgrade), and
# as ticketd.conf only when there is none: an admin's file is never
# overwritten.  0640: it may hold passwords (tmpfiles.d makes it
# root:ticketd).
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/conf/ticketd.conf)
file(READ ${CMAKE_SOURCE_DIR}/conf/ticketd.conf _conf)
string(REPLACE "\ntemplates = templates\n" "\ntemplates = ${TICKETD_DATADIR}/templates\n" _conf "${_conf}")
string(REPLACE "\nholidays = holidays/" "\nholidays = ${TICKETD_DATADIR}/holidays/" _conf "${_conf}")
string(REPLACE "/etc/ticketd/" "${TICKETD_SYSCONFDIR}/" _conf "${_conf}")
foreach(_want "templates = ${TICKETD_DATADIR}/templates" "holidays = ${TICKETD_DATADIR}/holidays/AMER.txt")
  string(FIND "${_conf}" "\n${_want}\n" _at)
  if(_at LESS 0)
    message(FATAL_ERROR "contrib/install.cmake: conf/ticketd.conf changed: no line '${_want}' after the path rewrite")
  endif()
endforeach()
file(WRITE ${CMAKE_BINARY_DIR}/ticketd.conf.example "${_conf}")
install(FILES ${CMAKE_BINARY_DIR}/ticketd.conf.example DESTINATION ${TICKETD_SYSCONFDIR})
install(CODE "
  set(_dst \"\$ENV{DESTDIR}${TICKETD_CONFIG_FILE}\")
  if(EXISTS \"\${_dst}\")
    message(STATUS \"Keeping: \${_dst} (yours; the new example is ticketd.conf.example)\")
  else()
    file(INSTALL DESTINATION \"${TICKETD_SYSCONFDIR}\" TYPE FILE
      FILES \"${CMAKE_BINARY_DIR}/ticketd.conf.example\" RENAME ticketd.conf
      PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
  endif()")

# systemd: the unit, the system user, the permissions of the configuration.
configure_file(${CMAKE_SOURCE_DIR}/contrib/ticketd.service.in ${CMAKE_BINARY_DIR}/ticketd.service @ONLY)
configure_file(${CMAKE_SOURCE_DIR}/contrib/ticketd.tmpfiles.in ${CMAKE_BINARY_DIR}/ticketd.tmpfiles @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/ticketd.service DESTINATION ${TICKETD_UNITDIR})
install(FILES contrib/ticketd.sysusers DESTINATION ${TICKETD_SYSUSERSDIR} RENAME ticketd.conf)
install(FILES ${CMAKE_BINARY_DIR}/ticketd.tmpfiles DESTINATION ${TICKETD_TMPFILESDIR} RENAME ticketd.conf)
install(FILES contrib/ticketd.logrotate DESTINATION ${TICKETD_LOGROTATEDIR} RENAME ticketd)

# Manual pages, with the install's paths.
foreach(_page ticketd.8 ticketctl.8 ticketd.conf.5)
  configure_file(${CMAKE_SOURCE_DIR}/contrib/man/${_page}.in ${CMAKE_BINARY_DIR}/man/${_page} @ONLY)
  string(REGEX REPLACE ".*\\." "" _section "${_page}")
  install(FILES ${CMAKE_BINARY_DIR}/man/${_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${_section})
endforeach()

install(FILES README.md LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY contrib/postfix DESTINATION ${CMAKE_INSTALL_DOCDIR})
