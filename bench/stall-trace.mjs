// Where a bench hub's event loop stalled, and why (issue 15): with BENCH_HUB_TRACE=FILE the hub
// host (bench/hub-host.mjs) runs this and writes FILE as JSON when it exits. Not a bench itself.
//
// A 1-ms timer chain finds every turn of the loop later than 8 ms ("gap"); for each, the main
// thread's CPU time and its time waiting for a core (run queue) over the gap, from
// /proc/thread-self/schedstat (Linux). A gap that is mostly CPU is the hub's own work (find it
// in a CPU profile of the same run: BENCH_HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"); one
// that is mostly run-queue wait is the machine's other load. Garbage collections come from a
// PerformanceObserver, and `mark(name)` stamps the bench's phases (the host marks each 'sample',
// so the devices bench's latency phase lies between the second and third marks).
// Entries: ['gap', start_ms, length_ms, cpu_ms, runqueue_ms] · ['gc', start_ms, ms, kind, flags]
//          · ['mark', at_ms, name]; times are performance.now() of the hub's process.
// The timer chain itself costs ~2 % of a core; compare runs with and without it before trusting a ratio.
import { readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

export function startStallTrace(file, { gapMs = 8 } = {}) {
  const out = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) out.push(['gc', e.startTime, e.duration, e.detail?.kind, e.detail?.flags]);
  });
  observer.observe({ entryTypes: ['gc'] });
  const sched = () => {
    try {
      const [cpu, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
      return { cpu: cpu / 1e6, wait: wait / 1e6 };
    } catch {
      return { cpu: NaN, wait: NaN };
    }
  };
  let last = { t: performance.now(), ...sched() };
  let timer;
  const tick = () => {
    const now = { t: performance.now(), ...sched() };
    if (now.t - last.t > gapMs) out.push(['gap', last.t, now.t - last.t, now.cpu - last.cpu, now.wait - last.wait]);
    last = now;
    timer = setTimeout(tick, 1).unref();
  };
  tick();
  const write = () => writeFileSync(file, JSON.stringify(out));
  process.once('exit', write);
  return {
    mark: (name) => out.push(['mark', performance.now(), name]),
    stop() {
      clearTimeout(timer);
      observer.disconnect();
    },
  };
}
