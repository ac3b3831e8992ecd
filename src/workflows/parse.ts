import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { HearthError } from '../core/errors.js';
import { workflowSchema, type WorkflowDefinition } from './schema.js';

export const MAX_SOURCE_BYTES = 64 * 1024;

/** Where a definition is wrong: the line (1-based, when known), the key path and the problem. */
export interface WorkflowProblem {
  line: number | null;
  column: number | null;
  path: string;
  message: string;
}

export class WorkflowInvalid extends HearthError {
  constructor(readonly problems: WorkflowProblem[]) {
    const first = problems[0]!;
    super('WORKFLOW_INVALID', `${first.line ? `line ${first.line}: ` : ''}${first.path ? `${first.path}: ` : ''}${first.message}`, 400, { problems });
    this.name = 'WorkflowInvalid';
  }
}

/**
 * YAML source → a checked definition, or WORKFLOW_INVALID naming the line of each problem.
 * Aliases are limited (a "billion laughs" document is refused by the yaml package's own
 * `maxAliasCount`), and the source is bounded in size.
 */
export function parseWorkflow(source: string): WorkflowDefinition {
  if (Buffer.byteLength(source) > MAX_SOURCE_BYTES)
    throw new WorkflowInvalid([{ line: null, column: null, path: '', message: `a workflow is at most ${MAX_SOURCE_BYTES / 1024} KiB` }]);
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new WorkflowInvalid(
      doc.errors.slice(0, 5).map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { line: pos.line, column: pos.col, path: '', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '') };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    throw new WorkflowInvalid([{ line: null, column: null, path: '', message: (err as Error).message }]);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new WorkflowInvalid([{ line: 1, column: 1, path: '', message: 'a workflow is a mapping with name, triggers and steps' }]);
  }
  const result = workflowSchema.safeParse(data);
  if (result.success) return result.data;
  throw new WorkflowInvalid(
    result.error.issues.slice(0, 10).map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      const at = locate(doc, lines, path);
      return { line: at?.line ?? null, column: at?.col ?? null, path: path.join('.'), message: issue.message };
    }),
  );
}

/** The line of the deepest node on `path` that exists (a missing key points at its parent). */
function locate(doc: Document, lines: LineCounter, path: (string | number)[]): { line: number; col: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]);
  }
  return undefined;
}
