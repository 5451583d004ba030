// openai_client.mjs — the official `openai` npm package against `iar serve`:
//   node tests/serve/openai_client.mjs BASE_URL IMAGE_DIR [EXPECTED_ANSWER] [API_KEY]
// IMAGE_DIR holds original.png, A.png, B.png, C.png, D.png. Checks the model list, a completion,
// the same completion streamed (identical text when greedy; with STREAM_RATIO_MAX set, the first
// content chunk must come before that fraction of the whole stream's time), usage, finish_reason
// "length" when max_tokens cuts the reply, `stop`, a 400 naming each unsupported parameter, and a
// 400 for 4 images. Exits non-zero on any failure.
import fs from "node:fs";
import path from "node:path";
import OpenAI from "openai";

const [baseURL, imageDir, expected, apiKey] = process.argv.slice(2);
if (!baseURL || !imageDir) {
  console.error("usage: node openai_client.mjs BASE_URL IMAGE_DIR [EXPECTED_ANSWER] [API_KEY]");
  process.exit(2);
}
function check(condition, message) {
  if (!condition) {
    console.error("FAIL: " + message);
    process.exit(1);
  }
}

const client = new OpenAI({ baseURL, apiKey: apiKey || "unused", maxRetries: 0, timeout: 60000 });
const urls = ["original", "A", "B", "C", "D"].map(
  (n) => "data:image/png;base64," + fs.readFileSync(path.join(imageDir, n + ".png")).toString("base64"));
const content = [{ type: "text", text: "The first image is the original product photo. Check this dimension: " +
  "Physical Lighting and Shadow. Which of A, B, C, D are flawed?" }]
  .concat(urls.map((url) => ({ type: "image_url", image_url: { url } })));
const request = { model: "iar", messages: [{ role: "user", content }], temperature: 0, max_tokens: 256, seed: 1 };

const models = await client.models.list();
check(models.data.some((m) => m.id === "iar"), "models.list() has no 'iar': " + JSON.stringify(models.data));

check((await client.models.retrieve("iar")).id === "iar", "models.retrieve('iar') failed");

const completion = await client.chat.completions.create(request);
const text = completion.choices[0].message.content;
check(completion.object === "chat.completion", "object is " + completion.object);
check(typeof text === "string" && text.length > 0, "empty completion");
// A trained model answers in tags; a barely trained one (the CLI test) may not, so only with EXPECTED.
if (expected) check(/<answer>[^<]*<\/answer>/.test(text), "no <answer> in: " + text);
check(completion.usage.total_tokens === completion.usage.prompt_tokens + completion.usage.completion_tokens,
  "usage does not add up: " + JSON.stringify(completion.usage));
if (expected) check(text.includes("<answer>" + expected + "</answer>"), "expected " + expected + " in: " + text);

// timed from the request's send (not from the response headers, which come back at once)
const started = performance.now();
const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
let streamed = "", chunks = 0, usage = null, firstContent = 0, firstChunk = 0;
for await (const chunk of stream) {
  if (!chunks) firstChunk = performance.now();
  chunks++;
  const piece = chunk.choices.length ? chunk.choices[0].delta.content || "" : "";
  if (piece && !firstContent) firstContent = performance.now();
  streamed += piece;
  if (chunk.usage) usage = chunk.usage;
}
const streamTotal = performance.now() - started, ratio = (firstContent - started) / streamTotal;
console.log("time to first chunk (role) " + (firstChunk - started).toFixed(0) + " ms; to first content chunk: " +
  (firstContent - started).toFixed(0) + " ms of " + streamTotal.toFixed(0) + " ms (" + (100 * ratio).toFixed(0) + "%)");
if (process.env.STREAM_RATIO_MAX) check(ratio < Number(process.env.STREAM_RATIO_MAX), "first chunk at " + ratio);
check(chunks > 2, "only " + chunks + " chunks");
check(streamed === text, "streamed text differs:\n" + streamed + "\nvs\n" + text);
check(usage && usage.completion_tokens === completion.usage.completion_tokens, "stream usage: " + JSON.stringify(usage));

// finish_reason "length" when max_tokens cuts the reply; `stop` ends it before the stop string
const short = await client.chat.completions.create({ ...request, max_tokens: 2 });
check(short.choices[0].finish_reason === "length", "max_tokens 2: finish_reason " + short.choices[0].finish_reason);
const stopAt = text.slice(3, 6);
const stopped = await client.chat.completions.create({ ...request, stop: [stopAt] });
check(!stopped.choices[0].message.content.includes(stopAt) && stopped.choices[0].finish_reason === "stop",
  "stop " + JSON.stringify(stopAt) + ": " + JSON.stringify(stopped.choices[0]));
let streamedStop = "";
for await (const chunk of await client.chat.completions.create({ ...request, stop: [stopAt], stream: true }))
  if (chunk.choices.length) streamedStop += chunk.choices[0].delta.content || "";
check(streamedStop === stopped.choices[0].message.content, "streamed with stop: " + JSON.stringify(streamedStop));

// every parameter the server cannot honour is refused by name, never ignored
for (const [name, value] of [["logprobs", true], ["top_logprobs", 2], ["response_format", { type: "json_object" }],
                             ["tools", [{ type: "function", function: { name: "f", parameters: {} } }]],
                             ["presence_penalty", 0.5], ["logit_bias", { "50256": -100 }]]) {
  try {
    await client.chat.completions.create({ ...request, [name]: value });
    check(false, name + " was accepted");
  } catch (e) {
    check(e instanceof OpenAI.BadRequestError && e.message.includes("'" + name + "'"), name + ": " + e);
  }
}

try {
  await client.chat.completions.create({ ...request, messages: [{ role: "user", content: content.slice(0, 5) }] });
  check(false, "4 images were accepted");
} catch (e) {
  check(e instanceof OpenAI.BadRequestError && e.status === 400, "4 images: expected a 400, got " + e);
  check(/expected 5 images/.test(e.message), "4 images: message was " + e.message);
}
console.log("openai client ok: " + text.replace(/\s+/g, " ").slice(0, 120) + " (" + chunks + " chunks streamed)");
