// One whole-process client run for the benchmark: refresh, look a target up, and
// optionally download it. Prints one JSON line with its own CPU time and peak memory.
import { Updater } from "@bulwark/tuf";

const [metadataDir, metadataUrl, targetPath, targetDir, targetUrl] = process.argv.slice(2);
const updater = new Updater({
  metadataDir,
  metadataBaseUrl: metadataUrl,
  targetDir,
  targetBaseUrl: targetUrl,
  config: { targetsMaxLength: 64 * 1024 * 1024, snapshotMaxLength: 64 * 1024 * 1024 },
});
await updater.refresh();
const info = await updater.getTargetInfo(targetPath);
if (info === undefined) throw new Error(`${targetPath} not found`);
if (targetDir && (await updater.findCachedTarget(info)) === undefined) await updater.downloadTarget(info);
const usage = process.resourceUsage();
process.stdout.write(
  `${JSON.stringify({ cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssKb: usage.maxRSS })}\n`,
);
