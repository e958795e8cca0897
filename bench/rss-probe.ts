/**
 * Preloaded into a measured child (`node --import dist/bench/rss-probe.js …`): when the process exits, writes its
 * peak resident set size (getrusage ru_maxrss, in KiB), its user and system CPU time (µs) and the 512-byte blocks it
 * wrote to storage (ru_oublock) to the file named by BENCH_RSS_FILE, as one line "maxRSS user system fsWrite". It
 * changes nothing else in the child.
 */
import { writeFileSync } from 'node:fs';

const file = process.env['BENCH_RSS_FILE'];
if (file !== undefined && file !== '') {
  process.on('exit', () => {
    try {
      const usage = process.resourceUsage();
      writeFileSync(file, `${usage.maxRSS} ${usage.userCPUTime} ${usage.systemCPUTime} ${usage.fsWrite}\n`);
    } catch {
      // the bench reports the RSS as unknown
    }
  });
}
