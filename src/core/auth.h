/*
 * auth.h - passwords and secrets: Argon2id hashes and random tokens from
 * libsodium. Pure computation; the store keeps the results.
 */
#ifndef CAIRN_AUTH_H
#define CAIRN_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Initialises libsodium once; safe to call from any thread, many times. */
int auth_init(void);
/* Appends an Argon2id hash string of password to out. */
int auth_hash_password(const char *password, struct buf *out, struct buf *err);
bool auth_check_password(const char *hash, const char *password);
/* Appends n random characters from [A-Za-z0-9] (a generated password). */
int auth_random_password(struct buf *out, size_t n);
/* Appends 2*nbytes hex characters of fresh randomness (secrets, tokens). */
int auth_random_hex(struct buf *out, size_t nbytes);
/* A password policy: at least 8 characters. CAIRN_EINVAL with the reason. */
int auth_password_ok(const char *password, struct buf *err);
/* A user or project name: 1-64 characters of [A-Za-z0-9._-], not starting with '.' or '-'. */
int auth_name_ok(const char *what, const char *name, struct buf *err);

#endif
