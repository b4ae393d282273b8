/** Rewrite the generated tables of spec/ABI.md from the default binding. */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { applyAbiTables } from "../abi-tables.js";
import { DEFAULT_BINDING } from "../binding.js";

const path = fileURLToPath(new URL("../ABI.md", import.meta.url));
writeFileSync(path, applyAbiTables(readFileSync(path, "utf8"), DEFAULT_BINDING));
console.log(`updated ${path}`);
