// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

#include "record/bytes.h"
#include "record/frame.h"

static uint32_t crc(const uint8_t *p, size_t n)
{
	uLong c = crc32(0L, Z_NULL, 0);

	/* zlib takes uInt lengths: feed more than 4 GiB in pieces. */
	while (n) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;

		c = crc32(c, p, k);
		p += k;
		n -= k;
	}
	return (uint32_t)c;
}

void frame_header_write(const struct frame_header *h, uint8_t *out)
{
	put_le32(out, FRAME_MAGIC);
	out[4] = h->type;
	out[5] = h->codec;
	out[6] = out[7] = 0;
	put_le32(out + 8, h->len);
	put_le32(out + 12, h->raw_len);
	put_le64(out + 16, (uint64_t)h->time_ms);
	put_le64(out + 24, h->seq);
	put_le32(out + 32, h->crc);
	put_le32(out + 36, crc(out, 36));
}

int frame_header_read(const uint8_t *buf, size_t len, struct frame_header *ret)
{
	struct frame_header h;

	if (len < FRAME_HEADER_SIZE)
		return -ENODATA;
	if (get_le32(buf) != FRAME_MAGIC || get_le32(buf + 36) != crc(buf, 36))
		return -EBADMSG;
	h = (struct frame_header){
		.type = buf[4],
		.codec = buf[5],
		.len = get_le32(buf + 8),
		.raw_len = get_le32(buf + 12),
		.time_ms = (int64_t)get_le64(buf + 16),
		.seq = get_le64(buf + 24),
		.crc = get_le32(buf + 32),
	};
	if (buf[6] || buf[7] || h.codec > FRAME_DEFLATE || h.len > FRAME_MAX_PAYLOAD ||
	    h.raw_len > FRAME_MAX_PAYLOAD || (h.codec == FRAME_RAW && h.len != h.raw_len) ||
	    /* deflate makes at most 1032 bytes of one: a larger promise is
	     * damage, and would have a reader allocate for nothing */
	    (h.codec == FRAME_DEFLATE && (uint64_t)h.raw_len > (uint64_t)h.len * 1032 + 1024))
		return -EBADMSG;
	*ret = h;
	return 0;
}

int frame_check(const uint8_t *buf, size_t len, struct frame_header *ret)
{
	struct frame_header h;
	int r = frame_header_read(buf, len, &h);

	if (r < 0)
		return r;
	if (len - FRAME_HEADER_SIZE < h.len)
		return -ENODATA;
	if (crc(buf + FRAME_HEADER_SIZE, h.len) != h.crc)
		return -EBADMSG;
	*ret = h;
	return 0;
}

int frame_next(const uint8_t *buf, size_t len, size_t *pos, struct frame_header *ret,
	       size_t *ret_off, uint64_t *ret_skipped)
{
	size_t p = *pos;

	while (p < len) {
		struct frame_header h;
		int r = frame_check(buf + p, len - p, &h);

		if (r == 0) {
			*ret = h;
			*ret_off = p;
			*pos = p + FRAME_HEADER_SIZE + h.len;
			return 1;
		}
		/* A good header whose payload is not all there: the end of
		 * what was written, or of what was read. A bad header that is
		 * only short (-ENODATA from the header) is the same. */
		if (r == -ENODATA && (len - p < FRAME_HEADER_SIZE ||
				      frame_header_read(buf + p, len - p, &h) == 0))
			break;
		/* Damage: the next offset where a good header starts. */
		p++;
		while (p + 4 <= len && get_le32(buf + p) != FRAME_MAGIC)
			p++;
		if (p + 4 > len)
			p = len;
		if (ret_skipped)
			*ret_skipped += p - *pos;
		*pos = p;
	}
	*pos = p;
	return 0;
}

int frame_build(uint8_t type, int64_t time_ms, uint64_t seq, const void *raw, size_t raw_len,
		int level, struct strbuf *out)
{
	struct frame_header h = { .type = type, .time_ms = time_ms, .seq = seq,
				  .raw_len = (uint32_t)raw_len };
	size_t at = out->len;
	uLongf cap;

	if (raw_len > FRAME_MAX_PAYLOAD)
		return -E2BIG;
	cap = compressBound((uLong)raw_len);
	if (sb_reserve(out, FRAME_HEADER_SIZE + cap + raw_len) < 0)
		return -ENOMEM;
	if (level > 0 && raw_len > 64) {
		z_stream zs = { 0 };
		int r;

		/* A raw deflate stream: the frame has its own length and crc,
		 * zlib's header and adler32 would say it twice. */
		if (deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		zs.next_in = (Bytef *)raw;
		zs.avail_in = (uInt)raw_len;
		zs.next_out = (Bytef *)out->buf + at + FRAME_HEADER_SIZE;
		zs.avail_out = (uInt)cap;
		r = deflate(&zs, Z_FINISH);
		deflateEnd(&zs);
		if (r == Z_STREAM_END && zs.total_out < raw_len) {
			h.codec = FRAME_DEFLATE;
			h.len = (uint32_t)zs.total_out;
		}
	}
	if (h.codec == FRAME_RAW) {
		h.len = (uint32_t)raw_len;
		if (raw_len)
			memcpy(out->buf + at + FRAME_HEADER_SIZE, raw, raw_len);
	}
	h.crc = crc((const uint8_t *)out->buf + at + FRAME_HEADER_SIZE, h.len);
	frame_header_write(&h, (uint8_t *)out->buf + at);
	out->len = at + FRAME_HEADER_SIZE + h.len;
	out->buf[out->len] = '\0';
	return 0;
}

int frame_payload(const struct frame_header *h, const uint8_t *stored, struct strbuf *out)
{
	z_stream zs = { 0 };
	int r;

	out->len = 0;
	if (sb_reserve(out, h->raw_len) < 0)
		return -ENOMEM;
	if (h->codec == FRAME_RAW) {
		if (h->len)
			memcpy(out->buf, stored, h->len);
		out->len = h->len;
		out->buf[out->len] = '\0';
		return 0;
	}
	if (inflateInit2(&zs, -15) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)stored;
	zs.avail_in = h->len;
	zs.next_out = (Bytef *)out->buf;
	/* One byte more than promised: a stream that would write it is
	 * longer than its header says. */
	zs.avail_out = h->raw_len + 1;
	r = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (r != Z_STREAM_END || zs.total_out != h->raw_len)
		return -EBADMSG;
	out->len = h->raw_len;
	out->buf[out->len] = '\0';
	return 0;
}
