/*
 * reader.h: what the libFuzzer harnesses share: reading sizes and raw
 * float32 bits from the fuzzer's input (zeros past its end), and stopping
 * on a broken contract.
 */
#ifndef SSM_LENS_FUZZ_READER_H
#define SSM_LENS_FUZZ_READER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stops on a broken contract, saying which line found it. */
#define FAIL() (fprintf(stderr, "contract broken at %s:%d\n", __FILE__, __LINE__), abort())

typedef struct reader {
    const uint8_t *data;
    size_t size, at;
} reader;

static inline uint8_t next_byte(reader *r) {
    return r->at < r->size ? r->data[r->at++] : 0;
}

static inline float next_float(reader *r) {
    uint32_t bits = 0;
    for (int i = 0; i < 4; i++) bits = bits << 8 | next_byte(r);
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

#endif /* SSM_LENS_FUZZ_READER_H */
