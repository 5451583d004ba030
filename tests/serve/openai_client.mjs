// openai_client.mjs — the official `openai` npm package against `iar serve`:
//   node tests/serve/openai_client.mjs BASE_URL IMAGE_DIR [EXPECTED_ANSWER] [API_KEY]
// IMAGE_DIR holds original.png, A.png, B.png, C.png, D.png. Checks the model list, a completion,
// the same completion streamed (identical text when greedy), usage, and a 400 for 4 images.
// Exits non-zero on any failure.
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

const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
let streamed = "", chunks = 0, usage = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length) streamed += chunk.choices[0].delta.content || "";
  if (chunk.usage) usage = chunk.usage;
}
check(chunks > 2, "only " + chunks + " chunks");
check(streamed === text, "streamed text differs:\n" + streamed + "\nvs\n" + text);
check(usage && usage.completion_tokens === completion.usage.completion_tokens, "stream usage: " + JSON.stringify(usage));

try {
  await client.chat.completions.create({ ...request, messages: [{ role: "user", content: content.slice(0, 5) }] });
  check(false, "4 images were accepted");
} catch (e) {
  check(e instanceof OpenAI.BadRequestError && e.status === 400, "4 images: expected a 400, got " + e);
  check(/expected 5 images/.test(e.message), "4 images: message was " + e.message);
}
console.log("openai client ok: " + text.replace(/\s+/g, " ").slice(0, 120) + " (" + chunks + " chunks streamed)");
