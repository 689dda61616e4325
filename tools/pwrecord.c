/*
 * pwrecord: prints the password record auth's account seed takes
 * (docs/auth.md), for the password on standard input's first line, with
 * a fresh salt from /dev/urandom and the default cost (N = 4096, r = 8,
 * p = 1) unless "-n N -r R -p P" say otherwise.
 *
 *   printf '%s\n' 'the password' | build/tools/pwrecord
 *
 * The password is read, hashed and wiped; it is never printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "crypto.h"

int
main(int argc, char **argv)
{
	uint32_t n = 4096, r = 8, p = 1;
	uint8_t salt[PW_SALT_LEN];
	char pw[PW_MAX + 2], text[PW_RECORD_MAX + 1];
	struct pw_record rec;
	size_t len;
	FILE *f;

	for (int i = 1; i + 1 < argc; i += 2) {
		uint32_t v = (uint32_t)strtoul(argv[i + 1], NULL, 10);

		if (strcmp(argv[i], "-n") == 0)
			n = v;
		else if (strcmp(argv[i], "-r") == 0)
			r = v;
		else if (strcmp(argv[i], "-p") == 0)
			p = v;
		else {
			fprintf(stderr, "usage: pwrecord [-n N] [-r R] "
			    "[-p P] < password\n");
			return 2;
		}
	}
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "pwrecord: no password on standard input\n");
		return 1;
	}
	len = strcspn(pw, "\n");
	if (len > PW_MAX) {
		fprintf(stderr, "pwrecord: longer than %d bytes\n",
		    PW_MAX);
		return 1;
	}
	if ((f = fopen("/dev/urandom", "rb")) == NULL ||
	    fread(salt, 1, sizeof(salt), f) != sizeof(salt)) {
		fprintf(stderr, "pwrecord: cannot read /dev/urandom\n");
		return 1;
	}
	fclose(f);
	if (pw_make(pw, len, salt, n, r, p, &rec) != 0 ||
	    pw_format(&rec, text, sizeof(text)) != 0) {
		crypto_wipe(pw, sizeof(pw));
		fprintf(stderr, "pwrecord: parameters out of range (N a power "
		    "of two in %d..%d, r 1..%d, p 1..%d)\n", PW_N_MIN,
		    PW_N_MAX, PW_R_MAX, PW_P_MAX);
		return 1;
	}
	crypto_wipe(pw, sizeof(pw));
	printf("%s\n", text);
	return 0;
}
