import { EXIT, FatalError, HearthError } from '../../core/errors.js';
import { loadSettings } from '../../config/load.js';
import { listModels, pullModel, type PullProgress } from '../../inference/model-files.js';
import { parse, settingsOptions, flagsFrom } from '../args.js';
import { dataDirFrom } from '../data-dir.js';

export const modelHelp = [
  'hearth model pull URL --sha256 HASH [--data DIR]   download a GGUF model into <data>/models (resumes, verifies)',
  'hearth model list [--data DIR]                      the model files there, and which one llm.model_path uses',
].join('\n');

const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);

function progressPrinter(): (p: PullProgress) => void {
  const tty = process.stderr.isTTY;
  let lastStep = -1;
  return (p) => {
    const pct = p.total ? Math.floor((p.received / p.total) * 100) : null;
    const step = pct ?? Math.floor(p.received / (50 * 1024 * 1024));
    if (!tty && step === lastStep) return;
    lastStep = step;
    const width = 30;
    const bar = pct === null ? '' : `[${'#'.repeat(Math.round((pct / 100) * width)).padEnd(width, '.')}] ${pct}% `;
    const line = `${bar}${mib(p.received)}${p.total ? ` of ${mib(p.total)}` : ''} MiB${p.resumed ? ' (resumed)' : ''}`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
}

export async function modelCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { ...settingsOptions, sha256: { type: 'string' } });
  const dataDir = dataDirFrom(values);
  if (sub === 'pull' && positionals.length === 1 && typeof values.sha256 === 'string') {
    try {
      const path = await pullModel({ url: positionals[0]!, sha256: values.sha256, dataDir, onProgress: progressPrinter() });
      if (process.stderr.isTTY) process.stderr.write('\n');
      process.stdout.write(
        `model verified and saved to ${path}\nuse it with: hearth settings set llm.model_path ${path} (or llm.model_path in the config file)\n`,
      );
      return EXIT.ok;
    } catch (err) {
      if (err instanceof HearthError) throw new FatalError(err.message, EXIT.failure);
      throw new FatalError(`the download stopped: ${(err as Error).message}; run the same command again to resume`, EXIT.tempFail);
    }
  }
  if (sub === 'list' && positionals.length === 0) {
    const { settings } = loadSettings({ file: values.config, flags: flagsFrom(values) });
    const files = listModels(dataDir);
    if (files.length === 0) process.stdout.write(`no model files in ${dataDir}/models\n`);
    for (const f of files) {
      const used = settings.llm.model_path && settings.llm.model_path === f.path ? '  (llm.model_path)' : '';
      process.stdout.write(`${f.name}  ${mib(f.size_bytes)} MiB${f.complete ? '' : '  (unfinished download: pull again to resume)'}${used}\n`);
    }
    return EXIT.ok;
  }
  throw new FatalError(`usage:\n${modelHelp}`, EXIT.usage);
}
