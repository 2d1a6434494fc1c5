/*
 * jdom.c - a strict one-pass JSON parser into an arena tree (see jdom.h).
 *
 * Recursive descent, depth-limited. Children of the containers being read
 * are pushed on two scratch stacks (values and members); when a container
 * closes, its slice is copied into the arena and popped, so the tree costs
 * one arena copy per container and no allocation per value.
 */
#include "base/jdom.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Objects up to this size look for a duplicate key as each key is read;
 * bigger ones sort their keys when they close. */
#define DUP_LINEAR_MAX 32

struct p {
	struct arena *a;
	const char *s;
	size_t len, i;
	int max_depth;
	struct jd_error *e;
	bool failed;
	struct jd *vals;                /* scratch stack of array items */
	size_t nvals, capvals;
	struct jd_member *mems;         /* scratch stack of object members */
	size_t nmems, capmems;
};

/* Fails at the byte before p->i (the token just read), jansson-style. */
static void fail(struct p *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct p *p, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = true;
	size_t at = p->i ? p->i - 1 : 0;
	if (at >= p->len && p->len)
		at = p->len - 1;
	int line = 1;
	size_t ls = 0;
	for (size_t k = 0; k < at && k < p->len; k++)
		if (p->s[k] == '\n') {
			line++;
			ls = k + 1;
		}
	p->e->line = line;
	p->e->column = (int)(at - ls + 1);
	p->e->position = p->i < p->len ? p->i : p->len;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->e->text, sizeof(p->e->text), fmt, ap);
	va_end(ap);
}

/* "near 'x'" text: the token at [from, p->i), or "end of file". */
static void near_text(struct p *p, size_t from, char *out, size_t n)
{
	if (from >= p->len) {
		snprintf(out, n, "end of file");
		return;
	}
	size_t l = p->i > from ? p->i - from : 1;
	if (l > 20)
		l = 20;
	char tok[24];
	size_t k = 0;
	for (size_t j = 0; j < l && from + j < p->len; j++) {
		unsigned char ch = (unsigned char)p->s[from + j];
		tok[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	tok[k] = 0;
	snprintf(out, n, "'%s'", tok);
}

static void skip_ws(struct p *p)
{
	while (p->i < p->len) {
		char c = p->s[p->i];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->i++;
	}
}

static void unexpected(struct p *p, const char *what)
{
	size_t from = p->i;
	if (p->i < p->len)
		p->i++;
	char nt[40];
	near_text(p, from, nt, sizeof(nt));
	if (from >= p->len)
		fail(p, "%s near end of file", what ? what : "premature end of input");
	else
		fail(p, "%s near %s", what ? what : "unexpected token", nt);
}

static bool push_val(struct p *p, const struct jd *v)
{
	if (p->nvals == p->capvals) {
		size_t cap = p->capvals ? p->capvals * 2 : 64;
		struct jd *nv = realloc(p->vals, cap * sizeof(*nv));
		if (!nv) {
			fail(p, "out of memory");
			return false;
		}
		p->vals = nv;
		p->capvals = cap;
	}
	p->vals[p->nvals++] = *v;
	return true;
}

static bool push_mem(struct p *p, const char *k, size_t kl, const struct jd *v)
{
	if (p->nmems == p->capmems) {
		size_t cap = p->capmems ? p->capmems * 2 : 64;
		struct jd_member *nv = realloc(p->mems, cap * sizeof(*nv));
		if (!nv) {
			fail(p, "out of memory");
			return false;
		}
		p->mems = nv;
		p->capmems = cap;
	}
	p->mems[p->nmems++] = (struct jd_member){k, kl, *v};
	return true;
}

/* Length of a valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;       /* overlong */
		if (c == 0xed && s[1] >= 0xa0)
			return 0;       /* a surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;       /* overlong */
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;       /* past U+10FFFF */
		return 4;
	}
	return 0;
}

static int hex4(const char *s)
{
	int v = 0;
	for (int k = 0; k < 4; k++) {
		char c = s[k];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Reads the string starting at the opening quote p->s[p->i]. */
static bool read_string(struct p *p, const char **out, size_t *outlen)
{
	size_t start = ++p->i;
	/* Fast path: plain ASCII with no escapes. */
	size_t j = start;
	while (j < p->len) {
		unsigned char c = (unsigned char)p->s[j];
		if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
			break;
		j++;
	}
	if (j < p->len && p->s[j] == '"') {
		char *o = arena_strndup(p->a, p->s + start, j - start);
		if (!o) {
			fail(p, "out of memory");
			return false;
		}
		*out = o;
		*outlen = j - start;
		p->i = j + 1;
		return true;
	}
	/* Find the end to size the copy (decoded text is never longer). */
	size_t end = j;
	while (end < p->len && p->s[end] != '"') {
		if (p->s[end] == '\\')
			end++;
		end++;
	}
	size_t cap = (end < p->len ? end : p->len) - start + 1;
	char *o = arena_alloc(p->a, cap);
	if (!o) {
		fail(p, "out of memory");
		return false;
	}
	size_t n = 0;
	p->i = start;
	for (;;) {
		if (p->i >= p->len) {
			fail(p, "premature end of input near end of file");
			return false;
		}
		unsigned char c = (unsigned char)p->s[p->i];
		if (c == '"') {
			p->i++;
			break;
		}
		if (c < 0x20) {
			p->i++;
			fail(p, "control character 0x%x in a string", c);
			return false;
		}
		if (c >= 0x80) {
			size_t l = utf8_len((const unsigned char *)p->s + p->i, p->len - p->i);
			if (!l) {
				p->i++;
				fail(p, "invalid UTF-8 (byte 0x%x) in a string", c);
				return false;
			}
			memcpy(o + n, p->s + p->i, l);
			n += l;
			p->i += l;
			continue;
		}
		if (c != '\\') {
			o[n++] = (char)c;
			p->i++;
			continue;
		}
		if (p->i + 1 >= p->len) {
			p->i = p->len;
			fail(p, "premature end of input near end of file");
			return false;
		}
		char x = p->s[p->i + 1];
		p->i += 2;
		switch (x) {
		case '"': o[n++] = '"'; break;
		case '\\': o[n++] = '\\'; break;
		case '/': o[n++] = '/'; break;
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'n': o[n++] = '\n'; break;
		case 'r': o[n++] = '\r'; break;
		case 't': o[n++] = '\t'; break;
		case 'u': {
			int v = p->i + 4 <= p->len ? hex4(p->s + p->i) : -1;
			if (v < 0) {
				fail(p, "invalid escape in a string");
				return false;
			}
			p->i += 4;
			unsigned cp = (unsigned)v;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				int lo = p->i + 6 <= p->len && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u'
						 ? hex4(p->s + p->i + 2)
						 : -1;
				if (lo < 0xdc00 || lo > 0xdfff) {
					fail(p, "invalid Unicode '\\u%04X' (a lone surrogate)", cp);
					return false;
				}
				p->i += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail(p, "invalid Unicode '\\u%04X' (a lone surrogate)", cp);
				return false;
			} else if (cp == 0) {
				fail(p, "\\u0000 is not allowed in a string");
				return false;
			}
			n += put_utf8(o + n, cp);
			break;
		}
		default:
			fail(p, "invalid escape '\\%c' in a string", x >= 0x20 && x < 0x7f ? x : '?');
			return false;
		}
	}
	o[n] = 0;
	*out = o;
	*outlen = n;
	return true;
}

static bool read_number(struct p *p, struct jd *v)
{
	size_t start = p->i, k = p->i;
	bool neg = false, real = false;
	if (k < p->len && p->s[k] == '-') {
		neg = true;
		k++;
	}
	if (k >= p->len || p->s[k] < '0' || p->s[k] > '9') {
		p->i = k;
		unexpected(p, "invalid token");
		return false;
	}
	if (p->s[k] == '0') {
		k++;
	} else {
		while (k < p->len && p->s[k] >= '0' && p->s[k] <= '9')
			k++;
	}
	if (k < p->len && p->s[k] == '.') {
		real = true;
		k++;
		size_t d = k;
		while (k < p->len && p->s[k] >= '0' && p->s[k] <= '9')
			k++;
		if (k == d) {
			p->i = k;
			unexpected(p, "invalid token");
			return false;
		}
	}
	if (k < p->len && (p->s[k] == 'e' || p->s[k] == 'E')) {
		real = true;
		k++;
		if (k < p->len && (p->s[k] == '+' || p->s[k] == '-'))
			k++;
		size_t d = k;
		while (k < p->len && p->s[k] >= '0' && p->s[k] <= '9')
			k++;
		if (k == d) {
			p->i = k;
			unexpected(p, "invalid token");
			return false;
		}
	}
	p->i = k;
	if (!real) {
		uint64_t acc = 0;
		uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		for (size_t j = start + neg; j < k; j++) {
			unsigned d = (unsigned)(p->s[j] - '0');
			if (acc > (lim - d) / 10) {
				fail(p, "too big integer");
				return false;
			}
			acc = acc * 10 + d;
		}
		v->type = JD_INT;
		v->u.i = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc)
			     : (int64_t)acc;
		return true;
	}
	char local[64];
	char *t = local;
	size_t l = k - start;
	if (l >= sizeof(local) && !(t = arena_alloc(p->a, l + 1))) {
		fail(p, "out of memory");
		return false;
	}
	memcpy(t, p->s + start, l);
	t[l] = 0;
	errno = 0;
	double d = strtod(t, NULL);
	if (!isfinite(d)) {
		fail(p, "real number overflow");
		return false;
	}
	v->type = JD_REAL;
	v->u.d = d;
	return true;
}

static int key_cmp(const void *x, const void *y)
{
	const struct jd_member *a = *(struct jd_member *const *)x, *b = *(struct jd_member *const *)y;
	size_t l = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, l);
	return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

static bool read_value(struct p *p, struct jd *v, int depth);

static bool read_object(struct p *p, struct jd *v, int depth)
{
	size_t base = p->nmems;
	p->i++;
	skip_ws(p);
	if (p->i < p->len && p->s[p->i] == '}') {
		p->i++;
		*v = (struct jd){.type = JD_OBJECT};
		return true;
	}
	for (;;) {
		skip_ws(p);
		if (p->i >= p->len || p->s[p->i] != '"') {
			unexpected(p, "string or '}' expected");
			return false;
		}
		const char *k;
		size_t kl;
		if (!read_string(p, &k, &kl))
			return false;
		size_t n = p->nmems - base;
		if (n < DUP_LINEAR_MAX) {
			for (size_t j = base; j < p->nmems; j++)
				if (p->mems[j].klen == kl && !memcmp(p->mems[j].key, k, kl)) {
					p->e->duplicate = true;
					fail(p, "duplicate object key '%.100s'", k);
					return false;
				}
		}
		skip_ws(p);
		if (p->i >= p->len || p->s[p->i] != ':') {
			unexpected(p, "':' expected");
			return false;
		}
		p->i++;
		skip_ws(p);
		struct jd child;
		if (!read_value(p, &child, depth + 1) || !push_mem(p, k, kl, &child))
			return false;
		skip_ws(p);
		if (p->i < p->len && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->len && p->s[p->i] == '}') {
			p->i++;
			break;
		}
		unexpected(p, "'}' expected");
		return false;
	}
	size_t n = p->nmems - base;
	struct jd_member *m = arena_alloc(p->a, n * sizeof(*m));
	if (!m) {
		fail(p, "out of memory");
		return false;
	}
	memcpy(m, p->mems + base, n * sizeof(*m));
	p->nmems = base;
	if (n > DUP_LINEAR_MAX) {
		struct jd_member **idx = malloc(n * sizeof(*idx));
		if (!idx) {
			fail(p, "out of memory");
			return false;
		}
		for (size_t j = 0; j < n; j++)
			idx[j] = &m[j];
		qsort(idx, n, sizeof(*idx), key_cmp);
		for (size_t j = 1; j < n; j++)
			if (!key_cmp(&idx[j - 1], &idx[j])) {
				p->e->duplicate = true;
				fail(p, "duplicate object key '%.100s'", idx[j]->key);
				free(idx);
				return false;
			}
		free(idx);
	}
	*v = (struct jd){.type = JD_OBJECT, .n = n, .u.members = m};
	return true;
}

static bool read_array(struct p *p, struct jd *v, int depth)
{
	size_t base = p->nvals;
	p->i++;
	skip_ws(p);
	if (p->i < p->len && p->s[p->i] == ']') {
		p->i++;
		*v = (struct jd){.type = JD_ARRAY};
		return true;
	}
	for (;;) {
		skip_ws(p);
		struct jd child;
		if (!read_value(p, &child, depth + 1) || !push_val(p, &child))
			return false;
		skip_ws(p);
		if (p->i < p->len && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->len && p->s[p->i] == ']') {
			p->i++;
			break;
		}
		unexpected(p, "']' expected");
		return false;
	}
	size_t n = p->nvals - base;
	struct jd *items = arena_alloc(p->a, n * sizeof(*items));
	if (!items) {
		fail(p, "out of memory");
		return false;
	}
	memcpy(items, p->vals + base, n * sizeof(*items));
	p->nvals = base;
	*v = (struct jd){.type = JD_ARRAY, .n = n, .u.items = items};
	return true;
}

static bool literal(struct p *p, const char *word, enum jd_type t, struct jd *v)
{
	size_t l = strlen(word);
	if (p->len - p->i >= l && !memcmp(p->s + p->i, word, l)) {
		p->i += l;
		*v = (struct jd){.type = t};
		return true;
	}
	unexpected(p, "invalid token");
	return false;
}

static bool read_value(struct p *p, struct jd *v, int depth)
{
	if (depth > p->max_depth) {
		if (p->i < p->len)
			p->i++;
		fail(p, "maximum parsing depth reached");
		return false;
	}
	if (p->i >= p->len) {
		unexpected(p, NULL);
		return false;
	}
	char c = p->s[p->i];
	switch (c) {
	case '{': return read_object(p, v, depth);
	case '[': return read_array(p, v, depth);
	case '"': {
		const char *s;
		size_t n;
		if (!read_string(p, &s, &n))
			return false;
		*v = (struct jd){.type = JD_STRING, .n = n, .u.s = s};
		return true;
	}
	case 't': return literal(p, "true", JD_TRUE, v);
	case 'f': return literal(p, "false", JD_FALSE, v);
	case 'n': return literal(p, "null", JD_NULL, v);
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return read_number(p, v);
		unexpected(p, c == ']' || c == '}' || c == ',' || c == ':' ? "unexpected token"
									: "invalid token");
		return false;
	}
}

const struct jd *jd_parse(struct arena *a, const char *s, size_t len, int max_depth,
			  struct jd_error *e)
{
	struct p p = {.a = a, .s = s ? s : "", .len = s ? len : 0, .max_depth = max_depth, .e = e};
	memset(e, 0, sizeof(*e));
	struct jd *root = arena_alloc(a, sizeof(*root));
	bool ok = root != NULL;
	if (!ok)
		fail(&p, "out of memory");
	skip_ws(&p);
	if (ok)
		ok = read_value(&p, root, 1);
	if (ok) {
		skip_ws(&p);
		if (p.i < p.len) {
			unexpected(&p, "end of file expected");
			ok = false;
		}
	}
	free(p.vals);
	free(p.mems);
	return ok ? root : NULL;
}

const struct jd *jd_get(const struct jd *o, const char *k)
{
	if (!jd_is_object(o))
		return NULL;
	size_t kl = strlen(k);
	for (size_t i = 0; i < o->n; i++)
		if (o->u.members[i].klen == kl && !memcmp(o->u.members[i].key, k, kl))
			return &o->u.members[i].v;
	return NULL;
}

const struct jd *jd_at(const struct jd *a, size_t i)
{
	return jd_is_array(a) && i < a->n ? &a->u.items[i] : NULL;
}

size_t jd_size(const struct jd *v)
{
	return jd_is_array(v) || jd_is_object(v) ? v->n : 0;
}
