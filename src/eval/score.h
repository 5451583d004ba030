// score.h — the scores of DESIGN §2 between a predicted and a gold answer set. Used by the
// evaluator (tables) and by training (rewards). All return a value in [0, 1].
#ifndef IAR_EVAL_SCORE_H
#define IAR_EVAL_SCORE_H

#include "data/dataset.h"

typedef enum ScoreKind { SCORE_EXACT, SCORE_PROP, SCORE_JACCARD, SCORE_OPTION, SCORE_KIND_COUNT } ScoreKind;

double score_exact(AnswerSet predicted, AnswerSet gold);   // 1 if P = G
double score_prop(AnswerSet predicted, AnswerSet gold);    // |P∩G|/|G| if P ⊆ G else 0; G = ∅: P = ∅
double score_jaccard(AnswerSet predicted, AnswerSet gold); // |P∩G|/|P∪G|; both empty: 1
double score_option(AnswerSet predicted, AnswerSet gold);  // (4 - |P △ G|) / 4
double score_compute(ScoreKind kind, AnswerSet predicted, AnswerSet gold);
const char *score_name(ScoreKind kind); // "exact", "prop", "jaccard", "option"
int score_parse(const char *name, ScoreKind *out);

#endif
