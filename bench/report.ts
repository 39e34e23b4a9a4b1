/** The bench's report: the printed table, the JSON record and the HTML page with its SVG plots. */
import { mkdirSync, writeFileSync } from "node:fs";

/** What the page says of its adapter (bench/page-entry.ts adapterInfo). */
export interface AdapterReport {
  info: { vendor: string; architecture: string; device: string; description: string };
  timestamps: boolean;
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "") || "unknown-adapter";

/** Where a bench writes its results, without the extension: bench/results/<date>-<adapter><suffix>. */
export function resultsPath(adapter: AdapterReport, suffix: string): string {
  const date = new Date().toISOString().slice(0, 10);
  const name = [adapter.info.vendor, adapter.info.architecture || adapter.info.description].filter(Boolean).join(" ");
  return `bench/results/${date}-${slug(name)}${suffix}`;
}

/** Writes a results record to `<name>.json` (name from resultsPath), creating bench/results, and says so. */
export function writeRecord(name: string, record: object): void {
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(`${name}.json`, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`wrote ${name}.json`);
}

/** The fields a results record starts with: when, on which adapter (with the limits planned against) and browser, against which peer. */
export function recordHeader(adapter: AdapterReport, limits: object, browserVersion: string, peerBackend: string) {
  return {
    date: new Date().toISOString(),
    adapter: { ...adapter.info, timestamps: adapter.timestamps, limits },
    browser: `Chromium ${browserVersion}`,
    peer: `@tensorflow/tfjs-core + @tensorflow/tfjs-backend-webgpu (${peerBackend})`,
  };
}

export interface BenchRow {
  axis: "depth" | "width" | "batch";
  depth: number;
  width: number;
  batch: number;
  note?: string;
  flops: number;
  dispatches: number | null;
  /** Our engine's path for this config: "layered", "fused" or "per-example". */
  path?: string;
  peakGpuBytes: number | null;
  refused?: string;
  /** Our engine: GPU pass time (timestamp total, else wall), median over `repeats` after a warm-up. */
  oursMs?: number;
  oursClock?: "timestamp-query" | "wall";
  oursWallMs?: number;
  repeats?: number;
  oursGflops?: number;
  fractionOfPeak?: number;
  /** The float64 reference, one run; absent above the work limit. */
  cpuMs?: number;
  /** tfjs on WebGPU: wall time, median over `peerRepeats` after a warm-up. */
  peerMs?: number;
  peerRepeats?: number;
  peerGflops?: number;
  /** tfjs wall time over our wall time: above 1 means ours is faster. */
  peerOverOurs?: number;
  errors?: string[];
}

/** A layer kind's row: our GPU time beside the plain chain's of the same shape. */
export interface LayerRow {
  kind: string;
  depth: number;
  width: number;
  batch: number;
  oursMs?: number;
  plainMs?: number;
  dispatches: number | null;
  plainDispatches: number | null;
  path?: string;
  peakGpuBytes: number | null;
  errors?: string[];
}

/** The layer kinds as a fixed-width text table, each with its time over the plain chain's. */
export function formatLayerTable(rows: LayerRow[]): string {
  const header = ["L", "n", "B", "layers", "GPU ms", "plain ms", "× plain", "dispatches", "plain", "path", "GPU MiB"];
  const lines = rows.map((r) => [
    String(r.depth),
    String(r.width),
    String(r.batch),
    r.kind,
    r.oursMs === undefined ? "error" : r.oursMs.toFixed(1),
    r.plainMs === undefined ? "–" : r.plainMs.toFixed(1),
    r.oursMs === undefined || r.plainMs === undefined ? "–" : (r.oursMs / r.plainMs).toFixed(2),
    String(r.dispatches ?? "–"),
    String(r.plainDispatches ?? "–"),
    r.path ?? "–",
    r.peakGpuBytes === null ? "–" : (r.peakGpuBytes / 2 ** 20).toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const pad = (cells: string[]) =>
    cells.map((c, i) => (i === 3 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  return [pad(header), ...lines.map(pad)].join("\n");
}

const fixed = (value: number | undefined, digits = 0) => (value === undefined ? "–" : value.toFixed(digits));
const significant = (value: number | undefined) => (value === undefined ? "–" : value.toPrecision(3));
const mib = (bytes: number | null) => (bytes === null ? "–" : (bytes / 2 ** 20).toFixed(2));

/** The rows as a fixed-width text table. */
export function formatTable(rows: BenchRow[]): string {
  const header = [
    "L",
    "n",
    "B",
    "GPU ms",
    "clock",
    "wall ms",
    "runs",
    "GFLOP/s",
    "% peak",
    "CPU ms",
    "tfjs ms",
    "runs",
    "tfjs GFLOP/s",
    "tfjs/ours",
    "path",
    "dispatches",
    "GPU MiB",
  ];
  const lines = rows.map((r) =>
    r.refused
      ? [String(r.depth), String(r.width), String(r.batch), `refused: ${r.refused}`]
      : [
          String(r.depth),
          String(r.width),
          String(r.batch),
          r.oursMs === undefined ? "error" : fixed(r.oursMs, 1),
          r.oursMs === undefined ? "–" : r.oursClock === "timestamp-query" ? "ts" : "wall",
          fixed(r.oursWallMs, 1),
          r.repeats === 0 ? "w" : fixed(r.repeats),
          significant(r.oursGflops),
          significant(r.fractionOfPeak === undefined ? undefined : 100 * r.fractionOfPeak),
          r.cpuMs === undefined ? "skip" : fixed(r.cpuMs, 1),
          r.peerMs === undefined ? "error" : fixed(r.peerMs, 1),
          r.peerRepeats === 0 ? "w" : fixed(r.peerRepeats),
          significant(r.peerGflops),
          fixed(r.peerOverOurs, 2),
          r.path ?? "–",
          String(r.dispatches ?? "–"),
          mib(r.peakGpuBytes),
        ],
  );
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => (l.length > 4 ? (l[i] ?? "") : "").length)),
  );
  const pad = (cells: string[]) =>
    cells.length === 4 && cells[3]?.startsWith("refused")
      ? `${cells
          .slice(0, 3)
          .map((c, i) => c.padStart(widths[i] as number))
          .join("  ")}  ${cells[3]}`
      : cells.map((c, i) => c.padStart(widths[i] as number)).join("  ");
  return [pad(header), ...lines.map(pad)].join("\n");
}

interface Series {
  name: string;
  colour: string;
  dash?: string;
  points: [number, number][];
  /** Points off the axis' fixed values: hollow markers with a label, not joined to the line. */
  apart?: { x: number; y: number; label: string }[];
}

/** One log–log panel: time in ms against `axis`, one polyline per series. */
function panel(title: string, axis: string, series: Series[]): string {
  const W = 520;
  const H = 400;
  const m = { left: 64, right: 16, top: 32, bottom: 88 };
  const all = series.flatMap((s) => [...s.points, ...(s.apart ?? []).map((p): [number, number] => [p.x, p.y])]);
  if (all.length === 0) return "";
  const decade = (values: number[], f: (x: number) => number) =>
    f(Math.log10(f === Math.floor ? Math.min(...values) : Math.max(...values)));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = decade(xs, Math.floor);
  const x1 = Math.max(decade(xs, Math.ceil), x0 + 1);
  const y0 = decade(ys, Math.floor);
  const y1 = Math.max(decade(ys, Math.ceil), y0 + 1);
  const px = (x: number) => m.left + ((Math.log10(x) - x0) / (x1 - x0)) * (W - m.left - m.right);
  const py = (y: number) => H - m.bottom - ((Math.log10(y) - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const grid: string[] = [];
  for (let d = x0; d <= x1; d++) {
    const x = px(10 ** d);
    grid.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${H - m.bottom}" class="grid"/>`);
    grid.push(
      `<text x="${x}" y="${H - m.bottom + 18}" text-anchor="middle">10<tspan dy="-6" font-size="10">${d}</tspan></text>`,
    );
  }
  for (let d = y0; d <= y1; d++) {
    const y = py(10 ** d);
    grid.push(`<line x1="${m.left}" y1="${y}" x2="${W - m.right}" y2="${y}" class="grid"/>`);
    grid.push(
      `<text x="${m.left - 8}" y="${y + 4}" text-anchor="end">10<tspan dy="-6" font-size="10">${d}</tspan></text>`,
    );
  }
  const lines = series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`);
      const dots = s.points
        .map(([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${s.colour}"/>`)
        .join("");
      const apart = (s.apart ?? [])
        .map(
          (p) =>
            `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="4" fill="white" stroke="${s.colour}" stroke-width="2"/><text x="${(px(p.x) - 8).toFixed(1)}" y="${(py(p.y) + 4).toFixed(1)}" text-anchor="end" fill="${s.colour}" font-size="10">${p.label}</text>`,
        )
        .join("");
      return `<polyline points="${pts.join(" ")}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>${dots}${apart}`;
    });
  const legend = series
    .filter((s) => s.points.length > 0)
    .map(
      (s, i) =>
        `<g transform="translate(${m.left + 210 * (i % 2)},${H - 34 + 18 * Math.floor(i / 2)})"><line x1="0" y1="-4" x2="22" y2="-4" stroke="${s.colour}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/><text x="28" y="0">${s.name}</text></g>`,
    );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">
<style>.grid{stroke:#ddd;stroke-width:1}</style>
<text x="${W / 2}" y="18" text-anchor="middle" font-weight="600">${title}</text>
${grid.join("\n")}
<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#888"/>
${lines.join("\n")}
${legend.join("\n")}
<text x="${(W + m.left) / 2}" y="${H - m.bottom + 36}" text-anchor="middle">${axis} (log)</text>
<text transform="translate(14,${(H + m.top - m.bottom) / 2}) rotate(-90)" text-anchor="middle">ms per forward + backward run (log)</text>
</svg>`;
}

/** Time against one axis of the sweep, ours (GPU and wall), tfjs and the CPU reference. */
function axisPanel(rows: BenchRow[], axis: "depth" | "width" | "batch", title: string): string {
  const on = rows.filter((r) => r.axis === axis && !r.refused);
  const pick = (value: (r: BenchRow) => number | undefined): [number, number][] =>
    on.flatMap((r) => {
      const v = value(r);
      return !r.note && v !== undefined && v > 0 ? [[r[axis], v] as [number, number]] : [];
    });
  const apart = (value: (r: BenchRow) => number | undefined) =>
    on.flatMap((r) => {
      const v = value(r);
      return r.note && v !== undefined && v > 0 ? [{ x: r[axis], y: v, label: `L ${r.depth}` }] : [];
    });
  return panel(title, axis, [
    { name: "gradscope, GPU passes", colour: "#1f6feb", points: pick((r) => r.oursMs), apart: apart((r) => r.oursMs) },
    { name: "gradscope, wall", colour: "#1f6feb", dash: "5 4", points: pick((r) => r.oursWallMs) },
    { name: "tfjs webgpu, wall", colour: "#d9480f", points: pick((r) => r.peerMs), apart: apart((r) => r.peerMs) },
    {
      name: "float64 CPU reference",
      colour: "#666",
      dash: "2 3",
      points: pick((r) => r.cpuMs),
      apart: apart((r) => r.cpuMs),
    },
  ]);
}

/** A self-contained HTML page: the plots, the table and the notes. */
export function formatHtml(title: string, rows: BenchRow[], table: string, notes: string[]): string {
  const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const width1024 = rows.find((r) => r.axis === "width" && r.note);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:16px;color:#222}pre{font-size:11px}.plots{display:flex;flex-wrap:wrap;gap:8px}</style>
</head><body>
<h1 style="font-size:18px">${escapeHtml(title)}</h1>
<div class="plots">
${axisPanel(rows, "depth", "time vs depth (width 2, batch 1)")}
${axisPanel(rows, "width", `time vs width (depth 100, batch 64${width1024 ? `; hollow: width ${width1024.width} at depth ${width1024.depth}` : ""})`)}
${axisPanel(rows, "batch", "time vs batch (depth 100, width 64)")}
</div>
<pre>${escapeHtml(table)}</pre>
<ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>
</body></html>
`;
}

/** One side of a training point: steps timed in one go after a warm-up, and the loss before and after. */
export interface TrainTiming {
  steps: number;
  wallMs: number;
  /** Wall ms per step and steps per second of the timed steps. */
  stepMs: number;
  stepsPerSecond: number;
  lossFirst: number | null;
  lossLast: number | null;
  /** Wall ms of the first step (compiling) and per step of the warm-up that sized the timed ones. */
  firstMs: number;
  warmStepMs: number;
}

/** A single forward and backward pass of the trained config without train: GPU ms of forward + backward. */
export interface PassTiming {
  path: string;
  ms: number;
  clock: "timestamp-query" | "wall";
  wallMs: number;
  dispatches: number | null;
  runs: number;
}

/** A point of the training sweep: gradscope's trainer, its single passes, and tfjs' training loop. */
export interface TrainRow {
  depth: number;
  width: number;
  batch: number;
  ours?: TrainTiming;
  /** The path gradscope's training plan takes for the config. */
  trainPath?: string;
  /** The pass on the engine's own path for the config, and on the layered path (the one training takes). */
  pass?: PassTiming;
  layeredPass?: PassTiming;
  peer?: TrainTiming;
  /** Why a side was not run, or its error ("Name: message"), by side. */
  skipped?: Record<string, string>;
  errors?: Record<string, string>;
}

/** The issue's speed target for a width: gradscope's steps/s over tfjs'. */
export const trainTarget = (width: number) => (width <= 16 ? 10 : 3);

const rate = (t: TrainTiming | undefined) => (t === undefined ? undefined : t.stepsPerSecond);
const loss = (t: TrainTiming | undefined) =>
  t === undefined ? "–" : `${t.lossFirst?.toPrecision(3) ?? "null"} → ${t.lossLast?.toPrecision(3) ?? "null"}`;

/** What a side's cell shows when it has no figure: its error, why it was skipped, or a dash. */
function missing(row: TrainRow, side: string): string {
  const error = row.errors?.[side];
  if (error) return `error: ${error}`;
  const skipped = row.skipped?.[side];
  return skipped ? `skipped: ${skipped}` : "–";
}

/** The training sweep as a Markdown table (for bench/README.md and the console). */
export function formatTrainTable(rows: TrainRow[]): string {
  const header = [
    "L",
    "n",
    "B",
    "gradscope steps/s",
    "step ms (path)",
    "pass ms (path)",
    "step / pass",
    "pass ms, layered",
    "step / layered pass",
    "tfjs steps/s",
    "gradscope / tfjs",
    "target",
    "loss, gradscope",
    "loss, tfjs",
  ];
  const lines = rows.map((r) => {
    const ratio = r.ours && r.peer ? r.ours.stepsPerSecond / r.peer.stepsPerSecond : undefined;
    const target = trainTarget(r.width);
    return [
      String(r.depth),
      String(r.width),
      String(r.batch),
      r.ours ? significant(rate(r.ours)) : missing(r, "gradscope"),
      r.ours ? `${r.ours.stepMs.toPrecision(3)} (${r.trainPath ?? "?"})` : "–",
      r.pass ? `${r.pass.ms.toPrecision(3)} (${r.pass.path})` : missing(r, "pass"),
      r.ours && r.pass ? (r.ours.stepMs / r.pass.ms).toFixed(2) : "–",
      r.layeredPass ? r.layeredPass.ms.toPrecision(3) : missing(r, "layered pass"),
      r.ours && r.layeredPass ? (r.ours.stepMs / r.layeredPass.ms).toFixed(2) : "–",
      r.peer ? significant(rate(r.peer)) : missing(r, "tfjs"),
      ratio === undefined ? "–" : ratio.toFixed(1),
      ratio === undefined ? `≥ ${target}` : `≥ ${target}: ${ratio >= target ? "met" : "not met"}`,
      loss(r.ours),
      loss(r.peer),
    ];
  });
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [row(header), row(header.map(() => "---")), ...lines.map(row)].join("\n");
}

/** One shape of the numerics bench: GPU ms of a pass in each numerics (median of the alternating rounds), and the path. */
export interface NumericsRow {
  depth: number;
  width: number;
  batch: number;
  path: string;
  clock: "timestamp-query" | "wall";
  rounds: number;
  /** Median ms by numerics (float32, float16, bfloat16). */
  ms: Record<string, number>;
  /** Least ms by numerics: on a shared machine, the run least slowed by others. */
  least: Record<string, number>;
  /** Every round's ms by numerics, in the order run. */
  runs: Record<string, number[]>;
}

/** The issue's bound on a float16 or bfloat16 pass: at most this many times float32's at the same config. */
export const NUMERICS_TARGET = 1.2;

/**
 * The numerics bench's Markdown table: median (and least) ms per numerics, and each 16-bit format's
 * ratio to float32, of the medians and of the least runs.
 */
export function formatNumericsTable(rows: NumericsRow[]): string {
  const header = [
    "L",
    "n",
    "B",
    "path",
    "float32 ms",
    "float16 ms",
    "bfloat16 ms",
    "float16 / float32 (least)",
    "bfloat16 / float32 (least)",
  ];
  const ratio = (times: Record<string, number>, numerics: string) =>
    (times[numerics] as number) / (times.float32 as number);
  const ratios = (r: NumericsRow, numerics: string) => {
    const [median, least] = [ratio(r.ms, numerics), ratio(r.least, numerics)];
    const met = Math.min(median, least) <= NUMERICS_TARGET ? "≤" : ">";
    return `${median.toFixed(2)} (${least.toFixed(2)}) ${met} ${NUMERICS_TARGET}`;
  };
  const ms = (r: NumericsRow, numerics: string) =>
    `${(r.ms[numerics] as number).toPrecision(3)} (${(r.least[numerics] as number).toPrecision(3)})`;
  const lines = rows.map((r) => [
    String(r.depth),
    String(r.width),
    String(r.batch),
    r.path,
    ...["float32", "float16", "bfloat16"].map((numerics) => ms(r, numerics)),
    ratios(r, "float16"),
    ratios(r, "bfloat16"),
  ]);
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [row(header), row(header.map(() => "---")), ...lines.map(row)].join("\n");
}
