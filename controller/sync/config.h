/* SPDX-License-Identifier: MIT */
/*
 * aeogate-sync's configuration: the [sync] section (README "Many sites")
 * of aeogated's config file or of a file of its own, and [controller]
 * socket for where aeogated listens. Other sections are aeogated's and are
 * not read here.
 */
#ifndef AEOGATE_SYNC_CONFIG_H
#define AEOGATE_SYNC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "aeogate/limits.h"

#define SYNC_PATH_MAX 4096
#define SYNC_HOST_MAX 255
/* A password from password_file: MQTT allows 65535 bytes; a line is plenty. */
#define SYNC_PASSWORD_MAX 256

struct sync_config {
	bool tls; /* mqtts:// */
	char host[SYNC_HOST_MAX + 1];
	int port;
	char ca_file[SYNC_PATH_MAX];
	char cert_file[SYNC_PATH_MAX];
	char key_file[SYNC_PATH_MAX];
	char username[AEOGATE_TEXT_MAX + 1];
	char password[SYNC_PASSWORD_MAX + 1]; /* read from password_file */
	bool has_password;
	char client_id[AEOGATE_ID_MAX + 1]; /* CONTROLLER in the topics */
	char site[AEOGATE_ID_MAX + 1];	    /* SITE in the topics */
	char socket[SYNC_PATH_MAX];	    /* [controller] socket, or the default */
};

/*
 * Reads path into *ret. 0, or -1 with a sentence in err ("FILE:LINE: key
 * 'broker': ..."): a missing or unknown key, a bad value, a file that
 * cannot be read.
 */
int sync_config_load(const char *path, struct sync_config *ret, char *err, size_t errlen);

#endif
