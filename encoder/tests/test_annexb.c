/* The Annex B scanner against hand-made access units, truncations and
 * hostile bytes, under AddressSanitizer: no read outside the buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annexb.h"

static int failures;
#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                     \
        }                                                                   \
    } while (0)

/* SPS, PPS, IDR slice: 4-byte start codes, then a 3-byte one. */
static const uint8_t H264_KEY[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0, 0, 0, 1, 0x68, 0xee, 0x3c, 0x80, 0, 0, 1, 0x65, 0x88, 0x84, 0x00};
static const uint8_t H264_P[] = {0, 0, 0, 1, 0x41, 0x9a, 0x02, 0x00, 0x00};
/* HEVC: VPS (32), SPS (33), PPS (34), IDR_W_RADL (19). */
static const uint8_t HEVC_KEY[] = {0, 0, 0, 1, 0x40, 0x01, 0x0c, 0, 0, 0, 1, 0x42, 0x01, 0x01, 0, 0, 0, 1, 0x44, 0x01, 0xc1, 0, 0, 0, 1, 0x26, 0x01, 0xaf};

static void test_units(void)
{
    nal_unit nal;
    int types[8], n = 0;
    for (size_t pos = 0; n < 8 && annexb_next(BITSTREAM_H264, H264_KEY, sizeof(H264_KEY), pos, &nal); pos = nal.start + nal.length) types[n++] = nal.type;
    CHECK(n == 3 && types[0] == 7 && types[1] == 8 && types[2] == 5);
    CHECK(annexb_next(BITSTREAM_H264, H264_P, sizeof(H264_P), 0, &nal) == 1 && nal.type == 1 && nal.length == 3); /* trailing zeros are not the unit's */
    n = 0;
    for (size_t pos = 0; n < 8 && annexb_next(BITSTREAM_HEVC, HEVC_KEY, sizeof(HEVC_KEY), pos, &nal); pos = nal.start + nal.length) types[n++] = nal.type;
    CHECK(n == 4 && types[0] == 32 && types[1] == 33 && types[2] == 34 && types[3] == 19);
}

static void test_parameter_sets(void)
{
    CHECK(annexb_has_parameter_sets(BITSTREAM_H264, H264_KEY, sizeof(H264_KEY)));
    CHECK(!annexb_has_parameter_sets(BITSTREAM_H264, H264_P, sizeof(H264_P)));
    CHECK(annexb_has_parameter_sets(BITSTREAM_HEVC, HEVC_KEY, sizeof(HEVC_KEY)));
    uint8_t out[64];
    long n = annexb_copy_parameter_sets(BITSTREAM_H264, H264_KEY, sizeof(H264_KEY), out, sizeof(out));
    static const uint8_t want[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0, 0, 0, 1, 0x68, 0xee, 0x3c, 0x80};
    CHECK(n == (long)sizeof(want) && memcmp(out, want, sizeof(want)) == 0);
    CHECK(annexb_copy_parameter_sets(BITSTREAM_H264, H264_KEY, sizeof(H264_KEY), out, 10) == -1); /* does not fit: nothing past 10 bytes written */
    CHECK(annexb_copy_parameter_sets(BITSTREAM_H264, H264_P, sizeof(H264_P), out, sizeof(out)) == 0);
    CHECK(annexb_copy_parameter_sets(BITSTREAM_HEVC, HEVC_KEY, sizeof(HEVC_KEY), out, sizeof(out)) == 4 + 3 + 4 + 3 + 4 + 3);
}

/* Every prefix of every unit, each in a buffer of exactly its size: ASan sees any over-read. */
static void test_truncations(void)
{
    const uint8_t *units[] = {H264_KEY, H264_P, HEVC_KEY};
    size_t sizes[] = {sizeof(H264_KEY), sizeof(H264_P), sizeof(HEVC_KEY)};
    for (int u = 0; u < 3; u++) {
        for (size_t len = 0; len <= sizes[u]; len++) {
            uint8_t *copy = malloc(len ? len : 1);
            memcpy(copy, units[u], len);
            uint8_t out[64];
            for (int kind = BITSTREAM_H264; kind <= BITSTREAM_HEVC; kind++) {
                nal_unit nal;
                for (size_t pos = 0; annexb_next((bitstream_kind)kind, copy, len, pos, &nal); pos = nal.start + nal.length) CHECK(nal.start + nal.length <= len);
                annexb_has_parameter_sets((bitstream_kind)kind, copy, len);
                annexb_copy_parameter_sets((bitstream_kind)kind, copy, len, out, sizeof(out));
            }
            free(copy);
        }
    }
}

/* Random bytes, dense in zeros and ones so that start codes are common. */
static void test_noise(void)
{
    srand(7);
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)(rand() % 200);
        uint8_t *buf = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)(rand() % 4 == 0 ? rand() : rand() % 2);
        uint8_t out[32];
        nal_unit nal;
        size_t last = 0;
        for (size_t pos = 0; annexb_next(BITSTREAM_H264, buf, len, pos, &nal); pos = nal.start + nal.length) {
            CHECK(nal.start + nal.length <= len && nal.start >= last);
            last = nal.start + nal.length;
        }
        long n = annexb_copy_parameter_sets(BITSTREAM_HEVC, buf, len, out, sizeof(out));
        CHECK(n <= (long)sizeof(out));
        free(buf);
    }
}

int main(void)
{
    test_units();
    test_parameter_sets();
    test_truncations();
    test_noise();
    if (failures) return 1;
    printf("annexb: all checks passed\n");
    return 0;
}
