// reward.c — the reward table (exact, prop, jaccard, option, dpa, dpa-option) and the format +
// accuracy total.
#include "train/reward.h"

#include <string.h>

#include "eval/score.h"
#include "text/answer.h"

// Jaccard and per-option accuracy pay partially for wrong picks, so "select all four" would beat a
// correct partial answer (gold {A,B,C}: all four scores 0.75, {A} only 0.33). As rewards they pay
// 0 for selecting all four unless all four are flawed: hedging must never be the best policy.
static int answer_is_hedge(AnswerSet predicted, AnswerSet gold) {
    return (predicted & ANSWER_SET_ALL) == ANSWER_SET_ALL && (gold & ANSWER_SET_ALL) != ANSWER_SET_ALL;
}

double reward_exact(AnswerSet predicted, AnswerSet gold, double lambda) {
    (void)lambda;
    return score_exact(predicted, gold);
}

double reward_prop(AnswerSet predicted, AnswerSet gold, double lambda) {
    (void)lambda;
    return score_prop(predicted, gold);
}

double reward_jaccard(AnswerSet predicted, AnswerSet gold, double lambda) {
    (void)lambda;
    return answer_is_hedge(predicted, gold) ? 0.0 : score_jaccard(predicted, gold);
}

double reward_option(AnswerSet predicted, AnswerSet gold, double lambda) {
    (void)lambda;
    return answer_is_hedge(predicted, gold) ? 0.0 : score_option(predicted, gold);
}

// (1 − λ)·partial + λ·exact, λ clamped to [0, 1]: the two DPA rewards differ only in the partial credit.
static double dpa_mix(double partial, double exact, double lambda) {
    if (lambda < 0) lambda = 0;
    if (lambda > 1) lambda = 1;
    return (1.0 - lambda) * partial + lambda * exact;
}

double reward_dpa(AnswerSet predicted, AnswerSet gold, double lambda) {
    return dpa_mix(score_prop(predicted, gold), score_exact(predicted, gold), lambda);
}

// DPA with per-candidate partial credit: each of the four candidates judged right earns a quarter, so
// a letter is worth adding exactly when it is more likely flawed than not — no pull toward a safe
// subset as with `prop` (docs/GRPO.md). Selecting all four pays 0 unless all are flawed, as `option`.
double reward_dpa_option(AnswerSet predicted, AnswerSet gold, double lambda) {
    return dpa_mix(reward_option(predicted, gold, 0), score_exact(predicted, gold), lambda);
}

static const RewardEntry REWARD_TABLE[] = {
    {"exact", reward_exact, "1 when the predicted set equals the gold set"},
    {"prop", reward_prop, "|P∩G|/|G| when P ⊆ G, else 0 (partial credit, no wrong picks)"},
    {"jaccard", reward_jaccard, "|P∩G|/|P∪G| (0 for selecting all four unless all are flawed)"},
    {"option", reward_option, "(4 − |P△G|)/4 (0 for selecting all four unless all are flawed)"},
    {"dpa", reward_dpa, "(1 − λ_t)·prop + λ_t·exact, λ_t rising 0 → 1 over training"},
    {"dpa-option", reward_dpa_option, "(1 − λ_t)·option + λ_t·exact: per-candidate partial credit"},
};

const RewardEntry *reward_table(size_t *count) {
    *count = sizeof REWARD_TABLE / sizeof REWARD_TABLE[0];
    return REWARD_TABLE;
}

const RewardEntry *reward_find(const char *name) {
    for (size_t i = 0; i < sizeof REWARD_TABLE / sizeof REWARD_TABLE[0]; i++)
        if (name && strcmp(REWARD_TABLE[i].name, name) == 0) return &REWARD_TABLE[i];
    return NULL;
}

void reward_config_default(RewardConfig *config) {
    config->accuracy = reward_find("dpa");
    config->weight_format = 0.5;
    config->weight_accuracy = 1.0;
    config->http = NULL;
}

void reward_score_text(const RewardConfig *config, const char *text, AnswerSet gold, double lambda,
                       RewardResult *out) {
    memset(out, 0, sizeof *out);
    if (!text) text = "";
    out->format = answer_format_ok(text) ? 1.0 : 0.0;
    ParsedAnswer parsed = answer_parse(text);
    out->parsed = parsed.status != ANSWER_PARSE_FAILED;
    if (out->parsed) {
        out->predicted = parsed.set;
        out->accuracy = config->accuracy->fn(parsed.set, gold, lambda);
        out->exact = score_exact(parsed.set, gold);
        out->prop = score_prop(parsed.set, gold);
    }
    out->total = config->weight_format * out->format + config->weight_accuracy * out->accuracy;
}
