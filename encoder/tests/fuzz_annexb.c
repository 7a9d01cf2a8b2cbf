/* libFuzzer target: the Annex B scanner on arbitrary bytes, as both H.264
 * and HEVC, with ASan and UBSan watching every read and the output bound. */
#include <stddef.h>
#include <stdint.h>

#include "annexb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t out[256];
    for (int kind = BITSTREAM_H264; kind <= BITSTREAM_HEVC; kind++) {
        nal_unit nal;
        for (size_t pos = 0; annexb_next((bitstream_kind)kind, data, size, pos, &nal); pos = nal.start + nal.length)
            if (nal.start + nal.length > size || nal.length == 0) __builtin_trap();
        annexb_has_parameter_sets((bitstream_kind)kind, data, size);
        if (annexb_copy_parameter_sets((bitstream_kind)kind, data, size, out, sizeof(out)) > (long)sizeof(out)) __builtin_trap();
    }
    return 0;
}
