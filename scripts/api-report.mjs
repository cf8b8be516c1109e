// Runs API Extractor once per public subpath (package.json "exports"), writing or checking
// etc/<name>.api.md. `--local` updates the committed reports; without it a change fails (CI).
import { Extractor, ExtractorConfig } from "@microsoft/api-extractor";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const local = process.argv.includes("--local");
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const base = ExtractorConfig.loadFile(resolve("api-extractor.json"));
let failed = 0;
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target !== "object") continue;
  const dts = target.import.replace(/\.js$/, ".d.ts");
  const name = subpath === "." ? "ike-ts" : `ike-ts-${subpath.slice(2).replaceAll("/", "-")}`;
  const configObject = {
    ...base,
    mainEntryPointFilePath: resolve(dts),
    apiReport: { ...base.apiReport, reportFileName: `${name}.api.md` },
  };
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: resolve("api-extractor.json"),
    packageJsonFullPath: resolve("package.json"),
  });
  const result = Extractor.invoke(config, { localBuild: local, showVerboseMessages: false });
  if (!result.succeeded || (!local && result.apiReportChanged)) {
    failed++;
    console.error(
      `api-extractor: ${subpath}: ${result.errorCount} errors, ${result.warningCount} warnings` +
        (result.apiReportChanged ? ", public API differs from etc/" + name + ".api.md" : ""),
    );
  } else {
    console.log(`api-extractor: ${subpath}: ok${result.apiReportChanged ? " (report updated)" : ""}`);
  }
}
if (failed) {
  console.error(local ? "" : "The public API changed: run `npm run api` and commit etc/*.api.md if intended.");
  process.exit(1);
}
