/* JSON lines to the parent process (see report.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

const char *json_str(int slot, const char *s)
{
    static char buffers[4][1024];
    char *out = buffers[slot & 3];
    size_t n = 0;
    out[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p != '\0' && n < sizeof(buffers[0]) - 8; p++) {
        if (*p == '"' || *p == '\\') {
            out[n++] = '\\';
            out[n++] = (char)*p;
        } else if (*p < 0x20) {
            n += (size_t)snprintf(out + n, 7, "\\u%04x", *p);
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n++] = '"';
    out[n] = '\0';
    return out;
}

static void emit(const char *event, const char *fmt, va_list ap)
{
    char fields[2048] = "";
    if (fmt != NULL && fmt[0] != '\0') vsnprintf(fields, sizeof(fields), fmt, ap);
    /* One write per line: the parent splits on newlines. */
    printf("{\"event\":%s%s%s}\n", json_str(3, event), fields[0] ? "," : "", fields);
    fflush(stdout);
}

void report(const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(event, fmt, ap);
    va_end(ap);
}

int report_error(const char *code, const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    report("error", "\"code\":%s,\"message\":%s", json_str(0, code), json_str(1, message));
    return 1;
}
