// Checks cxloop's golden payloads with the platforms' own code: every Slack
// payload (messages, modals, App Home) is type-checked by tsc against
// @slack/types, every Adaptive Card is parsed and validated by Microsoft's
// adaptivecards library. Any error, unknown element, duplicate id or limit
// overrun fails the check.
//
//   node check.cjs REPO_ROOT          check the golden files
//   node check.cjs --self-test        check that known-bad payloads fail
"use strict";

const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const AC = require("adaptivecards/dist/adaptivecards.js");

const SLACK_DIRS = ["bot/slack/testdata/golden"];
const TEAMS_DIRS = ["bot/teams/testdata/golden"];

// ---- Adaptive Cards ------------------------------------------------------

// Teams renders up to schema 1.5 and adds its own "msteams" property, which
// the library ignores.
function checkAdaptiveCard(json) {
  const errors = [];
  if (json.type !== "AdaptiveCard") errors.push(`type is ${json.type}, not AdaptiveCard`);
  if (json.version !== "1.5") errors.push(`version ${json.version}: Teams renders 1.5`);
  const card = new AC.AdaptiveCard();
  const ctx = new AC.SerializationContext(AC.Versions.v1_5);
  card.parse(json, ctx);
  for (let i = 0; i < ctx.eventCount; i++) {
    const e = ctx.getEventAt(i);
    errors.push(`parse: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  const results = card.validateProperties();
  for (const e of results.validationEvents) {
    errors.push(`validate: ${AC.ValidationEvent[e.event]}: ${e.message}`);
  }
  // validateProperties counts ids per card; count them over the whole
  // card, the forms of its ShowCards included, as Teams does.
  const ids = {};
  walk(json, (o) => {
    if (typeof o.id === "string" && o.type && (o.type.startsWith("Input.") || o.type === "Container" || o.type === "ActionSet")) {
      ids[o.id] = (ids[o.id] || 0) + 1;
    }
  });
  for (const [id, n] of Object.entries(ids)) {
    if (n > 1) errors.push(`duplicate id "${id}" (${n} times)`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(json));
  if (bytes > 28 * 1024) errors.push(`${bytes} bytes, over the 28 KB a card may have`);
  return errors;
}

function walk(v, fn) {
  if (Array.isArray(v)) v.forEach((x) => walk(x, fn));
  else if (v && typeof v === "object") {
    fn(v);
    Object.values(v).forEach((x) => walk(x, fn));
  }
}

// ---- Slack -----------------------------------------------------------------

const SLACK_TYPES = {
  message: "{ text: string; blocks?: KnownBlock[] }",
  modal: "ModalView",
  home: "HomeView",
};

function slackKind(file) {
  const kind = path.basename(file).split(/[-.]/)[0];
  if (!SLACK_TYPES[kind]) throw new Error(`${file}: a Slack golden file's name starts with message-, modal- or home-`);
  return kind;
}

const utf16 = (s) => (typeof s === "string" ? s.length : 0);

// Slack's documented limits, which no type expresses.
function checkSlackLimits(kind, json) {
  const errors = [];
  const blocks = json.blocks || [];
  const maxBlocks = kind === "message" ? 50 : 100;
  if (blocks.length > maxBlocks) errors.push(`${blocks.length} blocks, over ${maxBlocks}`);
  if (kind === "message" && utf16(json.text) > 40000) errors.push("text over 40,000 characters");
  if (kind === "modal") {
    for (const k of ["title", "submit", "close"]) {
      if (json[k] && utf16(json[k].text) > 24) errors.push(`modal ${k} over 24 characters`);
    }
  }
  const blockIDs = {};
  for (const b of blocks) {
    if (b.block_id) {
      if (blockIDs[b.block_id]) errors.push(`duplicate block_id "${b.block_id}"`);
      blockIDs[b.block_id] = true;
      if (utf16(b.block_id) > 255) errors.push(`block_id over 255 characters`);
    }
    if (b.type === "section") {
      if (b.text && utf16(b.text.text) > 3000) errors.push(`section text of ${utf16(b.text.text)} UTF-16 units, over 3,000`);
      if ((b.fields || []).length > 10) errors.push("section with more than 10 fields");
      for (const f of b.fields || []) if (utf16(f.text) > 2000) errors.push("section field over 2,000 characters");
    }
    if (b.type === "header" && utf16(b.text.text) > 150) errors.push("header over 150 characters");
    if (b.type === "context") {
      if (b.elements.length > 10) errors.push("context with more than 10 elements");
      for (const e of b.elements) if (utf16(e.text) > 3000) errors.push("context text over 3,000 characters");
    }
    if (b.type === "actions") {
      if (b.elements.length > 25) errors.push("actions block with more than 25 elements");
      const actionIDs = {};
      for (const e of b.elements) {
        if (e.action_id && actionIDs[e.action_id]) errors.push(`duplicate action_id "${e.action_id}" in block ${b.block_id}`);
        actionIDs[e.action_id] = true;
        if (e.text && utf16(e.text.text) > 75) errors.push("button text over 75 characters");
        if (utf16(e.value) > 2000) errors.push("button value over 2,000 characters");
      }
    }
  }
  return errors;
}

// typeCheck writes one TypeScript file declaring each payload with its
// @slack/types type and runs tsc on it; object literals get excess-property
// checks, so an unknown field fails as much as a missing or mistyped one.
function typeCheck(files, workDir) {
  let src = 'import type { KnownBlock, ModalView, HomeView } from "@slack/types";\n';
  const lineOf = [];
  files.forEach((f, i) => {
    const json = fs.readFileSync(f, "utf8");
    const start = src.split("\n").length;
    src += `export const payload${i}: ${SLACK_TYPES[slackKind(f)]} = ${json.trim()};\n`;
    lineOf.push([start, src.split("\n").length - 1, f]);
  });
  const ts = path.join(workDir, "slack-payloads.ts");
  fs.writeFileSync(ts, src);
  const tsc = path.join(__dirname, "node_modules", "typescript", "bin", "tsc");
  try {
    execFileSync(process.execPath, [tsc, "--noEmit", "--strict", "--target", "es2020", "--module", "commonjs",
      "--moduleResolution", "node", ts],
      { cwd: __dirname, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return [];
  } catch (err) {
    const out = (err.stdout || "") + (err.stderr || "");
    // Name the golden file of each error.
    return out.split("\n").filter((l) => l.trim()).map((l) => {
      const m = l.match(/\((\d+),\d+\)/);
      if (m) {
        const line = Number(m[1]);
        const hit = lineOf.find(([a, b]) => line >= a && line <= b);
        if (hit) return `${hit[2]}: ${l}`;
      }
      return l;
    });
  }
}

// ---- main --------------------------------------------------------------------

function goldenFiles(root, dirs) {
  const out = [];
  for (const d of dirs) {
    const dir = path.join(root, d);
    if (!fs.existsSync(dir)) throw new Error(`${d} does not exist`);
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith(".json")) out.push(path.join(dir, f));
  }
  if (out.length === 0) throw new Error(`no golden files in ${dirs.join(", ")}`);
  return out;
}

function run(slackFiles, teamsFiles, workDir) {
  const failures = [];
  for (const f of teamsFiles) {
    for (const e of checkAdaptiveCard(JSON.parse(fs.readFileSync(f, "utf8")))) failures.push(`${f}: ${e}`);
  }
  for (const f of slackFiles) {
    for (const e of checkSlackLimits(slackKind(f), JSON.parse(fs.readFileSync(f, "utf8")))) failures.push(`${f}: ${e}`);
  }
  failures.push(...typeCheck(slackFiles, workDir));
  return failures;
}

function main() {
  // Inside this folder, so that the generated file finds node_modules.
  const workDir = fs.mkdtempSync(path.join(__dirname, ".check-"));
  try {
    if (process.argv[2] === "--self-test") {
      // Each known-bad payload must be refused, and named in the refusal.
      const bad = path.join(__dirname, "bad");
      const files = fs.readdirSync(bad).sort().map((f) => path.join(bad, f));
      const failures = run(files.filter((f) => !path.basename(f).startsWith("card-")),
        files.filter((f) => path.basename(f).startsWith("card-")), workDir);
      let missed = 0;
      for (const f of files) {
        if (!failures.some((l) => l.startsWith(f + ":"))) {
          console.error(`self-test: ${path.basename(f)} passed the check, which should refuse it`);
          missed++;
        }
      }
      if (process.env.CARD_CHECK_VERBOSE) console.error(failures.join("\n"));
      if (missed > 0) process.exit(1);
      console.log("card check self-test: every known-bad payload is refused");
      return;
    }
    const root = path.resolve(process.argv[2] || path.join(__dirname, "..", ".."));
    const slackFiles = goldenFiles(root, SLACK_DIRS);
    const teamsFiles = goldenFiles(root, TEAMS_DIRS);
    const failures = run(slackFiles, teamsFiles, workDir);
    if (failures.length > 0) {
      console.error(failures.join("\n"));
      console.error(`card check: ${failures.length} problem(s)`);
      process.exit(1);
    }
    console.log(`card check: ${slackFiles.length} Slack payloads and ${teamsFiles.length} Adaptive Cards accepted`);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main();
