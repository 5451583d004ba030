// eval_fake_server.h — an OpenAI-compatible Chat Completions server on a loopback port (libmicrohttpd)
// that misbehaves on request. A request's behaviour comes from a marker in its text:
//   [[id=s00003 mode=429 n=2 ra=1 answer=BD]]
// mode: ok | 429 (with Retry-After: ra seconds) | 400 | 401 | 500 | slow (replies after delay_ms) | malformed
// (200 with broken JSON) | drop (closes the connection without a reply) | unparseable (a reply with no
// answer); sleep=MS delays every reply of that id; the fault repeats for the first n requests of that id (n=99: always), then it answers
// "<think>…</think><answer>letters</answer>". Without a marker it answers A at once.
#ifndef IAR_TESTS_EVAL_FAKE_SERVER_H
#define IAR_TESTS_EVAL_FAKE_SERVER_H

typedef struct EvalFakeServer EvalFakeServer;

// Starts on 127.0.0.1 and an ephemeral port; NULL on failure.
EvalFakeServer *eval_fake_server_start(int delay_ms);
int eval_fake_server_port(const EvalFakeServer *server);
void eval_fake_server_stop(EvalFakeServer *server);
int eval_fake_server_requests(EvalFakeServer *server, const char *id); // requests seen for this id
int eval_fake_server_total(EvalFakeServer *server);                    // requests seen in all
// The Authorization header of the last request ("" when none); copied into buffer.
void eval_fake_server_last_authorization(EvalFakeServer *server, char *buffer, int size);

#endif
