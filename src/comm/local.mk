# src/comm: the SSH communicator (libssh): connect and wait, exec, SFTP, keys, jump host
src_libkilncomp_a_SOURCES += \
	src/comm/ssh.h src/comm/ssh_internal.h \
	src/comm/ssh_config.c \
	src/comm/ssh_connect.c \
	src/comm/ssh_exec.c \
	src/comm/ssh_jump.c \
	src/comm/ssh_keys.c \
	src/comm/ssh_sftp.c

# A command-line driver of the communicator for the integration tests (t03xx) and bench/ssh.sh.
check_PROGRAMS += tests/lib/kiln-ssh-driver
tests_lib_kiln_ssh_driver_SOURCES = tests/lib/kiln-ssh-driver.c
tests_lib_kiln_ssh_driver_LDADD = $(KILN_LINK)
EXTRA_DIST += tests/lib/sshd.sh
TESTS += tests/integration/t0300-ssh-connect.sh
TESTS += tests/integration/t0301-ssh-exec.sh
TESTS += tests/integration/t0302-ssh-files.sh
