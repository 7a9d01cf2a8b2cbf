/* JSON lines to a parent process: the channel vidbus's C helpers
 * (pipewire/'s vidbus-pipewire, encoder/'s vidbus-encode) use to talk to the
 * Node side. One object per line, always with "event"; an error is
 * {"event":"error","code":"ERR_...","message":"..."} with the codes of
 * src/errors.ts. Not part of libvidbus's API: the helpers compile this file in. */
#ifndef VIDBUS_TOOLS_REPORT_H
#define VIDBUS_TOOLS_REPORT_H

/* One event line. Strings are escaped; `fmt` builds the fields after "event". */
void report(const char *event, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error event; returns 1 (the helper's exit status). */
int report_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal of `s` (quotes included) in a static buffer per call slot 0..3. */
const char *json_str(int slot, const char *s);

#endif
