#ifndef MAI_CLIBSSH_SHIM_H
#define MAI_CLIBSSH_SHIM_H
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#endif
