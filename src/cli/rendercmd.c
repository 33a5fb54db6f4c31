/* `airlock policy render`: the cloud network configuration the zone policy
 * catalog implies (src/render*.c), written to stdout or as files with
 * fixed names into a directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "airlock/config.h"
#include "airlock/render.h"
#include "cli.h"

static void usage(FILE *fp)
{
	fprintf(fp, "usage: airlock policy render -c CONFIG --target aws|azure|gcp\n"
		    "                             [--format cloudformation|terraform] [--out DIR]\n"
		    "The cloud network configuration the config's zones, flow rules and AI endpoint\n"
		    "catalog imply, with the ids of its \"network\" section.  aws: the AI services'\n"
		    "interface VPC endpoints, their security group, the Bedrock endpoint policy and\n"
		    "the DHCP options (CloudFormation, or --format terraform); azure: the Azure\n"
		    "OpenAI private endpoint and its private DNS zone (Bicep) and the VNet's DNS\n"
		    "servers; gcp: egress firewall rules and the googleapis.com private zone\n"
		    "(Terraform JSON).  Without --out the files go to stdout, each after a line\n"
		    "\"==> NAME <==\" when there are several; with --out they are written into DIR\n"
		    "and their paths printed.  Exit 0 written, 1 a write failed, 2 bad input or a\n"
		    "missing fact.\n");
}

static int usage_error(const char *what, const char *arg)
{
	return cli_usage_error("policy render", usage, 2, what, arg);
}

struct render_args {
	const char *config, *target, *format, *out;
	enum al_render_target t;
	enum al_render_format f;
};

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct render_args *a)
{
	static const char *const names[] = { "-c", "--target", "--format", "--out" };
	static const char *const targets[] = { "aws", "azure", "gcp" };
	int i;
	size_t k;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char **dst[] = { &a->config, &a->target, &a->format, &a->out };

		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		for (k = 0; k < sizeof(names) / sizeof(names[0]) && strcmp(argv[i], names[k]); k++)
			;
		if (k == sizeof(names) / sizeof(names[0]))
			return usage_error("unknown argument", argv[i]);
		if (i + 1 >= argc)
			return usage_error("a value is needed after", argv[i]);
		if (*dst[k])
			return usage_error("given twice:", argv[i]);
		*dst[k] = argv[++i];
	}
	if (!a->config)
		return usage_error("which config? give -c CONFIG", NULL);
	if (!a->target)
		return usage_error("which cloud? give --target aws, azure or gcp", NULL);
	for (k = 0; k < 3 && strcmp(a->target, targets[k]); k++)
		;
	if (k == 3) {
		fprintf(stderr, "airlock policy render: --target \"%s\" is not a cloud (expected aws, azure or gcp)\n",
			a->target);
		return 2;
	}
	a->t = (enum al_render_target)k;
	if (!a->format)
		a->f = AL_RENDER_DEFAULT;
	else if (!strcmp(a->format, "cloudformation"))
		a->f = AL_RENDER_CLOUDFORMATION;
	else if (!strcmp(a->format, "terraform"))
		a->f = AL_RENDER_TERRAFORM;
	else {
		fprintf(stderr, "airlock policy render: --format \"%s\" is not a format (expected cloudformation or terraform)\n",
			a->format);
		return 2;
	}
	return -1;
}

static int write_stdout(const struct al_render *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		if (r->n > 1)
			printf("%s==> %s <==\n", i ? "\n" : "", r->items[i].name);
		fputs(r->items[i].text, stdout);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "airlock policy render: cannot write to stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* dir/name, written whole under a temporary name first. */
static int write_file(const char *dir, const struct al_artifact *a)
{
	char path[4096], tmp[4200];
	FILE *f;
	int ok;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, a->name) >= sizeof(path)) {
		fprintf(stderr, "airlock policy render: --out \"%s\": the path is too long\n", dir);
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (!(f = fopen(tmp, "w"))) {
		fprintf(stderr, "airlock policy render: cannot create %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	ok = fputs(a->text, f) >= 0;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "airlock policy render: cannot write %s: %s\n", path, strerror(errno));
		remove(tmp);
		return 1;
	}
	printf("%s\n", path);
	return 0;
}

static int write_dir(const char *dir, const struct al_render *r)
{
	struct stat st;
	size_t i;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "airlock policy render: cannot create the directory %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "airlock policy render: --out \"%s\" is not a directory\n", dir);
		return 1;
	}
	for (i = 0; i < r->n; i++)
		if (write_file(dir, &r->items[i]) != 0)
			return 1;
	return 0;
}

int cli_policy_render(int argc, char **argv)
{
	struct render_args a;
	struct al_config *cfg;
	struct al_render r;
	struct al_err err;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if ((rc = al_config_load(a.config, &cfg, &err)) < 0) {
		fprintf(stderr, "airlock policy render: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		return 2;
	}
	rc = al_render(cfg, a.t, a.f, &r, &err);
	al_config_unref(cfg);
	if (rc < 0) {
		fprintf(stderr, "airlock policy render: %s\n", rc == -ENOMEM ? "out of memory" : err.msg);
		return rc == -ENOMEM ? 1 : 2;
	}
	rc = a.out ? write_dir(a.out, &r) : write_stdout(&r);
	al_render_clear(&r);
	return rc;
}
