// SPDX-License-Identifier: GPL-2.0
/*
 * OpenTelemetry thread and process context writer for the workloads
 * (otelctx.h). Built into a program or a shared library: the TLS access
 * model follows from how it is compiled, not from anything here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "otelctx.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA	     0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

/* OTEP 4947's record: packed, 28 bytes of header, 2-byte aligned. */
struct otel_record {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t valid;
	uint8_t trace_flags;
	uint16_t attrs_data_size;
	uint8_t attrs_data[4];
} __attribute__((packed, aligned(2)));

/* What readers find through .dynsym: default visibility, kept. */
#define OTEL_EXPORT __attribute__((visibility("default"), used))
OTEL_EXPORT __thread struct otel_record *otel_thread_ctx_v1;

static __thread struct otel_record record;

#define FENCE()	    __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define W3C_SAMPLED 0x01

static void fill(const uint8_t trace_id[16], const uint8_t span_id[8],
		 uint8_t valid)
{
	volatile struct otel_record *r = &record;

	/* pointer set once per thread: from then on only valid moves */
	if (!otel_thread_ctx_v1) {
		otel_thread_ctx_v1 = &record;
		FENCE();
	}
	r->valid = 0;
	FENCE();
	memcpy((void *)r->trace_id, trace_id, 16);
	memcpy((void *)r->span_id, span_id, 8);
	r->trace_flags = W3C_SAMPLED;
	r->attrs_data_size = 0;
	FENCE();
	r->valid = valid;
	FENCE();
}

void otel_thread_attach(const uint8_t trace_id[16], const uint8_t span_id[8])
{
	fill(trace_id, span_id, 1);
}

void otel_thread_attach_torn(const uint8_t trace_id[16],
			     const uint8_t span_id[8])
{
	fill(trace_id, span_id, 0);
}

void otel_thread_detach(void)
{
	if (!otel_thread_ctx_v1)
		return;
	FENCE();
	((volatile struct otel_record *)&record)->valid = 0;
	FENCE();
}

/* Protobuf, the little of it a Resource of string attributes needs. */
static size_t pb_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n++] = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		v >>= 7;
	} while (v);
	return n;
}

/* field @f, wire type 2 (length-delimited), header only */
static size_t pb_len(uint8_t *p, unsigned int f, size_t len)
{
	size_t n = pb_varint(p, (uint64_t)f << 3 | 2);

	return n + pb_varint(p + n, len);
}

/*
 * Resource.attributes (1) += KeyValue { key (1), value (2): AnyValue {
 * string_value (1) } }, written at @p (room checked by the caller).
 */
static size_t pb_attr(uint8_t *p, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val), any, kv, n = 0;
	uint8_t tmp[16];

	any = pb_len(tmp, 1, vl) + vl;
	kv = pb_len(tmp, 1, kl) + kl + pb_len(tmp, 2, any) + any;
	n += pb_len(p + n, 1, kv);
	n += pb_len(p + n, 1, kl);
	memcpy(p + n, key, kl);
	n += kl;
	n += pb_len(p + n, 2, any);
	n += pb_len(p + n, 1, vl);
	memcpy(p + n, val, vl);
	return n + vl;
}

/* The published mapping (otel_process_ctx_unpublish()), or NULL. */
static void *published;
static size_t published_size;

/* OTEP 4719's header: the payload follows it in the same mapping. */
struct otel_ctx_header {
	char signature[8];
	uint32_t version;
	uint32_t payload_size;
	uint64_t published_at_ns;
	uint8_t *payload;
};

int otel_process_ctx_publish(const char *service, const char *schema)
{
	size_t size = 4096, n = 0;
	struct otel_ctx_header *h;
	struct timespec ts;
	uint8_t *payload;
	void *m;
	int fd;

	if (strlen(service) + strlen(schema) > 1024)
		return -EINVAL;
	fd = memfd_create("OTEL_CTX", MFD_CLOEXEC);
	if (fd >= 0 && ftruncate(fd, size)) {
		close(fd);
		return -errno;
	}
	m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 fd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS, fd, 0);
	if (fd >= 0)
		close(fd);
	if (m == MAP_FAILED)
		return -errno;
	madvise(m, size, MADV_DONTFORK);
	h = m;
	payload = (uint8_t *)(h + 1);
	n += pb_attr(payload + n, "service.name", service);
	n += pb_attr(payload + n, "threadlocal.schema_version", schema);
	/* an empty key map: these records carry no attributes */
	clock_gettime(CLOCK_REALTIME, &ts);
	h->version = 2;
	h->payload_size = n;
	h->payload = payload;
	h->published_at_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memcpy(h->signature, "OTEL_CTX", 8);
	/* fails before 5.17 or without CONFIG_ANON_VMA_NAME: fine */
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, m, size, "OTEL_CTX");
	published = m;
	published_size = size;
	return 0;
}

void otel_process_ctx_unpublish(void)
{
	if (!published)
		return;
	munmap(published, published_size);
	published = NULL;
}
