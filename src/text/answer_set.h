// answer_set.h — an answer as the set of flawed candidates (A-D), and how it is written.
#ifndef IAR_TEXT_ANSWER_SET_H
#define IAR_TEXT_ANSWER_SET_H

#include <stddef.h>
#include <stdint.h>

#define CANDIDATE_COUNT 4

// The set of flawed candidates: bit i set means letter 'A' + i is flawed. 0 is "none".
typedef uint8_t AnswerSet;
#define ANSWER_SET_ALL ((AnswerSet)0x0f)
int answer_set_size(AnswerSet set);
// "B, D" or "none"; buffer of at least 16 bytes.
void answer_set_format(AnswerSet set, char *buffer, size_t size);
// The answer per-candidate probabilities of "flawed" give under the generated benchmark's rule (1 to
// 3 flawed): the letters above 0.5, at least the most likely one, at most the three most likely.
AnswerSet answer_set_from_probabilities(const float probability[CANDIDATE_COUNT]);

#endif
