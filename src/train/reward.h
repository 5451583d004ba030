// reward.h — GRPO's rule-based rewards (DESIGN §2): a format reward plus one accuracy reward picked
// by name from a table. Adding a reward is one function and one line in the table (reward.c).
// total = weight_format · format + weight_accuracy · accuracy. An answer that cannot be parsed
// earns 0 accuracy (never a guessed set); "select all four" never beats a correct partial answer.
#ifndef IAR_TRAIN_REWARD_H
#define IAR_TRAIN_REWARD_H

#include <stddef.h>

#include "data/dataset.h"

// An accuracy reward in [0, 1]. `lambda` is the DPA weight λ_t in [0, 1]; other rewards ignore it.
typedef double (*RewardFn)(AnswerSet predicted, AnswerSet gold, double lambda);

typedef struct RewardEntry {
    const char *name;    // "exact", "prop", "jaccard", "option", "dpa", "dpa-option"
    RewardFn fn;
    const char *summary; // one line for --help and docs
} RewardEntry;

double reward_exact(AnswerSet predicted, AnswerSet gold, double lambda);
double reward_prop(AnswerSet predicted, AnswerSet gold, double lambda);
double reward_jaccard(AnswerSet predicted, AnswerSet gold, double lambda);
double reward_option(AnswerSet predicted, AnswerSet gold, double lambda);
double reward_dpa(AnswerSet predicted, AnswerSet gold, double lambda); // (1 − λ)·prop + λ·exact
double reward_dpa_option(AnswerSet predicted, AnswerSet gold, double lambda); // (1 − λ)·option + λ·exact

const RewardEntry *reward_table(size_t *count);
const RewardEntry *reward_find(const char *name); // NULL when unknown

struct RewardHttp; // train/reward_http.h

typedef struct RewardConfig {
    const RewardEntry *accuracy; // from reward_find
    double weight_format;        // default 0.5
    double weight_accuracy;      // default 1.0
    struct RewardHttp *http;     // an external reward server whose reward replaces the total (the
                                 // parts stay the built-in ones, for the logs); NULL: none
} RewardConfig;

// dpa reward, format weight 0.5, accuracy weight 1, no external reward.
void reward_config_default(RewardConfig *config);

typedef struct RewardResult {
    double format;       // 1 when answer_format_ok, else 0
    double accuracy;     // the configured accuracy reward; 0 when the answer could not be parsed
    double total;        // weight_format · format + weight_accuracy · accuracy
    double exact, prop;  // always computed, for logs (0 when unparsed)
    int parsed;          // 0: parse failure
    AnswerSet predicted; // valid when parsed
} RewardResult;

// Scores one completion's text against the gold set at DPA weight `lambda`.
void reward_score_text(const RewardConfig *config, const char *text, AnswerSet gold, double lambda,
                       RewardResult *out);

#endif
