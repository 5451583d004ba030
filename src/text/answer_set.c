// answer_set.c — counting and writing answer sets (answer_set.h).
#include "text/answer_set.h"

#include <stdio.h>

int answer_set_size(AnswerSet set) {
    int n = 0;
    for (int i = 0; i < CANDIDATE_COUNT; i++) n += (set >> i) & 1;
    return n;
}

void answer_set_format(AnswerSet set, char *buffer, size_t size) {
    if (!buffer || size == 0) return;
    set &= ANSWER_SET_ALL;
    if (set == 0) {
        snprintf(buffer, size, "none");
        return;
    }
    size_t used = 0;
    buffer[0] = 0;
    for (int i = 0; i < CANDIDATE_COUNT; i++) {
        if (!((set >> i) & 1)) continue;
        int n = snprintf(buffer + used, size - used, "%s%c", used ? ", " : "", 'A' + i);
        if (n < 0 || (size_t)n >= size - used) return;
        used += (size_t)n;
    }
}

AnswerSet answer_set_from_probabilities(const float p[CANDIDATE_COUNT]) {
    AnswerSet set = 0;
    int best = 0;
    for (int c = 0; c < CANDIDATE_COUNT; c++) {
        if (p[c] > 0.5f) set |= (AnswerSet)(1u << c);
        if (p[c] > p[best]) best = c;
    }
    if (!set) set = (AnswerSet)(1u << best);
    while (answer_set_size(set) > 3) { // drop the least likely
        int worst = -1;
        for (int c = 0; c < CANDIDATE_COUNT; c++)
            if ((set >> c & 1) && (worst < 0 || p[c] < p[worst])) worst = c;
        set &= (AnswerSet) ~(1u << worst);
    }
    return set;
}
