// answer.h — reading a model's answer: the set of flawed letters from "<think>…</think><answer>B, D</answer>",
// and the strict format check used by the GRPO format reward. A failure is reported with a reason,
// never replaced by a guess.
#ifndef IAR_TEXT_ANSWER_H
#define IAR_TEXT_ANSWER_H

#include "text/answer_set.h"

typedef enum AnswerParseStatus {
    ANSWER_PARSED_TAGGED = 0,   // from the last <answer>…</answer> block
    ANSWER_PARSED_FALLBACK = 1, // no tags; from the documented fallback (a final "Answer: …" line)
    ANSWER_PARSE_FAILED = 2
} AnswerParseStatus;

typedef struct ParsedAnswer {
    AnswerParseStatus status;
    AnswerSet set;     // valid unless status is ANSWER_PARSE_FAILED
    char reason[128];  // why parsing failed (empty otherwise)
} ParsedAnswer;

ParsedAnswer answer_parse(const char *text);
// 1 when the text is exactly one <think>…</think> followed by one <answer>…</answer> (surrounding
// whitespace allowed) holding only valid letters or "none"; 0 otherwise.
int answer_format_ok(const char *text);
const char *answer_parse_status_name(AnswerParseStatus status); // "tagged", "fallback", "failed"

#endif
