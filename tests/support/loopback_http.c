// loopback_http.c — the tests' HTTP server plumbing (loopback_http.h).
#include "loopback_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

typedef struct Upload {
    char *data;
    size_t size;
} Upload;

static void upload_free(void *cls, struct MHD_Connection *connection, void **state, enum MHD_RequestTerminationCode code) {
    (void)cls;
    (void)connection;
    (void)code;
    Upload *upload = *state;
    if (upload) {
        free(upload->data);
        free(upload);
    }
    *state = NULL;
}

struct MHD_Daemon *loopback_http_start(MHD_AccessHandlerCallback handler, void *cls, int *port) {
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handler, cls,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address, MHD_OPTION_NOTIFY_COMPLETED, upload_free, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = daemon ? MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    *port = info ? info->port : 0;
    return daemon;
}

int loopback_http_body(void **state, const char *upload_data, size_t *upload_data_size, const char **body) {
    Upload *upload = *state;
    if (!upload) {
        upload = calloc(1, sizeof *upload);
        if (!upload) return -1;
        *state = upload;
        return 1;
    }
    if (*upload_data_size) {
        char *grown = realloc(upload->data, upload->size + *upload_data_size + 1);
        if (!grown) return -1;
        memcpy(grown + upload->size, upload_data, *upload_data_size);
        upload->data = grown;
        upload->size += *upload_data_size;
        grown[upload->size] = 0;
        *upload_data_size = 0;
        return 1;
    }
    *body = upload->data ? upload->data : "";
    return 0;
}

enum MHD_Result loopback_http_reply(struct MHD_Connection *connection, unsigned status, const char *body,
                                    const char *retry_after) {
    struct MHD_Response *response = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(response, "Content-Type", "application/json");
    if (retry_after) MHD_add_response_header(response, "Retry-After", retry_after);
    enum MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}
