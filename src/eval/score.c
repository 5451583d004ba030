// score.c — exact, proportional, Jaccard and per-option scores between answer sets.
#include "eval/score.h"

#include <string.h>

double score_exact(AnswerSet predicted, AnswerSet gold) {
    return (predicted & ANSWER_SET_ALL) == (gold & ANSWER_SET_ALL) ? 1.0 : 0.0;
}

double score_prop(AnswerSet predicted, AnswerSet gold) {
    predicted &= ANSWER_SET_ALL;
    gold &= ANSWER_SET_ALL;
    if (gold == 0) return predicted == 0 ? 1.0 : 0.0;
    if (predicted & ~gold) return 0.0; // a wrong pick is never paid
    return (double)answer_set_size(predicted & gold) / (double)answer_set_size(gold);
}

double score_jaccard(AnswerSet predicted, AnswerSet gold) {
    predicted &= ANSWER_SET_ALL;
    gold &= ANSWER_SET_ALL;
    int uni = answer_set_size(predicted | gold);
    if (uni == 0) return 1.0;
    return (double)answer_set_size(predicted & gold) / (double)uni;
}

double score_option(AnswerSet predicted, AnswerSet gold) {
    return (double)(CANDIDATE_COUNT - answer_set_size((predicted ^ gold) & ANSWER_SET_ALL)) / CANDIDATE_COUNT;
}

double score_compute(ScoreKind kind, AnswerSet predicted, AnswerSet gold) {
    switch (kind) {
    case SCORE_EXACT: return score_exact(predicted, gold);
    case SCORE_PROP: return score_prop(predicted, gold);
    case SCORE_JACCARD: return score_jaccard(predicted, gold);
    case SCORE_OPTION: return score_option(predicted, gold);
    default: return 0.0;
    }
}

static const char *const SCORE_NAMES[SCORE_KIND_COUNT] = {"exact", "prop", "jaccard", "option"};

const char *score_name(ScoreKind kind) {
    return (unsigned)kind < SCORE_KIND_COUNT ? SCORE_NAMES[kind] : "?";
}

int score_parse(const char *name, ScoreKind *out) {
    for (int i = 0; i < SCORE_KIND_COUNT; i++)
        if (strcmp(name, SCORE_NAMES[i]) == 0) {
            *out = (ScoreKind)i;
            return 0;
        }
    return -1;
}
