// reward_http.h — an external GRPO reward served over HTTP, as verl and OpenRLHF reward servers
// serve one: a JSON POST per completion,
//   {"prompt": "...", "completion": "...", "ground_truth": ["B","D"], "dimension": "lighting",
//    "sample_id": "s000042"}
// answered by {"reward": <finite number>} (other fields are ignored). Connection failures,
// timeouts, HTTP 408/429/5xx are retried with a doubling delay; any other status, a reply that is
// not such an object, or the last retry failing is an error naming the URL and the reason.
#ifndef IAR_TRAIN_REWARD_HTTP_H
#define IAR_TRAIN_REWARD_HTTP_H

#include "core/error.h"
#include "data/dataset.h"

typedef struct RewardHttpOptions {
    const char *url;            // NULL: no external reward
    double timeout_seconds;     // per attempt; default 30
    int retries;                // attempts after the first; default 2
    double retry_delay_seconds; // before the first retry, doubled for each next one; default 0.5
} RewardHttpOptions;

void reward_http_options_default(RewardHttpOptions *options);

// One completion to score.
typedef struct RewardHttpQuery {
    const char *prompt;     // the text prompt the policy read (its images are not sent)
    const char *completion; // the policy's text
    AnswerSet ground_truth; // the gold set, sent as letters
    const char *dimension;  // "lighting", ...; NULL: sent as null
    const char *sample_id;
} RewardHttpQuery;

typedef struct RewardHttp RewardHttp;

// A client holding one connection open to options->url (copied).
int reward_http_open(RewardHttp **out, const RewardHttpOptions *options, Error *err);
// Asks the server for one completion's reward; on failure *reward is left alone.
int reward_http_score(RewardHttp *client, const RewardHttpQuery *query, double *reward, Error *err);
void reward_http_close(RewardHttp *client);

#endif
