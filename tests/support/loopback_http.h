// loopback_http.h — what the tests' HTTP servers share (libmicrohttpd): a daemon on 127.0.0.1 and
// an ephemeral port, and a request body gathered across the access handler's calls.
#ifndef IAR_TESTS_SUPPORT_LOOPBACK_HTTP_H
#define IAR_TESTS_SUPPORT_LOOPBACK_HTTP_H

#include <microhttpd.h>
#include <stddef.h>

// Starts a thread-per-connection daemon whose handler gets `cls`; the request bodies are freed by
// the daemon. NULL on failure; *port is the port bound.
struct MHD_Daemon *loopback_http_start(MHD_AccessHandlerCallback handler, void *cls, int *port);

// In an access handler, with its `state`, `upload_data` and `upload_data_size`: 1 while the body is
// still arriving (return MHD_YES), 0 once it is whole (*body: NUL-terminated, "" when empty), -1
// when out of memory (return MHD_NO).
int loopback_http_body(void **state, const char *upload_data, size_t *upload_data_size, const char **body);

// A reply with a JSON (or any) body; retry_after may be NULL.
enum MHD_Result loopback_http_reply(struct MHD_Connection *connection, unsigned status, const char *body,
                                    const char *retry_after);

#endif
