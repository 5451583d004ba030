// page_test.mjs — headless Chromium (Debian's, driven by playwright-core) on the page of `iar serve`:
//   node tests/serve/page_test.mjs BASE_URL IMAGE_DIR SCREENSHOT.png [EXPECTED_FLAWED] [API_KEY]
// Uploads original.png and A..D.png into the five slots, presses Screen, waits for the verdict,
// checks it (e.g. "B, D"; "" accepts any verdict, incl. an unreadable answer), the slot markings
// and each candidate's evidence line against the server's p_flawed (EXPECT_EVIDENCE=1: the server
// must send it), saves a screenshot; picks the five files at once under names that sort the wrong way
// ("a.png" before "orig.png") and checks the order rule put each in its slot; at phone width (390
// px) checks nothing overflows; then the example button loads a sample, screens it, and checks
// the mismatch marks against the dataset's answer. Exits non-zero on any failure.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const [baseURL, imageDir, screenshot, expectedArg, apiKey] = process.argv.slice(2);
const expected = expectedArg ? expectedArg : undefined;
const VERDICT = /^(Flawed|No flawed|The model's answer could not be read)/;
if (!baseURL || !imageDir || !screenshot) {
  console.error("usage: node page_test.mjs BASE_URL IMAGE_DIR SCREENSHOT.png [EXPECTED_FLAWED]");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(baseURL, { waitUntil: "load" });
  if (apiKey) await page.fill("#apikey", apiKey);
  for (const name of ["original", "A", "B", "C", "D"])
    await page.setInputFiles("#slot-" + name + " input", path.join(imageDir, name + ".png"));
  await page.waitForFunction(() => !document.getElementById("screen").disabled, null, { timeout: 10000 });
  const screened = page.waitForResponse((r) => r.url().endsWith("/v1/screen"), { timeout: 30000 });
  await page.click("#screen");
  await page.waitForFunction(() => /^(Flawed|No flawed|Error|The model)/.test(document.getElementById("verdict").textContent),
    null, { timeout: 30000 });
  const verdict = await page.textContent("#verdict");
  // each candidate's evidence, as the server gave it (a model without a candidate head gives none)
  const answer = await (await screened).json();
  let withEvidence = 0;
  for (const v of answer.verdicts || []) {
    const shown = await page.textContent("#slot-" + v.candidate + " .evidence");
    const want = typeof v.p_flawed === "number"
      ? "evidence: P(flawed) " + v.p_flawed.toFixed(2) + (v.evidence_agrees === false ? " — disagrees with the text" : "")
      : "";
    if (shown !== want) throw new Error("candidate " + v.candidate + " shows '" + shown + "', expected '" + want + "'");
    withEvidence += want !== "";
  }
  console.log("evidence shown for " + withEvidence + " candidates");
  if (process.env.EXPECT_EVIDENCE === "1" && withEvidence !== 4)
    throw new Error("the server sent evidence for " + withEvidence + " of 4 candidates");
  const marked = await page.$$eval(".slot.flawed .name", (els) => els.map((e) => e.textContent.replace("Candidate ", "")));
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log("verdict: " + verdict + " | marked flawed: " + marked.join(", "));
  if (!VERDICT.test(verdict)) throw new Error("no verdict: " + verdict);
  if (expected !== undefined && verdict !== (expected ? "Flawed: " + expected : "No flawed candidates"))
    throw new Error("verdict '" + verdict + "', expected " + expected);
  if (expected !== undefined && marked.join(", ") !== expected) throw new Error("slots marked " + marked.join(", "));
  if ((await page.$$(".slot.ok, .slot.unknown")).length + marked.length !== 4)
    throw new Error("not every candidate got a verdict");

  // Five files picked at once: the order rule, not the name order, decides the slots.
  await page.click("#clear");
  await page.waitForLoadState("load");
  if (apiKey) await page.fill("#apikey", apiKey);
  const file = (name, as) => ({ name: as, mimeType: "image/png", buffer: fs.readFileSync(path.join(imageDir, name + ".png")) });
  await page.setInputFiles("#files", [file("A", "a.png"), file("B", "gen_b.png"), file("C", "c.png"), file("D", "D.png"),
                                      file("original", "orig.png")]);
  await page.waitForFunction(() => !document.getElementById("screen").disabled, null, { timeout: 10000 });
  const placed = await page.$$eval(".slot .file", (els) => els.map((e) => e.textContent));
  if (placed.join(",") !== "orig.png,a.png,gen_b.png,c.png,D.png") throw new Error("order rule placed " + placed.join(","));
  if (!(await page.textContent("#placement")).includes("orig.png → Original")) throw new Error("placement not shown");
  await page.click("#screen");
  await page.waitForFunction((re) => new RegExp(re).test(document.getElementById("verdict").textContent),
    VERDICT.source, { timeout: 30000 });
  if (expected !== undefined && (await page.textContent("#verdict")) !== (expected ? "Flawed: " + expected : "No flawed candidates"))
    throw new Error("after the order rule the verdict is " + (await page.textContent("#verdict")));

  // Phone width: nothing wider than the screen, every slot visible.
  await page.setViewportSize({ width: 390, height: 844 });
  const layout = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    slots: Array.from(document.querySelectorAll(".slot")).map((e) => e.getBoundingClientRect()),
  }));
  if (layout.scroll > 390) throw new Error("at 390 px the page is " + layout.scroll + " px wide");
  if (layout.slots.some((r) => r.width < 100 || r.right > 390)) throw new Error("a slot is cut at 390 px");
  await page.screenshot({ path: screenshot.replace(/\.png$/, "_phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1200, height: 800 });

  // The example button (only when the server has --example).
  const exampleStatus = await page.evaluate(async (key) =>
    (await fetch("/v1/example", { headers: key ? { Authorization: "Bearer " + key } : {} })).status, apiKey);
  if (exampleStatus === 200) {
    await page.click("#example");
    await page.waitForFunction(() => document.getElementById("gold").textContent.startsWith("Example"), null,
      { timeout: 10000 });
    await page.click("#screen");
    await page.waitForFunction((re) => new RegExp(re).test(document.getElementById("verdict").textContent),
      VERDICT.source, { timeout: 30000 });
    const goldLine = await page.textContent("#gold");
    console.log("example: " + goldLine + " | " + (await page.textContent("#verdict")));
    // the mismatch mark: as many marked slots as the line says, none when the model agrees
    const marks = (await page.$$(".slot.mismatch")).length;
    const said = goldLine.match(/MISMATCH: the model differs on (\d+)/);
    if (said ? Number(said[1]) !== marks : !goldLine.includes("the model agrees") || marks !== 0)
      throw new Error("mismatch marks (" + marks + ") disagree with: " + goldLine);
  }
  if (errors.length) throw new Error("page errors: " + errors.join("; "));
} catch (e) {
  console.error("FAIL: " + e.message);
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
