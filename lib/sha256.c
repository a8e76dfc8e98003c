// SPDX-License-Identifier: GPL-2.0-or-later
/* SHA-256 as FIPS 180-4 writes it; small inputs only (a name and an id),
 * so clarity over speed. No crypto library: the core links none, and a
 * hash of a few dozen bytes does not justify one. */
#include <stdbool.h>
#include <string.h>

#include "sha256.h"

struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	size_t fill;
	uint64_t bits;
};

static const uint32_t k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(struct sha256 *s)
{
	uint32_t w[64], a[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)s->block[4 * i] << 24 | (uint32_t)s->block[4 * i + 1] << 16 |
		       (uint32_t)s->block[4 * i + 2] << 8 | s->block[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(a, s->h, sizeof(a));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = a[7] + (ror(a[4], 6) ^ ror(a[4], 11) ^ ror(a[4], 25)) +
			      ((a[4] & a[5]) ^ (~a[4] & a[6])) + k[i] + w[i];
		uint32_t t2 = (ror(a[0], 2) ^ ror(a[0], 13) ^ ror(a[0], 22)) +
			      ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));

		memmove(a + 1, a, 7 * sizeof(a[0]));
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += a[i];
}

static void init(struct sha256 *s)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memset(s, 0, sizeof(*s));
	memcpy(s->h, h0, sizeof(h0));
}

static void update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->bits += (uint64_t)len * 8;
	while (len--) {
		s->block[s->fill++] = *p++;
		if (s->fill == 64) {
			compress(s);
			s->fill = 0;
		}
	}
}

static void final(struct sha256 *s, uint8_t out[QNET_SHA256_SIZE])
{
	uint64_t bits = s->bits;
	uint8_t one = 0x80, zero = 0, len[8];

	update(s, &one, 1);
	while (s->fill != 56)
		update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	update(s, len, 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void qnet_sha256(const void *data, size_t len, uint8_t out[QNET_SHA256_SIZE])
{
	struct sha256 s;

	init(&s);
	update(&s, data, len);
	final(&s, out);
}

void qnet_sha256_hmac(const void *key, size_t key_len, const void *data, size_t len,
		      uint8_t out[QNET_SHA256_SIZE])
{
	/* The states after the key's inner and outer pad, kept for the last
	 * key: a qnet.conf with N networks derives N ULA prefixes from one
	 * machine-id in every attach (twice, with the running
	 * configuration), and the pads are half of each HMAC's work. */
	static struct {
		bool valid;
		size_t len;
		uint8_t key[64];
		struct sha256 in, out;
	} last;
	uint8_t k0[64] = { 0 }, pad[64], inner[QNET_SHA256_SIZE];
	struct sha256 s;

	if (!last.valid || last.len != key_len || key_len > sizeof(last.key) || memcmp(last.key, key, key_len) != 0) {
		if (key_len > sizeof(k0))
			qnet_sha256(key, key_len, k0);
		else
			memcpy(k0, key, key_len);
		for (int i = 0; i < 64; i++)
			pad[i] = k0[i] ^ 0x36;
		init(&last.in);
		update(&last.in, pad, sizeof(pad));
		for (int i = 0; i < 64; i++)
			pad[i] = k0[i] ^ 0x5c;
		init(&last.out);
		update(&last.out, pad, sizeof(pad));
		last.len = key_len;
		last.valid = key_len <= sizeof(last.key);
		if (last.valid)
			memcpy(last.key, key, key_len);
	}
	s = last.in;
	update(&s, data, len);
	final(&s, inner);
	s = last.out;
	update(&s, inner, sizeof(inner));
	final(&s, out);
}
