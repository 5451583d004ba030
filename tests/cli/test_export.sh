#!/bin/sh
# test_export.sh — `iar convert --to trl-grpo|vlm-r1|llamafactory|sharegpt` into a folder that does
# not exist yet; each output read the way its tool's loader reads it (the checks below follow
# LLaMA-Factory's dataset_info.json + sharegpt converter and media_dir, TRL's conversational
# "prompt" with image parts and an "images" column, VLM-R1's grpo_jsonl "image" + "conversations"
# with --image_folders, ShareGPT's from/value turns), image files included.
set -u
IAR=${IAR_BIN:?IAR_BIN not set}
TMP=${IAR_TEST_TMP:-/tmp}/export-cli-$$
rm -rf "$TMP"; mkdir -p "$TMP"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

"$IAR" synth --out "$TMP/data" --n 6 --size 64 --seed 4 --style render > "$TMP/synth.log" 2>&1 || { cat "$TMP/synth.log"; fail "synth failed"; exit 1; }
OUT="$TMP/exports/not/yet/there"
for f in trl-grpo vlm-r1 llamafactory sharegpt; do
    "$IAR" convert "$TMP/data/data.jsonl" --to=$f -o "$OUT/$f.jsonl" > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "convert --to $f"; }
done
"$IAR" convert "$TMP/data/data.jsonl" --to llamafactory --name iar_second -o "$OUT/second.jsonl" > /dev/null 2>&1 \
    || fail "a second llamafactory export"
"$IAR" convert "$TMP/data/data.jsonl" --to nonsense -o "$OUT/x.jsonl" > /dev/null 2>"$TMP/err.txt" && fail "unknown format accepted"
grep -q "trl-grpo" "$TMP/err.txt" || fail "unknown format: the error does not list the formats"
ls "$OUT" | grep -q "tmp" && fail "a temporary file was left behind"

python3 - "$OUT" <<'PY' || fail "an export does not load as its tool documents"
import json, os, sys
out = sys.argv[1]
def lines(name):
    return [json.loads(l) for l in open(os.path.join(out, name), encoding="utf-8")]
def exists(folder, paths):
    for p in paths:
        assert os.path.isfile(os.path.join(folder, p)), p

# LLaMA-Factory: dataset_info.json names the file (relative to dataset_dir), sharegpt formatting,
# the messages/images columns and role tags; images resolve against media_dir (= dataset_dir);
# user/assistant alternate after an optional system turn; <image> tokens match the images.
info = json.load(open(os.path.join(out, "dataset_info.json")))
assert set(info) == {"llamafactory", "iar_second"}, info.keys()
for name, entry in info.items():
    assert entry["formatting"] == "sharegpt" and entry["columns"] == {"messages": "messages", "images": "images"}
    tags = entry["tags"]
    for row in lines(entry["file_name"]):
        msgs = row[entry["columns"]["messages"]]
        if msgs[0][tags["role_tag"]] == tags["system_tag"]:
            msgs = msgs[1:]
        for i, m in enumerate(msgs):
            assert m[tags["role_tag"]] == (tags["user_tag"] if i % 2 == 0 else tags["assistant_tag"]), m
        text = "".join(m[tags["content_tag"]] for m in msgs)
        assert text.count("<image>") == len(row["images"]) == 5
        exists(out, row["images"])

# TRL GRPOTrainer: "prompt" is conversational (list of role/content), the user's content holds one
# {"type":"image"} part per entry of "images"; extra columns (solution, answer) reach the rewards.
for row in lines("trl-grpo.jsonl"):
    prompt = row["prompt"]
    assert isinstance(prompt, list) and all({"role", "content"} <= set(m) for m in prompt)
    assert prompt[-1]["role"] == "user"
    parts = prompt[-1]["content"]
    assert sum(p["type"] == "image" for p in parts) == len(row["images"]) == 5
    assert row["solution"].startswith("<answer>") and isinstance(row["answer"], list)
    exists(out, row["images"])

# VLM-R1 (grpo_jsonl.py): "image" is a list joined with --image_folders; conversations[0] is the
# human problem with one <image> per image, conversations[1] the gpt solution with <answer>.
for row in lines("vlm-r1.jsonl"):
    conv = row["conversations"]
    assert conv[0]["from"] == "human" and conv[1]["from"] == "gpt"
    assert conv[0]["value"].count("<image>") == len(row["image"]) == 5
    assert conv[1]["value"].startswith("<answer>")
    exists(out, row["image"])

# ShareGPT: human/gpt turns, an optional system field, one <image> per image.
for row in lines("sharegpt.jsonl"):
    conv = row["conversations"]
    assert [t["from"] for t in conv] == ["human", "gpt"]
    assert conv[0]["value"].count("<image>") == len(row["images"]) == 5
    exists(out, row["images"])
print("every export loads")
PY

# the report's breakdown by what the data knows: the `all` baseline flags every candidate, so every
# defect kind, every severity band and the clean candidates read 100%; gold sizes are listed
"$IAR" eval --data "$TMP/data/data.jsonl" --model all --out "$TMP/run-all" > "$TMP/out.txt" 2>&1 || { cat "$TMP/out.txt"; fail "eval all"; }
R="$TMP/run-all/report.md"
grep -q "## By what the data knows" "$R" || fail "report.md has no breakdown section"
grep -q "| defect kind |" "$R" || fail "report.md has no defect-kind table"
grep -q "clean candidates flagged\* | 100%" "$R" || fail "all: clean candidates not 100% flagged"
awk '/\| defect kind \|/{t=1;next} t&&/^\| [a-z_]+ \|/{ if ($0 !~ /100%/) bad=1 } /^$/{t=0} END{exit bad}' "$R" \
    || fail "all: a defect kind below 100%"
grep -q "| gold size |" "$R" || fail "report.md has no gold-size table"

[ $fails -eq 0 ] && rm -rf "$TMP"
[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }
