/* H.264 and HEVC Annex B access units: finding NAL units and the parameter
 * sets a decoder needs before it can start at a keyframe. Every length is
 * checked against the buffer; nothing here trusts the bitstream. */
#ifndef VIDBUS_ENCODER_ANNEXB_H
#define VIDBUS_ENCODER_ANNEXB_H

#include <stddef.h>
#include <stdint.h>

typedef enum { BITSTREAM_H264 = 1, BITSTREAM_HEVC = 2 } bitstream_kind;

/* One NAL unit: its payload (after the start code) and its type. */
typedef struct {
    size_t offset;      /* of the start code */
    size_t start;       /* of the NAL header */
    size_t length;      /* of the NAL unit from its header, trailing zero bytes excluded */
    int type;
} nal_unit;

/* The next NAL unit at or after `pos`: 1 and *nal filled, 0 when there is none. */
int annexb_next(bitstream_kind kind, const uint8_t *data, size_t size, size_t pos, nal_unit *nal);
/* Whether the access unit carries the sequence parameter set (H.264 SPS; HEVC VPS and SPS). */
int annexb_has_parameter_sets(bitstream_kind kind, const uint8_t *data, size_t size);
/* Copies the parameter-set NAL units (with 4-byte start codes) of an access unit into `out`.
 * Returns the bytes written, 0 when it has none, or -1 when they do not fit in `capacity`. */
long annexb_copy_parameter_sets(bitstream_kind kind, const uint8_t *data, size_t size, uint8_t *out, size_t capacity);

#endif
