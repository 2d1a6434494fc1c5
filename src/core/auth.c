/*
 * auth.c - Argon2id password hashing and random secrets (libsodium).
 */
#include "core/auth.h"

#include <sodium.h>
#include <string.h>

#include "base/err.h"
#include "base/banned.h"

int auth_init(void)
{
	return sodium_init() < 0 ? CAIRN_EINTERNAL : 0;
}

int auth_hash_password(const char *password, struct buf *out, struct buf *err)
{
	char hash[crypto_pwhash_STRBYTES];
	if (auth_init())
		return CAIRN_EINTERNAL;
	/* Interactive limits: about 64 MiB and a fraction of a second. */
	if (crypto_pwhash_str_alg(hash, password, strlen(password),
				  crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		buf_setf(err, "password: hashing failed (out of memory)");
		return CAIRN_ENOMEM;
	}
	return buf_adds(out, hash);
}

bool auth_check_password(const char *hash, const char *password)
{
	if (!hash || !password || auth_init())
		return false;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

int auth_random_password(struct buf *out, size_t n)
{
	static const char alphabet[] =
		"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	if (auth_init())
		return CAIRN_EINTERNAL;
	for (size_t i = 0; i < n; i++) {
		int rc = buf_addch(out, alphabet[randombytes_uniform(sizeof(alphabet) - 1)]);
		if (rc)
			return rc;
	}
	return 0;
}

int auth_random_hex(struct buf *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[64];
	if (auth_init())
		return CAIRN_EINTERNAL;
	while (nbytes) {
		size_t k = nbytes < sizeof(b) ? nbytes : sizeof(b);
		randombytes_buf(b, k);
		for (size_t i = 0; i < k; i++) {
			buf_addch(out, hex[b[i] >> 4]);
			buf_addch(out, hex[b[i] & 15]);
		}
		nbytes -= k;
	}
	sodium_memzero(b, sizeof(b));
	return 0;
}

int auth_password_ok(const char *password, struct buf *err)
{
	size_t n = strlen(password);
	if (n < 8) {
		buf_setf(err, "password: must be at least 8 characters (got %zu)", n);
		return CAIRN_EINVAL;
	}
	if (n > 1024) {
		buf_setf(err, "password: must be at most 1024 characters");
		return CAIRN_EINVAL;
	}
	return 0;
}

int auth_name_ok(const char *what, const char *name, struct buf *err)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64) {
		buf_setf(err, "%s name: must be 1 to 64 characters (got %zu)", what, n);
		return CAIRN_EINVAL;
	}
	if (name[0] == '.' || name[0] == '-') {
		buf_setf(err, "%s name '%s': must not start with '%c'", what, name, name[0]);
		return CAIRN_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-')) {
			buf_setf(err, "%s name '%s': character %zu ('%c') is not a letter, digit, "
				 "'.', '_' or '-'", what, name, i + 1, c);
			return CAIRN_EINVAL;
		}
	}
	return 0;
}
