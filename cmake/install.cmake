# cmake --install: the FHS layout of the Debian package (issue 16).
# Daemons in sbin, the CLI in bin, units under /lib/systemd/system (Debian 12
# is not yet /usr/lib for units), sysusers.d and tmpfiles.d under /usr/lib,
# the commented default config in /etc/aeogate, man pages built from
# docs/man/*.scd with scdoc.
include(GNUInstallDirs)
set(AEOGATE_UNITDIR "/lib/systemd/system" CACHE PATH "systemd system unit directory")
set(AEOGATE_SYSUSERSDIR "lib/sysusers.d" CACHE PATH "sysusers.d directory")
set(AEOGATE_TMPFILESDIR "lib/tmpfiles.d" CACHE PATH "tmpfiles.d directory")
set(AEOGATE_CONFDIR "/etc/aeogate" CACHE PATH "where aeogate.ini is installed")

install(TARGETS aeogated RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
install(TARGETS aeogatectl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The office side of a fleet (README "Many sites"): a tool for the security office.
install(TARGETS aeogate-hub RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES systemd/aeogated.service systemd/aeogate-web.service systemd/aeogate-sync.service
	systemd/aeogate-hub.service systemd/aeogate-hub-serve.service DESTINATION ${AEOGATE_UNITDIR})
install(FILES systemd/aeogate.sysusers.conf DESTINATION ${AEOGATE_SYSUSERSDIR} RENAME aeogate.conf)
install(FILES systemd/aeogate.tmpfiles.conf DESTINATION ${AEOGATE_TMPFILESDIR} RENAME aeogate.conf)
install(FILES systemd/60-aeogate-gpio.rules DESTINATION /lib/udev/rules.d)
install(FILES config/aeogate.ini DESTINATION ${AEOGATE_CONFDIR})
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES docs/architecture.md docs/cli.md docs/control-socket.md docs/hardware.md docs/nfc.md
	docs/web.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
install(FILES config/example-pi.ini config/demo.ini DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

find_program(SCDOC scdoc)
set(AEOGATE_MANPAGES aeogated.8 aeogatectl.1 aeogate-web.8 aeogate-sync.8 aeogate-hub.1 aeogate.ini.5)
if(SCDOC)
	set(man_outputs)
	foreach(page ${AEOGATE_MANPAGES})
		add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/man/${page}
			COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
			COMMAND ${SCDOC} < ${CMAKE_SOURCE_DIR}/docs/man/${page}.scd > ${CMAKE_BINARY_DIR}/man/${page}
			DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/${page}.scd
			COMMENT "scdoc ${page}")
		list(APPEND man_outputs ${CMAKE_BINARY_DIR}/man/${page})
		string(REGEX REPLACE ".*\\.([0-9])$" "\\1" section ${page})
		install(FILES ${CMAKE_BINARY_DIR}/man/${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
	endforeach()
	add_custom_target(manpages ALL DEPENDS ${man_outputs})
else()
	message(WARNING "scdoc not found: the man pages are not built (scripts/deps installs it)")
endif()
