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
	char text[AL_MAX_NAME_TEXT];
	uint8_t wire[AL_MAX_NAME];
	const char *reg;
	size_t tlen, i;
	int below, n;

	if (!psl || (below = count_labels(name, len)) < 0 ||
	    al_msg_name_to_text(name, text, sizeof(text)) < 0)
		return -EINVAL;
	for (i = 0; text[i]; i++)
		text[i] = (char)al_msg_lower((uint8_t)text[i]);
	tlen = i;
	if (tlen > 1 && text[tlen - 1] == '.')
		text[--tlen] = '\0'; /* libpsl wants no trailing dot */
	if (!(reg = psl_registrable_domain(psl, text)))
		return -EINVAL;
	/* The labels above it, counted in wire form: the escapes (\X,
	 * \DDD) are read by the one parser that writes them. */
	if ((size_t)snprintf(out, outlen, "%s.", reg) >= outlen ||
	    (n = al_msg_name_from_text(out, wire, sizeof(wire))) < 0 ||
	    (below -= count_labels(wire, (size_t)n)) < 0)
		return -EINVAL;
	return below;
}
