/* The query log's filters, from command-line text: times (relative or
 * ISO 8601), zone, client CIDR, name suffix, type, action, incident
 * severity and kind, limit.  Every rejection names the option, the value
 * and what is expected. */
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "airlock/logread.h"
#include "airlock/querylog.h"

#define US 1000000LL

/* ----- times ----- */

/* Exactly n digits at *p, advancing it. */
static bool take_digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int al_logtime_duration(const char *s, int64_t *out_us)
{
	int64_t n = 0, unit;
	const char *p = s;

	while (*p >= '0' && *p <= '9') {
		if (p - s >= 12)
			return -EINVAL;
		n = n * 10 + (*p++ - '0');
	}
	if (p == s || *p == '\0' || p[1] != '\0')
		return -EINVAL;
	switch (*p) {
	case 's': unit = US; break;
	case 'm': unit = 60 * US; break;
	case 'h': unit = 3600 * US; break;
	case 'd': unit = 86400 * US; break;
	case 'w': unit = 7 * 86400 * US; break;
	default: return -EINVAL;
	}
	if (n > INT64_MAX / unit)
		return -EINVAL;
	*out_us = n * unit;
	return 0;
}

/* "30s", "15m", "1h", "7d", "2w": that long before now_us. */
static int parse_relative(const char *s, int64_t now_us, int64_t *out)
{
	int64_t d;

	if (al_logtime_duration(s, &d) < 0 || d > now_us)
		return -EINVAL; /* or before 1970 */
	*out = now_us - d;
	return 0;
}

/* YYYY-MM-DD[THH:MM[:SS[.f]][Z|+HH:MM|-HH:MM]], validated field by field. */
static int parse_absolute(const char *s, int64_t *out)
{
	struct tm tm;
	const char *p = s;
	int year, mon, day, hour = 0, min = 0, sec = 0, frac = 0, ndigits = 0;
	int off_h = 0, off_m = 0, sign = 0;
	int64_t us;
	time_t t;

	if (!take_digits(&p, 4, &year) || !take_char(&p, '-') || !take_digits(&p, 2, &mon) ||
	    !take_char(&p, '-') || !take_digits(&p, 2, &day))
		return -EINVAL;
	if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon))
		return -EINVAL;
	if (take_char(&p, 'T')) {
		if (!take_digits(&p, 2, &hour) || !take_char(&p, ':') || !take_digits(&p, 2, &min))
			return -EINVAL;
		if (take_char(&p, ':')) {
			if (!take_digits(&p, 2, &sec))
				return -EINVAL;
			if (take_char(&p, '.')) {
				while (*p >= '0' && *p <= '9' && ndigits < 6) {
					frac = frac * 10 + (*p++ - '0');
					ndigits++;
				}
				if (ndigits == 0 || (*p >= '0' && *p <= '9'))
					return -EINVAL; /* none, or finer than a microsecond */
				for (; ndigits < 6; ndigits++)
					frac *= 10;
			}
		}
		if (hour > 23 || min > 59 || sec > 59)
			return -EINVAL;
		if (*p == '+' || *p == '-') {
			sign = *p++ == '+' ? 1 : -1;
			if (!take_digits(&p, 2, &off_h) || !take_char(&p, ':') ||
			    !take_digits(&p, 2, &off_m) || off_h > 23 || off_m > 59)
				return -EINVAL;
		} else {
			take_char(&p, 'Z'); /* no designator: UTC as well */
		}
	}
	if (*p != '\0')
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	us = (int64_t)t * US + frac - (int64_t)sign * (off_h * 3600 + off_m * 60) * US;
	if (us < 0)
		return -EINVAL; /* before 1970 */
	*out = us;
	return 0;
}

int al_logtime_parse(const char *text, int64_t now_us, int64_t *out_us)
{
	/* Every absolute form starts with "YYYY-"; no relative one has a '-'. */
	if (strchr(text, '-'))
		return parse_absolute(text, out_us);
	return parse_relative(text, now_us, out_us);
}

int64_t al_logtime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

const char *al_logtime_format(int64_t ts_us, int digits, char *buf, size_t len)
{
	int64_t secs = ts_us / US, frac = ts_us % US;
	time_t t;
	struct tm tm;
	char date[24];

	if (frac < 0) {
		frac += US;
		secs--;
	}
	t = (time_t)secs;
	if (!gmtime_r(&t, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "%lld", (long long)ts_us);
		return buf;
	}
	if (digits == 6)
		snprintf(buf, len, "%s.%06dZ", date, (int)frac);
	else if (digits == 3)
		snprintf(buf, len, "%s.%03dZ", date, (int)(frac / 1000));
	else
		snprintf(buf, len, "%sZ", date);
	return buf;
}

/* ----- filters ----- */

#define K_Q (1u << AL_LOGREAD_QUERIES)
#define K_I (1u << AL_LOGREAD_INCIDENTS)
#define K_A (1u << AL_LOGREAD_ANSWERS)

typedef int (*setter)(struct al_logfilter *f, const char *opt, const char *text,
		      int64_t now_us, struct al_err *err);

static int set_time(struct al_logfilter *f, const char *opt, const char *text,
		    int64_t now_us, struct al_err *err)
{
	int64_t t;

	if (al_logtime_parse(text, now_us, &t) < 0)
		return al_err_set(err, "--%s \"%s\": not a time (expected e.g. 1h, 30m, 7d, 2026-11-24T10:00Z, 2026-11-24T11:00:00+01:00 or 2026-11-24)",
				  opt, text);
	if (!strcmp(opt, "since")) {
		f->since_us = t;
		f->has_since = true;
	} else if (!strcmp(opt, "until")) {
		f->until_us = t;
		f->has_until = true;
	} else {
		f->at_us = t;
		f->has_at = true;
	}
	return 0;
}

static bool valid_zone(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 63)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

static int set_zone(struct al_logfilter *f, const char *opt, const char *text,
		    int64_t now_us, struct al_err *err)
{
	(void)now_us;
	if (!valid_zone(text))
		return al_err_set(err, "--%s \"%s\": not a zone name (expected 1-63 of a-z 0-9 - _, e.g. inference)",
				  opt, text);
	snprintf(f->zone, sizeof(f->zone), "%s", text);
	return 0;
}

/* An IPv4-mapped IPv6 prefix (::ffff:10.0.2.0/120) matches the IPv4 form
 * the log stores. */
static void unmap(struct al_cidr *c)
{
	if (c->prefix >= 96 && al_ip_unmap(&c->ip))
		c->prefix -= 96;
}

static int set_client(struct al_logfilter *f, const char *opt, const char *text,
		      int64_t now_us, struct al_err *err)
{
	(void)now_us;
	if (al_cidr_parse(text, &f->client) < 0)
		return al_err_set(err, "--%s \"%s\": not an address or CIDR (expected e.g. 10.0.2.15, 10.0.2.0/24 or fd00::/64, host bits zero)",
				  opt, text);
	unmap(&f->client);
	f->has_client = true;
	return 0;
}

/* A name in presentation form: printable, labels of 1-63, at most 253
 * characters without the trailing dot; "." is the root, above every name. */
static int set_name(struct al_logfilter *f, const char *opt, const char *text,
		    int64_t now_us, struct al_err *err)
{
	char buf[sizeof(f->name)];
	size_t n = strlen(text), i, label = 0;

	(void)now_us;
	if (!strcmp(text, ".")) {
		snprintf(f->name, sizeof(f->name), ".");
		return 0;
	}
	if (n > 0 && text[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		goto bad;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c <= ' ' || c >= 0x7f)
			goto bad;
		if (c == '.') {
			if (label == 0)
				goto bad;
			label = 0;
		} else if (++label > 63) {
			goto bad;
		}
		buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	buf[n] = '.';
	buf[n + 1] = '\0';
	memcpy(f->name, buf, n + 2);
	return 0;
bad:
	return al_err_set(err, "--%s \"%s\": not a domain name (expected e.g. example.com or pythonhosted.org.)",
			  opt, text);
}

static bool parse_uint(const char *s, int max_digits, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	for (; *s; s++, n++) {
		if (*s < '0' || *s > '9' || n >= max_digits)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (n == 0)
		return false; /* out untouched: a rejected --limit "" keeps the default */
	*out = v;
	return true;
}

static int set_type(struct al_logfilter *f, const char *opt, const char *text,
		    int64_t now_us, struct al_err *err)
{
	uint64_t v;
	ldns_rr_type t;

	(void)now_us;
	if (!strncasecmp(text, "TYPE", 4)) {
		/* RFC 3597's TYPEnnn, read here: ldns's atoi takes "TYPE1x" as 1 */
		if (parse_uint(text + 4, 5, &v) && v <= 65535) {
			f->qtype = (int)v;
			return 0;
		}
	} else if (parse_uint(text, 5, &v)) {
		if (v <= 65535) {
			f->qtype = (int)v;
			return 0;
		}
	} else if ((t = ldns_get_rr_type_by_name(text)) != 0) {
		f->qtype = (int)t;
		return 0;
	}
	return al_err_set(err, "--%s \"%s\": not a record type (expected a type name such as A, AAAA, TXT, HTTPS, or a number 0-65535)",
			  opt, text);
}

/* text is one of the names names() gives for 0, 1, ... up to "unknown". */
static int set_choice(char *dst, size_t cap, const char *what, const char *opt, const char *text,
		      const char *(*names)(int), struct al_err *err)
{
	char expected[128] = "";
	size_t o = 0;
	int i;

	for (i = 0; strcmp(names(i), "unknown") != 0; i++) {
		if (!strcmp(text, names(i)) && strlen(text) < cap) {
			memcpy(dst, text, strlen(text) + 1);
			return 0;
		}
		if (o < sizeof(expected))
			o += (size_t)snprintf(expected + o, sizeof(expected) - o, "%s%s",
					      i ? ", " : "", names(i));
	}
	return al_err_set(err, "--%s \"%s\": not %s (expected one of %s)", opt, text, what, expected);
}

static const char *action_name(int i)
{
	return al_action_name((enum al_action)i);
}

static const char *severity_name(int i)
{
	return al_severity_name((enum al_severity)i);
}

static int set_action(struct al_logfilter *f, const char *opt, const char *text,
		      int64_t now_us, struct al_err *err)
{
	(void)now_us;
	return set_choice(f->action, sizeof(f->action), "an action", opt, text, action_name, err);
}

static int set_severity(struct al_logfilter *f, const char *opt, const char *text,
			int64_t now_us, struct al_err *err)
{
	(void)now_us;
	return set_choice(f->severity, sizeof(f->severity), "a severity", opt, text,
			  severity_name, err);
}

/* --kind: whatever a detector or rule writes, e.g. ai_name_denied. */
static int set_kind(struct al_logfilter *f, const char *opt, const char *text,
		    int64_t now_us, struct al_err *err)
{
	size_t n = strlen(text), i;

	(void)now_us;
	for (i = 0; i < n; i++)
		if ((unsigned char)text[i] <= ' ')
			break;
	if (n == 0 || n >= sizeof(f->kind_name) || i < n)
		return al_err_set(err, "--%s \"%s\": not an incident kind (expected a word of 1-63 characters, e.g. ai_name_denied)",
				  opt, text);
	memcpy(f->kind_name, text, n + 1);
	return 0;
}

static int set_limit(struct al_logfilter *f, const char *opt, const char *text,
		     int64_t now_us, struct al_err *err)
{
	(void)now_us;
	if (!parse_uint(text, 18, &f->limit))
		return al_err_set(err, "--%s \"%s\": not a row count (expected a number; 0 for no limit)",
				  opt, text);
	f->has_limit = true;
	return 0;
}

static const struct {
	const char *name;
	unsigned kinds;
	setter set;
} filters[] = {
	{ "since", K_Q | K_I | K_A, set_time },
	{ "until", K_Q | K_I | K_A, set_time },
	{ "at", K_A, set_time },
	{ "zone", K_Q | K_I | K_A, set_zone },
	{ "client", K_Q | K_I | K_A, set_client },
	{ "name", K_Q | K_I, set_name },
	{ "type", K_Q, set_type },
	{ "action", K_Q, set_action },
	{ "severity", K_I, set_severity },
	{ "kind", K_I, set_kind },
	{ "limit", K_Q | K_I | K_A, set_limit },
};
#define NFILTERS (sizeof(filters) / sizeof(filters[0]))

void al_logfilter_init(struct al_logfilter *f, enum al_logread_kind kind)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->qtype = -1;
	f->limit = AL_LOGREAD_LIMIT;
}

static size_t find(const char *opt)
{
	size_t i;

	for (i = 0; i < NFILTERS; i++)
		if (!strcmp(opt, filters[i].name))
			break;
	return i;
}

bool al_logfilter_exists(const char *opt)
{
	return find(opt) < NFILTERS;
}

bool al_logfilter_takes(enum al_logread_kind kind, const char *opt)
{
	size_t i = find(opt);

	return i < NFILTERS && (filters[i].kinds & (1u << kind));
}

int al_logfilter_set(struct al_logfilter *f, const char *opt, const char *text,
		     int64_t now_us, struct al_err *err)
{
	char list[160] = "";
	size_t i, o = 0;

	if ((i = find(opt)) == NFILTERS) {
		/* A name of any length from the command line: shown cut. */
		al_err_set(err, "--%.64s%s: no such filter", opt, strlen(opt) > 64 ? "..." : "");
		return -ENOENT;
	}
	if (!(filters[i].kinds & (1u << f->kind))) {
		size_t j;

		for (j = 0; j < NFILTERS; j++)
			if (filters[j].kinds & (1u << f->kind))
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s--%s",
						      o ? " " : "", filters[j].name);
		return al_err_set(err, "--%s does not apply here (filters: %s)", opt, list);
	}
	if (f->given & (1u << i))
		return al_err_set(err, "--%s given twice", opt);
	if (filters[i].set(f, opt, text, now_us, err) < 0)
		return -EINVAL;
	f->given |= 1u << i;
	return 0;
}

int al_logfilter_set_ip(struct al_logfilter *f, const char *text, struct al_err *err)
{
	struct al_ip ip;

	if (al_ip_parse(text, &ip) < 0)
		return al_err_set(err, "\"%s\": not an IP address (expected e.g. 192.0.2.7 or 2001:db8::7)",
				  text);
	al_ip_unmap(&ip); /* ::ffff:192.0.2.7 was logged as 192.0.2.7 */
	al_ip_format(&ip, f->ip, sizeof(f->ip));
	return 0;
}

int al_logfilter_check(const struct al_logfilter *f, struct al_err *err)
{
	char a[AL_LOGTIME_LEN], b[AL_LOGTIME_LEN];

	if (f->has_since && f->has_until && f->since_us > f->until_us)
		return al_err_set(err, "--since %s is after --until %s",
				  al_logtime_format(f->since_us, 6, a, sizeof(a)),
				  al_logtime_format(f->until_us, 6, b, sizeof(b)));
	if (f->kind == AL_LOGREAD_ANSWERS && f->ip[0] == '\0')
		return al_err_set(err, "no address given (expected e.g. 192.0.2.7)");
	return 0;
}
