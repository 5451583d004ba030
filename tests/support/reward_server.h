// reward_server.h — a verl/OpenRLHF-style reward server on a loopback port for the external-reward
// tests: it answers {"reward": base + per_byte * strlen(completion)}, except by the request's
// sample_id: "fail500" gets HTTP 500, "badjson" a 200 whose body is not JSON, "flaky" an HTTP 503
// the first time and a reward after, "slow" a reward after one second, "huge" a 2 MB reply.
#ifndef IAR_TESTS_REWARD_SERVER_H
#define IAR_TESTS_REWARD_SERVER_H

#include <stddef.h>

typedef struct RewardServer RewardServer;

RewardServer *reward_server_start(double base, double per_byte); // NULL on failure
void reward_server_stop(RewardServer *server);
// "http://127.0.0.1:PORT/reward"
const char *reward_server_url(const RewardServer *server);
int reward_server_requests(RewardServer *server); // requests seen so far
// The body of the last request (copied into buffer).
void reward_server_last_body(RewardServer *server, char *buffer, size_t size);

#endif
