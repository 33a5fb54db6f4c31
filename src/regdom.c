/* The registered domain of a name: see regdom.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "airlock/msg.h"
#include "airlock/regdom.h"

/* Labels of a wire name (the root not counted); -1 if malformed. */
static int count_labels(const uint8_t *name, size_t len)
{
	size_t off = 0;
	int n = 0;

	while (off < len && name[off]) {
		off += (size_t)name[off] + 1;
		n++;
	}
	return off < len ? n : -1;
}

int al_regdom(const psl_ctx_t *psl, const uint8_t *name, size_t len, char *out, size_t outlen)
{
	char text[AL_MAX_NAME * 4];
	const char *reg, *p;
	size_t tlen, i;
	int below;

	if (!psl || (below = count_labels(name, len)) < 0 ||
	    al_msg_name_to_text(name, text, sizeof(text)) < 0)
		return -EINVAL;
	for (i = 0; text[i]; i++)
		if (text[i] >= 'A' && text[i] <= 'Z')
			text[i] = (char)(text[i] - 'A' + 'a');
	tlen = i;
	if (tlen > 1 && text[tlen - 1] == '.')
		text[--tlen] = '\0'; /* libpsl wants no trailing dot */
	if (!(reg = psl_registrable_domain(psl, text)))
		return -EINVAL;
	below--; /* the registered domain's own first label */
	for (p = reg; *p; p++) {
		if (*p == '\\') { /* \X or \DDD (al_msg_name_to_text's escapes): no separator */
			p += p[1] >= '0' && p[1] <= '9' ? 3 : 1;
			continue;
		}
		below -= *p == '.';
	}
	if (below < 0 || (size_t)snprintf(out, outlen, "%s.", reg) >= outlen)
		return -EINVAL;
	return below;
}
